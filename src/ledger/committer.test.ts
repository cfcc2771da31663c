// The group committer on its own, with a fake applier: batches respect transferBatchMax, use every
// free in-flight slot, keep submission order, and one failing request does not fail its neighbours.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Committer } from './committer.ts';
import type { Submitted, Verdict } from './decide.ts';

const request = (key: string): Submitted => ({ request: { kind: 'void', key, holdSeq: 1n }, requestHash: key });
const refusedVerdict = (detail: string): Verdict => ({ kind: 'refused', code: 'hold_not_found', detail });

describe('committer', () => {
  it('starts a second batch while the first is in flight when the queue holds more than one batch', async () => {
    let inFlight = 0;
    let inFlightMax = 0;
    const batches: string[][] = [];
    const committer = new Committer<Submitted, Verdict>({
      clock: () => 0,
      transferBatchMax: 3,
      batchesInFlightMax: 2,
      apply: async (batch) => {
        batches.push(batch.map((s) => s.request.key));
        inFlightMax = Math.max(inFlightMax, ++inFlight);
        await new Promise((resolve) => setTimeout(resolve, 20));
        inFlight--;
        return batch.map((s) => refusedVerdict(s.request.key));
      },
    });
    const verdicts = await Promise.all(['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((key) => committer.submit(request(key))));
    await committer.close();
    assert.deepEqual(verdicts.map((v) => (v.kind === 'refused' ? v.detail : '')), ['a', 'b', 'c', 'd', 'e', 'f', 'g'], 'each caller gets its own verdict');
    assert.deepEqual(batches, [['a', 'b', 'c'], ['d', 'e', 'f'], ['g']], 'batches keep submission order and the size limit');
    assert.equal(inFlightMax, 2, 'two batches were in flight at once');
  });

  it('a batch the database refuses is retried request by request: only the culprit fails', async () => {
    const committer = new Committer<Submitted, Verdict>({
      clock: () => 0,
      transferBatchMax: 100,
      batchesInFlightMax: 1,
      apply: async (batch) => {
        if (batch.some((s) => s.request.key === 'bad')) throw new Error('constraint');
        return batch.map((s) => refusedVerdict(s.request.key));
      },
    });
    const outcomes = await Promise.allSettled(['x', 'bad', 'y'].map((key) => committer.submit(request(key))));
    await committer.close();
    assert.deepEqual(outcomes.map((o) => o.status), ['fulfilled', 'rejected', 'fulfilled']);
    await assert.rejects(committer.submit(request('late')), /closed/);
  });
});
