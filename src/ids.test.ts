// Ids: the pattern every schema checks, time order, and randomness that does not repeat across the
// blocks it is drawn from (newId draws the system generator 256 ids at a time).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { idPattern, newId } from './ids.ts';

// eslint-disable-next-line security/detect-non-literal-regexp -- the module's own constant pattern
const idRegExp = new RegExp(idPattern);

test('ids match the pattern and sort by their time', () => {
  const earlier = newId('pay', 1_700_000_000_000);
  const later = newId('pay', 1_700_000_000_001);
  assert.match(earlier, idRegExp);
  assert.match(later, idRegExp);
  assert.ok(earlier < later);
  assert.equal(earlier.slice(0, 14), newId('pay', 1_700_000_000_000).slice(0, 14), 'same time, same time part');
});

test('ids made at the same millisecond across many blocks of randomness are all different', () => {
  const ids = Array.from({ length: 20_000 }, () => newId('rsk', 1_700_000_000_000));
  assert.equal(new Set(ids).size, ids.length);
  // No block repeats another: the random parts of consecutive blocks of 256 differ in every position.
  const randoms = ids.map((id) => id.slice(-16));
  for (let i = 256; i < randoms.length; i += 256) assert.notEqual(randoms[i], randoms[i - 256]);
});

test('the random part uses the whole alphabet, about evenly', () => {
  const counts = new Map<string, number>();
  for (let i = 0; i < 4_000; i++) for (const c of newId('rsk', 0).slice(-16)) counts.set(c, (counts.get(c) ?? 0) + 1);
  assert.equal(counts.size, 32);
  // 64,000 characters over 32: 2,000 expected each; ±15 % is many standard deviations (≈ 44) wide.
  for (const [c, n] of counts) assert.ok(n > 1_700 && n < 2_300, `${c}: ${n}`);
});
