// Account verification when a customer binds a card (docs/banks.md "Account verification"): the
// platform asks the issuer whether the card, its security code (CVV2) and the cardholder's name and
// resident ID belong together, and the issuer sends a one-time code to the phone it has on file; the
// customer's code then goes back to the issuer in a second request. Both are 0100 with processing
// code 33 and a zero amount, so no funds are held. The elements travel in field 48 (additional
// data, private) as tags; the issuer answers per element in field 44 (additional response data).
// Shared by the link and the simulator so the two sides cannot drift apart.
import type { Iso8583Message } from './iso8583-codec.ts';

/** Field 3: transaction type 33 (account verification, an inquiry: nothing is debited), default accounts. */
export const accountVerificationCode = '330000';

/** Field 48 tags: two letters, a three-digit length, the value. */
export interface VerificationElements {
  /** CVV2 / CVN2, three or four digits. Sent, never stored. */
  readonly cvv2?: string;
  /** The cardholder's legal name, UTF-8 as hex (the link is ASCII; names are Chinese). */
  readonly holderName?: string;
  /** The cardholder's resident ID number (GB 11643, 18 characters), ID type 01. */
  readonly holderIdNumber?: string;
  /** The issuer's one-time code the customer entered. */
  readonly oneTimeCode?: string;
}

const tags = { cvv2: 'CV', holderName: 'NM', holderIdNumber: 'ID', oneTimeCode: 'OT' } as const;
/** ID type in the ID element: 01 resident identity card. */
const residentIdType = '01';

function tag(name: string, value: string): string {
  return `${name}${String(value.length).padStart(3, '0')}${value}`;
}

export function encodeElements(elements: VerificationElements): string {
  let out = '';
  if (elements.cvv2 !== undefined) out += tag(tags.cvv2, elements.cvv2);
  if (elements.holderName !== undefined)
    out += tag(tags.holderName, Buffer.from(elements.holderName, 'utf8').toString('hex').toUpperCase());
  if (elements.holderIdNumber !== undefined)
    out += tag(tags.holderIdNumber, `${residentIdType}${elements.holderIdNumber}`);
  if (elements.oneTimeCode !== undefined) out += tag(tags.oneTimeCode, elements.oneTimeCode);
  return out;
}

/** Field 48 read back; undefined when it is not a well-formed run of known tags. */
export function decodeElements(text: string): VerificationElements | undefined {
  const found: { -readonly [K in keyof VerificationElements]: string } = {};
  for (let at = 0; at < text.length;) {
    const name = text.slice(at, at + 2);
    const length = Number(text.slice(at + 2, at + 5));
    const value = text.slice(at + 5, at + 5 + length);
    if (!/^[0-9]{3}$/.test(text.slice(at + 2, at + 5)) || value.length !== length) return undefined;
    at += 5 + length;
    if (name === tags.cvv2) found.cvv2 = value;
    else if (name === tags.holderName && value.length % 2 === 0 && /^[0-9A-F]*$/.test(value))
      found.holderName = Buffer.from(value, 'hex').toString('utf8');
    else if (name === tags.holderIdNumber && value.startsWith(residentIdType)) found.holderIdNumber = value.slice(2);
    else if (name === tags.oneTimeCode) found.oneTimeCode = value;
    else return undefined;
  }
  return found;
}

/** Field 44 of a verification answer: one letter each for CVV2, name, ID — M match, N no match, U not checked. */
export type ElementResult = 'M' | 'N' | 'U';
export interface VerificationResults {
  readonly cvv2: ElementResult;
  readonly name: ElementResult;
  readonly idNumber: ElementResult;
}

export function encodeResults(results: VerificationResults): string {
  return `${results.cvv2}${results.name}${results.idNumber}`;
}

export function decodeResults(text: string | undefined): VerificationResults {
  const letter = (i: number): ElementResult => {
    const c = text?.[i];
    return c === 'M' || c === 'N' ? c : 'U';
  };
  return { cvv2: letter(0), name: letter(1), idNumber: letter(2) };
}

/** Adds field 48 (and 37, naming the verification an OTP answers) to a zero-amount 0100. */
export function withVerification(
  base: Iso8583Message,
  elements: VerificationElements,
  retrievalReference?: string,
): Iso8583Message {
  return {
    mti: base.mti,
    fields: {
      ...base.fields,
      48: encodeElements(elements),
      ...(retrievalReference === undefined ? {} : { 37: retrievalReference }),
    },
  };
}
