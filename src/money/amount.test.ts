import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { AnfuError } from '../errors.ts';
import { findCurrency, formatMajor, parseMajor, parseMinor } from './index.ts';

const limits = { maxMinor: 100_000_000_000n };
const cny = findCurrency('CNY');
const jpy = findCurrency('JPY');
const kwd = findCurrency('KWD');

function codeOf(work: () => unknown): string {
  try {
    work();
  } catch (error) {
    if (error instanceof AnfuError) return error.code;
    throw error;
  }
  return 'accepted';
}

test('major-unit strings parse to exact minor units by the currency exponent', () => {
  assert.equal(parseMajor('12.34', 'CNY', limits).minor, 1234n);
  assert.equal(parseMajor('12.3', 'CNY', limits).minor, 1230n);
  assert.equal(parseMajor('12', 'CNY', limits).minor, 1200n);
  assert.equal(parseMajor('0.01', 'CNY', limits).minor, 1n);
  assert.equal(parseMajor('1500', 'JPY', limits).minor, 1500n);
  assert.equal(parseMajor('1.234', 'KWD', limits).minor, 1234n);
  assert.equal(parseMinor('1234', 'CNY', limits).minor, 1234n);
});

test('what is not an amount is refused with a stable code', () => {
  const table: Array<[unknown, string, string]> = [
    [12.34, 'CNY', 'invalid_amount'],
    ['1e3', 'CNY', 'invalid_amount'],
    ['1.5E2', 'CNY', 'invalid_amount'],
    ['12.345', 'CNY', 'invalid_amount'],
    ['1.5', 'JPY', 'invalid_amount'],
    ['-1.00', 'CNY', 'invalid_amount'],
    ['+1.00', 'CNY', 'invalid_amount'],
    ['0', 'CNY', 'invalid_amount'],
    ['0.00', 'CNY', 'invalid_amount'],
    ['01.00', 'CNY', 'invalid_amount'],
    [' 1.00', 'CNY', 'invalid_amount'],
    ['1.', 'CNY', 'invalid_amount'],
    ['.5', 'CNY', 'invalid_amount'],
    ['1,00', 'CNY', 'invalid_amount'],
    ['１２', 'CNY', 'invalid_amount'],
    ['NaN', 'CNY', 'invalid_amount'],
    ['Infinity', 'CNY', 'invalid_amount'],
    ['0x10', 'CNY', 'invalid_amount'],
    ['1000000000.01', 'CNY', 'amount_too_large'],
    ['99999999999999999999', 'CNY', 'amount_too_large'],
    ['9'.repeat(40), 'CNY', 'invalid_amount'],
    ['1.00', 'XXX', 'unknown_currency'],
    ['1.00', 'cny', 'unknown_currency'],
  ];
  for (const [text, currency, code] of table) assert.equal(codeOf(() => parseMajor(text, currency, limits)), code, `${String(text)} ${currency}`);
  assert.equal(codeOf(() => parseMinor('12.5', 'CNY', limits)), 'invalid_amount');
});

test('the maximum is inclusive: N is accepted and N+1 refused', () => {
  assert.equal(parseMinor('100000000000', 'CNY', limits).minor, 100_000_000_000n);
  assert.equal(codeOf(() => parseMinor('100000000001', 'CNY', limits)), 'amount_too_large');
});

test('negative and zero only when asked for', () => {
  assert.equal(parseMajor('-1.50', 'CNY', { ...limits, allowNegative: true }).minor, -150n);
  assert.equal(parseMajor('0', 'CNY', { ...limits, allowZero: true }).minor, 0n);
});

test('formatting and parsing round-trip for every amount and exponent', () => {
  assert.ok(cny && jpy && kwd);
  fc.assert(
    fc.property(fc.bigInt({ min: 1n, max: limits.maxMinor }), fc.constantFrom(cny, jpy, kwd), (minor, currency) => {
      const text = formatMajor(minor, currency);
      assert.equal(parseMajor(text, currency.code, limits).minor, minor);
    }),
    { numRuns: 2000 },
  );
  assert.equal(formatMajor(5n, cny), '0.05');
  assert.equal(formatMajor(-1234n, cny), '-12.34');
  assert.equal(formatMajor(7n, jpy), '7');
});
