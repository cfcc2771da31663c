// Decimal amounts of ISO 20022 messages to and from minor units, exactly: an amount with more
// fraction digits than its currency has (other than trailing zeros) is refused, never rounded.
import { findCurrency } from '../money/index.ts';

export class AmountRefused extends Error {
  readonly code = 'bank_file_amount_precision' as const;
}

/** The currency's minor-unit exponent; codes the platform does not hold (bank samples' SEK, CHF…) count 2. */
export function exponentOf(currency: string): number {
  return findCurrency(currency)?.exponent ?? 2;
}

export function minorOf(text: string, currency: string): bigint {
  const [whole = '', rawFraction, extra] = text.trim().split('.');
  if (
    extra !== undefined ||
    !/^[0-9]{1,18}$/.test(whole) ||
    (rawFraction !== undefined && !/^[0-9]{1,18}$/.test(rawFraction))
  ) {
    throw new AmountRefused('an amount is not a decimal number');
  }
  const exponent = exponentOf(currency);
  const fraction = (rawFraction ?? '').replace(/0+$/, '');
  if (fraction.length > exponent)
    throw new AmountRefused(`an amount in ${currency} has more than ${exponent} decimals`);
  return BigInt(whole) * 10n ** BigInt(exponent) + BigInt(fraction.padEnd(exponent, '0') || '0');
}

export function decimalOf(minor: bigint, currency: string): string {
  const exponent = exponentOf(currency);
  if (minor < 0n) throw new RangeError('a message amount is never negative');
  if (exponent === 0) return minor.toString();
  const digits = minor.toString().padStart(exponent + 1, '0');
  return `${digits.slice(0, -exponent)}.${digits.slice(-exponent)}`;
}
