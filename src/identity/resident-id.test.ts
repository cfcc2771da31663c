// GB 11643 resident ID numbers, phone numbers and legal names: the format rules at the edge of registration.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ageOn, checkCharacter, parseResidentId } from './resident-id.ts';
import { parsePhoneNumber, maskPhoneNumber } from './phone-number.ts';
import { parseLegalName } from './legal-name.ts';

const now = Date.UTC(2026, 10, 26, 12);

test('the check character follows ISO 7064 MOD 11-2 (published example numbers)', () => {
  // The GB 11643-1999 standard's example, and a widely published specimen ending in X.
  assert.equal(checkCharacter('11010519491231002'), 'X');
  assert.equal(checkCharacter('44052418800101001'), '4');
  const parsed = parseResidentId('11010519491231002x', now);
  assert.ok(typeof parsed !== 'string');
  assert.equal(parsed.number, '11010519491231002X');
  assert.deepEqual(parsed.birthDate, { year: 1949, month: 12, day: 31 });
});

test('every single-character change of a valid number is caught', () => {
  fc.assert(fc.property(fc.integer({ min: 0, max: 999 }), fc.integer({ min: 0, max: 17 }), fc.integer({ min: 1, max: 9 }), (sequence, position, shift) => {
    const first17 = `32010219850716${String(sequence).padStart(3, '0')}`;
    const valid = `${first17}${checkCharacter(first17)}`;
    assert.ok(typeof parseResidentId(valid, now) !== 'string');
    const chars = [...valid];
    const original = chars[position] ?? '0';
    chars[position] = position === 17 ? '10X98765432'[('10X98765432'.indexOf(original) + shift) % 11] ?? '0' : String((Number(original) + shift) % 10);
    assert.notEqual(typeof parseResidentId(chars.join(''), now), 'object', `${valid} → ${chars.join('')}`);
  }));
});

test('malformed numbers are refused with the failed check', () => {
  const cases: Array<[string, string]> = [
    ['1101051949123100', 'format'],
    ['11010519491231002XX', 'format'],
    ['11010519491231002Y', 'format'],
    ['１１０１０５１９４９１２３１００２Ｘ', 'valid'],
    ['99010519491231002X', 'region'],
    ['110105194902300021', 'birth_date'],
    ['110105189912310021', 'birth_date'],
    ['110105203001010021', 'birth_date'],
    ['110105194912310021', 'check_digit'],
  ];
  for (const [text, expected] of cases) {
    const result = parseResidentId(text, now);
    assert.equal(typeof result === 'string' ? result : 'valid', expected, text);
  }
});

test('adult age is counted on the China calendar, birthday inclusive', () => {
  assert.equal(ageOn({ year: 2008, month: 11, day: 26 }, now), 18);
  assert.equal(ageOn({ year: 2008, month: 11, day: 27 }, now), 17);
  // 2026-11-26T16:30Z is already the 27th in Beijing.
  assert.equal(ageOn({ year: 2008, month: 11, day: 27 }, Date.UTC(2026, 10, 26, 16, 30)), 18);
});

test('phone numbers: mainland mobiles in any common writing, nothing else', () => {
  assert.equal(parsePhoneNumber('13800138000'), '+8613800138000');
  assert.equal(parsePhoneNumber('+86 138-0013-8000'), '+8613800138000');
  assert.equal(parsePhoneNumber('0086 13800138000'), '+8613800138000');
  assert.equal(parsePhoneNumber('１３８００１３８０００'), '+8613800138000');
  for (const bad of ['12800138000', '1380013800', '138001380001', '+1 13800138000', '13800138000\u200b', '', '1'.repeat(40)]) assert.equal(parsePhoneNumber(bad), undefined, bad);
  assert.equal(maskPhoneNumber('+8613800138000'), '+86138****8000');
});

test('legal names: Han with the middle dot, or Latin; invisible characters and mixed scripts refused', () => {
  assert.equal(parseLegalName('张三'), '张三');
  assert.equal(parseLegalName('买买提・艾力'), '买买提·艾力');
  assert.equal(parseLegalName(' Zhang  San '), 'Zhang San');
  for (const bad of ['张', '张\u200b三', '张\u202e三', '张三a', 'Zhang三', 'Ζhang', '<script>', '张三\n', 'a'.repeat(200), '', '   ']) assert.equal(parseLegalName(bad), undefined, JSON.stringify(bad));
});
