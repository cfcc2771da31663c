// The self-describing layout of envelope-encrypted values, so any stored ciphertext says which data
// key (purpose + version) sealed it and, through the profile's tag byte, with which algorithm:
//
//   sealed value  = [0xA7][format 0x01][purpose length][purpose ASCII][version u32 BE][profile seal blob]
//   blind index   = [version u32 BE][MAC]
//
// The version sits right after a constant prefix, so within one column byte order is version order:
// `col < header(purpose, v)` finds every value sealed under an older version (memcmp in SQLite, bytea
// order in PostgreSQL), which is what rewrap and retirement query.
import { CryptoError } from './errors.ts';

const magic = 0xa7;
const formatVersion = 0x01;
const purposePattern = /^[a-z][a-z0-9-]{0,30}$/;
export const versionMax = 0xffff_ffff;

export interface EnvelopeHeader {
  readonly purpose: string;
  readonly version: number;
  /** The header bytes, authenticated as part of the AAD. */
  readonly bytes: Buffer;
  /** The profile's sealed blob (its first byte is the algorithm tag). */
  readonly body: Buffer;
}

function versionBytes(version: number): Buffer {
  if (!Number.isInteger(version) || version < 0 || version > versionMax) throw new CryptoError('crypto_unsupported_parameter', 'key version out of range');
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(version);
  return bytes;
}

export function isPurposeName(purpose: string): boolean {
  return purposePattern.test(purpose);
}

export function envelopeHeader(purpose: string, version: number): Buffer {
  if (!isPurposeName(purpose)) throw new CryptoError('crypto_unsupported_parameter', 'malformed key purpose');
  return Buffer.concat([Buffer.from([magic, formatVersion, purpose.length]), Buffer.from(purpose, 'ascii'), versionBytes(version)]);
}

/** Parses the header; anything that is not a well-formed envelope is `crypto_decrypt_failed`. */
export function parseEnvelope(value: Uint8Array): EnvelopeHeader {
  const buffer = Buffer.from(value.buffer, value.byteOffset, value.length);
  if (buffer.length < 3 || buffer[0] !== magic) throw new CryptoError('crypto_decrypt_failed');
  if (buffer[1] !== formatVersion) throw new CryptoError('crypto_unknown_algorithm', 'unknown envelope format');
  const purposeLength = buffer[2] ?? 0;
  const headerLength = 3 + purposeLength + 4;
  if (buffer.length <= headerLength) throw new CryptoError('crypto_decrypt_failed');
  const purpose = buffer.subarray(3, 3 + purposeLength).toString('latin1');
  if (!isPurposeName(purpose)) throw new CryptoError('crypto_decrypt_failed');
  return {
    purpose,
    version: buffer.readUInt32BE(3 + purposeLength),
    bytes: buffer.subarray(0, headerLength),
    body: buffer.subarray(headerLength),
  };
}

export function blindIndexValue(version: number, mac: Uint8Array): Buffer {
  return Buffer.concat([versionBytes(version), mac]);
}

/** The smallest blind index of `version`: `col < blindIndexPrefix(v)` is every index of an older version. */
export function blindIndexPrefix(version: number): Buffer {
  return versionBytes(version);
}

export function blindIndexVersion(value: Uint8Array): number {
  if (value.length < 5) throw new CryptoError('crypto_decrypt_failed');
  return Buffer.from(value.buffer, value.byteOffset, value.length).readUInt32BE(0);
}

/**
 * The authenticated context of a protected column value: a value copied to another row, column or
 * table no longer opens.
 */
export function fieldContext(table: string, column: string, rowId: string): Buffer {
  return Buffer.from(`anfu field v1|${table}|${column}|${rowId}`, 'utf8');
}
