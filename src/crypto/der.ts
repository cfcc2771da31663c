// The little DER and PEM this capability must read and write itself: SM2 keys (Node cannot export
// OpenSSL's SM2 key objects), SM2 signatures and the GM/T 0009 SM2 ciphertext. Strict: minimal
// lengths and integers only, so one value has one encoding.
import { CryptoError } from './errors.ts';

export interface Tlv {
  readonly tag: number;
  readonly value: Buffer;
  readonly end: number;
}

const derLengthBytesMax = 3;

function malformed(): never {
  throw new CryptoError('crypto_malformed_key', 'malformed DER');
}

/** Reads one TLV at `offset`; throws (a CryptoError with `crypto_malformed_key`) on anything not strict DER. */
export function readTlv(bytes: Buffer, offset: number): Tlv {
  const tag = bytes[offset];
  const first = bytes[offset + 1];
  if (tag === undefined || first === undefined) malformed();
  let length = first;
  let start = offset + 2;
  if (first & 0x80) {
    const count = first & 0x7f;
    if (count === 0 || count > derLengthBytesMax) malformed();
    length = 0;
    for (let i = 0; i < count; i += 1) {
      const byte = bytes[start + i];
      if (byte === undefined || (i === 0 && byte === 0)) malformed();
      length = length * 256 + byte;
    }
    if (length < 0x80) malformed();
    start += count;
  }
  const end = start + length;
  if (end > bytes.length) malformed();
  return { tag, value: bytes.subarray(start, end), end };
}

/** Reads the children of a constructed value that must span `value` exactly. */
export function readChildren(value: Buffer): Tlv[] {
  const children: Tlv[] = [];
  let offset = 0;
  while (offset < value.length) {
    const child = readTlv(value, offset);
    children.push(child);
    offset = child.end;
  }
  return children;
}

/** Reads a single top-level SEQUENCE spanning all of `bytes` and returns its children. */
export function readSequence(bytes: Buffer): Tlv[] {
  const outer = readTlv(bytes, 0);
  if (outer.tag !== 0x30 || outer.end !== bytes.length) malformed();
  return readChildren(outer.value);
}

/** A non-negative INTEGER in minimal two's complement form. */
export function readUnsignedInteger(tlv: Tlv | undefined): bigint {
  if (tlv === undefined || tlv.tag !== 0x02 || tlv.value.length === 0) malformed();
  const [first, second] = tlv.value;
  if (first === undefined || first & 0x80) malformed();
  if (first === 0 && second !== undefined && (second & 0x80) === 0) malformed();
  return BigInt(`0x${tlv.value.toString('hex') || '0'}`);
}

function encodeLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

export function encodeTlv(tag: number, value: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from([tag]), encodeLength(value.length), value]);
}

export function encodeSequence(children: readonly Uint8Array[]): Buffer {
  return encodeTlv(0x30, Buffer.concat(children));
}

export function encodeUnsignedInteger(value: bigint): Buffer {
  let hex = value.toString(16);
  if (hex.length % 2 === 1) hex = `0${hex}`;
  let bytes = Buffer.from(hex, 'hex');
  if ((bytes[0] ?? 0) & 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes]);
  return encodeTlv(0x02, bytes);
}

/** Big-endian fixed-width bytes of a non-negative integer that fits. */
export function bigintToBytes(value: bigint, width: number): Buffer {
  const hex = value.toString(16).padStart(width * 2, '0');
  if (hex.length > width * 2) throw new CryptoError('crypto_unsupported_parameter', 'integer too large');
  return Buffer.from(hex, 'hex');
}

export function bytesToBigint(bytes: Uint8Array): bigint {
  return bytes.length === 0 ? 0n : BigInt(`0x${Buffer.from(bytes).toString('hex')}`);
}

const pemPattern = /^-----BEGIN ([A-Z0-9 ]+)-----\r?\n([A-Za-z0-9+/=\r\n]+)-----END \1-----\r?\n?$/;

/** Decodes a single PEM block with the given label ('PRIVATE KEY', 'PUBLIC KEY'). */
export function pemToDer(pem: string, label: string): Buffer {
  const match = pemPattern.exec(pem.trim() + '\n');
  if (match === null || match[1] !== label || match[2] === undefined) {
    throw new CryptoError('crypto_malformed_key', `expected one PEM block labelled ${label}`);
  }
  const body = match[2].replace(/\r?\n/g, '');
  const der = Buffer.from(body, 'base64');
  if (der.length === 0 || der.toString('base64') !== body) {
    throw new CryptoError('crypto_malformed_key', 'PEM body is not canonical base64');
  }
  return der;
}

export function derToPem(der: Buffer, label: string): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
