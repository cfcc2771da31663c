// Jaro–Winkler against the published reference values (Winkler 1990 / the usual test pairs).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { jaroWinkler } from './jaro-winkler.ts';

const near = (actual: number, expected: number) =>
  assert.ok(Math.abs(actual - expected) < 0.001, `${actual} vs ${expected}`);

test('reference pairs', () => {
  near(jaroWinkler('martha', 'marhta'), 0.961);
  near(jaroWinkler('dwayne', 'duane'), 0.84);
  near(jaroWinkler('dixon', 'dicksonx'), 0.813);
  near(jaroWinkler('crate', 'trace'), 0.733);
  assert.equal(jaroWinkler('abc', 'abc'), 1);
  assert.equal(jaroWinkler('abc', 'xyz'), 0);
  assert.equal(jaroWinkler('', 'abc'), 0);
  assert.equal(jaroWinkler('', ''), 0);
});

test('symmetric on a sample', () => {
  const words = ['mohammed', 'muhammad', 'zawahiri', 'zawahri', 'li', 'lee', 'fangwei', 'kim', 'jong'];
  for (const a of words) for (const b of words) near(jaroWinkler(a, b), jaroWinkler(b, a));
});
