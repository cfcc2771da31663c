// What a customer types to bind a card. The PAN is Luhn-checked and goes straight into the token
// vault; the security code (CVV2/CVN2) goes to the issuer in the account verification and nowhere
// else: not to the vault, the store or a log (PCI DSS forbids keeping it after authorisation).
import { luhnValid } from '../cards/index.ts';
import { AnfuError } from '../errors.ts';

export interface CardDetails {
  readonly pan: string;
  readonly expiryMonth: number;
  readonly expiryYear: number;
  readonly cvv2: string;
}

/** The PAN's digits, once the number and the expiry (Beijing month) are plausible. */
export function checkedCardDetails(details: CardDetails, now: number): string {
  const digits = details.pan.replace(/[\s-]/g, '');
  if (!/^[0-9]{12,19}$/.test(digits) || !luhnValid(digits))
    throw new AnfuError('card_number_invalid', 'a card number is 12 to 19 digits with a valid check digit');
  if (details.expiryYear * 12 + details.expiryMonth < yearMonthOf(now))
    throw new AnfuError('validation_failed', 'the card has expired');
  if (!/^[0-9]{3,4}$/.test(details.cvv2))
    throw new AnfuError('validation_failed', 'the security code is 3 or 4 digits');
  return digits;
}

/** YYMM as ISO 8583 field 14 carries it. */
export function expiryField(details: Pick<CardDetails, 'expiryMonth' | 'expiryYear'>): string {
  return `${String(details.expiryYear % 100).padStart(2, '0')}${String(details.expiryMonth).padStart(2, '0')}`;
}

function yearMonthOf(now: number): number {
  const date = new Date(now + 8 * 3600_000); // Beijing
  return date.getUTCFullYear() * 12 + date.getUTCMonth() + 1;
}
