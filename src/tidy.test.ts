// The house rules the code checks itself (TigerBeetle's `tidy`): line width, function length, imports
// across capabilities only through a folder's index.ts, the edge and the composition root imported
// only by the entry points, no clock or randomness read inside deciders, no test support in
// production code. What broke a rule when the rule arrived is listed in src/tidy-ratchet.json; that
// list may only shrink: the test fails on a new violation AND on a listed one that is gone (so the
// fix also shortens the list; `node --import tsx scripts/tidy.ts --shrink` lowers it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { functionLinesMax, lineWidthMax, readRatchet, scan, type Ratchet } from '../scripts/tidy.ts';

const ratchet = readRatchet();
const found = scan();

const rules: readonly [keyof Ratchet, string][] = [
  ['lineWidth', `lines longer than ${lineWidthMax} characters`],
  ['functionLength', `functions longer than ${functionLinesMax} lines`],
  ['doorImports', 'imports into another capability that bypass its index.ts'],
  ['edgeImports', 'imports of http/, wiring/ or commands/ (or of test support) outside the entry points'],
  ['clockInDeciders', 'Date.now() or Math.random() read inside a decider (pass the clock in)'],
];

for (const [rule, meaning] of rules) {
  test(`tidy: ${meaning}`, () => {
    const allowed = ratchet[rule];
    const now = found[rule];
    const grown = Object.entries(now).filter(([key, count]) => count > (allowed[key] ?? 0));
    const shrunk = Object.entries(allowed).filter(([key, count]) => (now[key] ?? 0) < count);
    const grownLines = grown.map(([key, count]) => `${key}: ${count} (allowed ${allowed[key] ?? 0})`);
    assert.deepEqual(grownLines, [], `new ${meaning}; fix them`);
    assert.deepEqual(
      shrunk.map(([key, count]) => `${key}: ${now[key] ?? 0} (listed ${count})`),
      [],
      `fewer ${meaning} than src/tidy-ratchet.json lists: lower (or remove) these entries so the fix stays`,
    );
  });
}

test('tidy: the ratchet lists files and imports in sorted order (merges stay simple)', () => {
  for (const [rule] of rules) {
    const keys = Object.keys(ratchet[rule]);
    assert.deepEqual(keys, [...keys].sort(), `${rule} is not sorted`);
  }
});
