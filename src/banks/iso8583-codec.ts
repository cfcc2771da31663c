// ISO 8583:1987 in ASCII: MTI (4 digits), bitmap in hex (primary, plus secondary when a field above
// 64 is present), then the fields in bit order. Decoding never throws: a peer's malformed bytes are
// an expected outcome at this edge, returned as a typed error; encoding throws a typed error, since
// only the platform's own (already validated) values reach it.
import {
  fieldNumbers,
  fieldProblem,
  fieldSpecs,
  lengthPrefixDigits,
  type FieldNumber,
  type Fields,
} from './iso8583-fields.ts';

export interface Iso8583Message {
  readonly mti: string;
  readonly fields: Fields;
}

export type Iso8583ErrorCode =
  | 'mti_invalid'
  | 'bitmap_invalid'
  | 'field_unsupported'
  | 'field_too_long'
  | 'field_wrong_length'
  | 'field_bad_character'
  | 'field_bad_shape'
  | 'message_truncated'
  | 'trailing_bytes';

export class Iso8583Error extends Error {
  readonly code: Iso8583ErrorCode;
  readonly field: number | undefined;
  constructor(code: Iso8583ErrorCode, field?: number) {
    // The message names the code and field number only, never a value (it may be a PAN).
    super(field === undefined ? code : `${code} (field ${field})`);
    this.name = 'Iso8583Error';
    this.code = code;
    this.field = field;
  }
}

export type DecodeResult =
  { readonly ok: true; readonly message: Iso8583Message } | { readonly ok: false; readonly error: Iso8583Error };

const mtiPattern = /^0[0-9]{3}$/; // version digit 0: ISO 8583:1987
const bitmapPattern = /^[0-9A-Fa-f]{16}$/;

function checkValue(field: FieldNumber, value: string): Iso8583Error | undefined {
  const spec = fieldSpecs.get(field);
  if (spec === undefined) return new Iso8583Error('field_unsupported', field);
  const problem = fieldProblem(spec, value);
  return problem === undefined ? undefined : new Iso8583Error(`field_${problem}`, field);
}

function bitmapHex(present: readonly number[], from: number): string {
  let bits = 0n;
  for (const n of present) if (n >= from && n < from + 64) bits |= 1n << BigInt(63 - (n - from));
  return bits.toString(16).toUpperCase().padStart(16, '0');
}

/** The message as ASCII bytes. Throws Iso8583Error when a value does not fit its field. */
export function encodeMessage(message: Iso8583Message): Buffer {
  if (!mtiPattern.test(message.mti)) throw new Iso8583Error('mti_invalid');
  const present = fieldNumbers.filter((n) => message.fields[n] !== undefined);
  if (present.length === 0) throw new Iso8583Error('bitmap_invalid');
  const secondary = present.some((n) => n > 64);
  const bitmaps = secondary ? [...present, 1] : present;
  let out = message.mti + bitmapHex(bitmaps, 1) + (secondary ? bitmapHex(present, 65) : '');
  for (const n of present) {
    const value = message.fields[n] as string;
    const error = checkValue(n, value);
    if (error !== undefined) throw error;
    const spec = fieldSpecs.get(n);
    out += spec?.variable === true ? String(value.length).padStart(lengthPrefixDigits(spec), '0') + value : value;
  }
  return Buffer.from(out, 'ascii');
}

/** Set bit numbers (1-based, as ISO counts them) of a 16-hex-digit bitmap starting at `from`. */
function bitsOf(hex: string, from: number): number[] {
  const value = BigInt(`0x${hex}`);
  const set: number[] = [];
  for (let i = 0; i < 64; i += 1) if ((value >> BigInt(63 - i)) & 1n) set.push(from + i);
  return set;
}

function readBitmaps(text: string): { bits: number[]; offset: number } | Iso8583Error {
  const primary = text.slice(4, 20);
  if (primary.length < 16) return new Iso8583Error('message_truncated');
  if (!bitmapPattern.test(primary)) return new Iso8583Error('bitmap_invalid');
  const bits = bitsOf(primary, 1);
  if (bits[0] !== 1) return bits.length === 0 ? new Iso8583Error('bitmap_invalid') : { bits, offset: 20 };
  const second = text.slice(20, 36);
  if (second.length < 16) return new Iso8583Error('message_truncated');
  if (!bitmapPattern.test(second)) return new Iso8583Error('bitmap_invalid');
  const more = bitsOf(second, 65);
  // An empty secondary bitmap is not "needed"; bit 65 would announce a tertiary one (not 1987).
  if (more.length === 0 || more[0] === 65) return new Iso8583Error('bitmap_invalid');
  return { bits: [...bits.slice(1), ...more], offset: 36 };
}

function readField(text: string, n: number, offset: number): { value: string; offset: number } | Iso8583Error {
  const spec = fieldSpecs.get(n);
  if (spec === undefined) return new Iso8583Error('field_unsupported', n);
  let length = spec.length;
  let at = offset;
  if (spec.variable) {
    const digits = lengthPrefixDigits(spec);
    const prefix = text.slice(at, at + digits);
    if (prefix.length < digits) return new Iso8583Error('message_truncated', n);
    if (!/^[0-9]+$/.test(prefix)) return new Iso8583Error('field_bad_character', n);
    length = Number(prefix);
    if (length > spec.length) return new Iso8583Error('field_too_long', n);
    at += digits;
  }
  const value = text.slice(at, at + length);
  if (value.length < length) return new Iso8583Error('message_truncated', n);
  const error = checkValue(n as FieldNumber, value);
  return error ?? { value, offset: at + length };
}

/** Decodes one message (one frame's payload). Never throws. */
export function decodeMessage(bytes: Uint8Array): DecodeResult {
  // latin1 maps every byte to one character, so offsets stay byte offsets and any byte outside
  // ASCII fails its field's character class instead of being silently replaced.
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  const mti = text.slice(0, 4);
  if (mti.length < 4) return { ok: false, error: new Iso8583Error('message_truncated') };
  if (!mtiPattern.test(mti)) return { ok: false, error: new Iso8583Error('mti_invalid') };
  const bitmaps = readBitmaps(text);
  if (bitmaps instanceof Iso8583Error) return { ok: false, error: bitmaps };
  const fields: Partial<Record<FieldNumber, string>> = {};
  let offset = bitmaps.offset;
  for (const n of bitmaps.bits) {
    const read = readField(text, n, offset);
    if (read instanceof Iso8583Error) return { ok: false, error: read };
    fields[n as FieldNumber] = read.value;
    offset = read.offset;
  }
  if (offset !== text.length) return { ok: false, error: new Iso8583Error('trailing_bytes') };
  return { ok: true, message: { mti, fields } };
}
