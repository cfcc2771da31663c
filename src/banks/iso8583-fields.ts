// The ISO 8583:1987 data elements the card link uses, ASCII encoding. A field outside this table
// cannot be decoded (its length is unknown), so a message carrying one is rejected, not skipped.

/** n: digits; an: letters, digits, space; ans: printable ASCII. */
export type FieldKind = 'n' | 'an' | 'ans';

export interface FieldSpec {
  readonly number: FieldNumber;
  readonly name: string;
  readonly kind: FieldKind;
  /** Exact length for fixed fields, maximum for LLVAR / LLLVAR (a maximum above 99 takes a three-digit prefix). */
  readonly length: number;
  readonly variable: boolean;
  /** Extra shape rule (a date that is a date), beyond the kind and length. */
  readonly shape?: (value: string) => boolean;
}

export const fieldNumbers = [2, 3, 4, 7, 11, 12, 14, 22, 37, 38, 39, 41, 42, 44, 48, 49, 70, 90] as const;
export type FieldNumber = (typeof fieldNumbers)[number];
export type Fields = { readonly [K in FieldNumber]?: string };

const two = (value: string, at: number): number => Number(value.slice(at, at + 2));
const isMonthDay = (value: string, at: number): boolean => two(value, at) >= 1 && two(value, at) <= 12 && two(value, at + 2) >= 1 && two(value, at + 2) <= 31;
const isTime = (value: string, at: number): boolean => two(value, at) <= 23 && two(value, at + 2) <= 59 && two(value, at + 4) <= 59;

const specs: readonly FieldSpec[] = [
  { number: 2, name: 'primary account number', kind: 'n', length: 19, variable: true },
  { number: 3, name: 'processing code', kind: 'n', length: 6, variable: false },
  { number: 4, name: 'amount, transaction', kind: 'n', length: 12, variable: false },
  { number: 7, name: 'transmission date and time', kind: 'n', length: 10, variable: false, shape: (v) => isMonthDay(v, 0) && isTime(v, 4) },
  { number: 11, name: 'systems trace audit number', kind: 'n', length: 6, variable: false },
  { number: 12, name: 'time, local transaction', kind: 'n', length: 6, variable: false, shape: (v) => isTime(v, 0) },
  { number: 14, name: 'date, expiration', kind: 'n', length: 4, variable: false, shape: (v) => two(v, 2) >= 1 && two(v, 2) <= 12 },
  { number: 22, name: 'point of service entry mode', kind: 'n', length: 3, variable: false },
  { number: 37, name: 'retrieval reference number', kind: 'an', length: 12, variable: false },
  { number: 38, name: 'authorisation identification response', kind: 'an', length: 6, variable: false },
  { number: 39, name: 'response code', kind: 'an', length: 2, variable: false },
  { number: 41, name: 'card acceptor terminal identification', kind: 'ans', length: 8, variable: false },
  { number: 42, name: 'card acceptor identification code', kind: 'ans', length: 15, variable: false },
  // Account verification (docs/banks.md): the issuer's result per element checked, and the tagged
  // elements the platform sends for it (CVV2, cardholder name and ID, the issuer's one-time code).
  { number: 44, name: 'additional response data', kind: 'an', length: 25, variable: true },
  { number: 48, name: 'additional data, private', kind: 'ans', length: 999, variable: true },
  { number: 49, name: 'currency code, transaction', kind: 'n', length: 3, variable: false },
  { number: 70, name: 'network management information code', kind: 'n', length: 3, variable: false },
  // Original data elements: MTI 4 + STAN 6 + transmission date/time 10 + acquirer 11 + forwarder 11.
  { number: 90, name: 'original data elements', kind: 'n', length: 42, variable: false, shape: (v) => isMonthDay(v, 10) && isTime(v, 14) },
];

export const fieldSpecs: ReadonlyMap<number, FieldSpec> = new Map(specs.map((s) => [s.number, s]));

const kindPatterns: Record<FieldKind, RegExp> = {
  n: /^[0-9]*$/,
  an: /^[A-Za-z0-9 ]*$/,
  ans: /^[\x20-\x7e]*$/,
};

/** Digits of a variable field's length prefix: LLVAR up to 99, LLLVAR above. */
export function lengthPrefixDigits(spec: FieldSpec): number {
  return spec.length > 99 ? 3 : 2;
}

/** Why a value does not fit its field, or undefined when it does. */
export function fieldProblem(spec: FieldSpec, value: string): 'too_long' | 'wrong_length' | 'bad_character' | 'bad_shape' | undefined {
  if (spec.variable ? value.length > spec.length : value.length !== spec.length) return spec.variable || value.length > spec.length ? 'too_long' : 'wrong_length';
  if (!kindPatterns[spec.kind].test(value)) return 'bad_character';
  if (spec.shape !== undefined && !spec.shape(value)) return 'bad_shape';
  return undefined;
}
