// Scaled down from the benchmark's 10 000: a seeded run with every fault type injected through the
// simulator's engine finds each fault as what it is, and flags nothing else.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { faultTypes, seededFaultRun } from './fault-run.ts';

describe('a seeded run with every fault type', () => {
  for (const seed of [1, 7]) {
    it(`finds every fault and nothing else (seed ${seed})`, () => {
      const result = seededFaultRun(800, seed, 0.2);
      assert.deepEqual(result.missed, []);
      assert.deepEqual(result.spurious, []);
      assert.equal(Object.keys(result.byType).length, faultTypes.length, 'every fault type was injected');
      assert.equal(result.found, result.injected);
    });
  }
});
