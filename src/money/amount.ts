// Amounts are bigint minor units with their currency. Parsing accepts only plain decimal strings:
// no floats, no exponents, no signs unless asked for, never more decimals than the currency has.
import { AnfuError } from '../errors.ts';
import { findCurrency, type Currency } from './currency.ts';

export interface Amount {
  readonly minor: bigint;
  readonly currency: Currency;
}

export interface ParseOptions {
  /** Upper bound in minor units (inclusive). */
  readonly maxMinor: bigint;
  /** Zero is allowed only when asked for (a transfer of nothing is a mistake). */
  readonly allowZero?: boolean;
  readonly allowNegative?: boolean;
  /** The currencies the platform has enabled (ANFU_CURRENCIES); a known code outside them is `currency_not_enabled`. */
  readonly currencies?: readonly string[];
}

// eslint-disable-next-line security/detect-unsafe-regex -- bounded repetitions, linear time
const majorPattern = /^(-)?(0|[1-9][0-9]{0,20})(?:\.([0-9]{1,6}))?$/;
const minorPattern = /^(-)?(0|[1-9][0-9]{0,20})$/;

export function currencyOf(code: unknown): Currency {
  if (typeof code !== 'string') throw new AnfuError('unknown_currency', 'currency must be a string');
  const currency = findCurrency(code);
  if (currency === undefined) throw new AnfuError('unknown_currency', `unknown currency '${code.slice(0, 8)}'`);
  return currency;
}

/** The refusal of a currency the platform has not enabled, or undefined when it is enabled. */
export function currencyRefusal(code: string, enabled: readonly string[]): AnfuError | undefined {
  return enabled.includes(code)
    ? undefined
    : new AnfuError('currency_not_enabled', `money moves in ${enabled.join(', ')} only`, { currencies: [...enabled] });
}

/** Refuses a currency the platform has not enabled, before anything is looked up or written. */
export function requireEnabledCurrency(code: string, enabled: readonly string[]): void {
  const refusal = currencyRefusal(code, enabled);
  if (refusal !== undefined) throw refusal;
}

/** Parse a decimal string in major units ("12.34") into minor units. */
export function parseMajor(text: unknown, currencyCode: unknown, options: ParseOptions): Amount {
  const currency = currencyOf(currencyCode);
  if (options.currencies !== undefined) requireEnabledCurrency(currency.code, options.currencies);
  if (typeof text !== 'string') throw new AnfuError('invalid_amount', 'amounts travel as strings');
  const match = majorPattern.exec(text);
  if (match === null) throw new AnfuError('invalid_amount', 'expected a plain decimal such as "12.34"');
  const [, sign, whole = '0', fraction = ''] = match;
  if (fraction.length > currency.exponent) {
    throw new AnfuError('invalid_amount', `${currency.code} has ${currency.exponent} decimal places`);
  }
  const minorText = whole + fraction.padEnd(currency.exponent, '0');
  return checked((sign === '-' ? -1n : 1n) * BigInt(minorText), currency, options);
}

/** Parse an integer string of minor units ("1234" = 12.34 CNY). */
export function parseMinor(text: unknown, currencyCode: unknown, options: ParseOptions): Amount {
  const currency = currencyOf(currencyCode);
  if (typeof text !== 'string') throw new AnfuError('invalid_amount', 'amounts travel as strings');
  const match = minorPattern.exec(text);
  if (match === null) throw new AnfuError('invalid_amount', 'expected an integer number of minor units');
  return checked(BigInt(text), currency, options);
}

function checked(minor: bigint, currency: Currency, options: ParseOptions): Amount {
  if (minor < 0n && options.allowNegative !== true)
    throw new AnfuError('invalid_amount', 'amount must not be negative');
  if (minor === 0n && options.allowZero !== true)
    throw new AnfuError('invalid_amount', 'amount must be greater than zero');
  const magnitude = minor < 0n ? -minor : minor;
  if (magnitude > options.maxMinor) {
    throw new AnfuError(
      'amount_too_large',
      `the maximum is ${formatMajor(options.maxMinor, currency)} ${currency.code}`,
    );
  }
  return { minor, currency };
}

/** Render minor units as a decimal string in major units ("1234" CNY → "12.34"). */
export function formatMajor(minor: bigint, currency: Currency): string {
  const negative = minor < 0n;
  const digits = (negative ? -minor : minor).toString();
  if (currency.exponent === 0) return (negative ? '-' : '') + digits;
  const padded = digits.padStart(currency.exponent + 1, '0');
  const whole = padded.slice(0, padded.length - currency.exponent);
  const fraction = padded.slice(padded.length - currency.exponent);
  return `${negative ? '-' : ''}${whole}.${fraction}`;
}
