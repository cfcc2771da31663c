/* eslint-disable security/detect-non-literal-fs-filename -- the KEK path comes from operator configuration, never from a request */
// The key-encryption key (KEK): the root of the key hierarchy. It comes from a file or an environment
// secret, never from the database, and is held only inside a `Kek` object that prints as [redacted].
// Outside development a missing or weak KEK stops start-up; in development one is generated once.
import { hkdfSync, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from 'node:util';
import type { Config } from '../config.ts';
import { KeyringError } from './keyring-errors.ts';

export const kekBytes = 32;
/** Random 32 bytes have about 30 distinct values; a key with fewer than this was not drawn at random. */
const distinctBytesMin = 20;

export class Kek {
  readonly #bytes: Buffer;
  /** A public fingerprint stored beside each wrapped data key, so a wrong KEK is named, not guessed. */
  readonly id: string;
  /** Where the KEK came from, for start-up messages (never the key). */
  readonly source: string;

  constructor(bytes: Uint8Array, source: string) {
    assertStrongKek(bytes);
    this.#bytes = Buffer.from(bytes);
    this.id = Buffer.from(hkdfSync('sha256', this.#bytes, Buffer.alloc(0), 'anfu kek fingerprint v1', 8)).toString(
      'hex',
    );
    this.source = source;
    Object.freeze(this);
  }

  /**
   * A wrapping key per seal algorithm (HKDF with the profile's hash), so the one KEK never keys two
   * different ciphers directly.
   */
  wrappingKeyBytes(hash: 'sha256' | 'sm3', algorithm: string): Buffer {
    return Buffer.from(hkdfSync(hash, this.#bytes, Buffer.alloc(0), `anfu kek wrap v1 ${algorithm}`, kekBytes));
  }

  toJSON(): string {
    return `[kek ${this.id}]`;
  }

  [inspect.custom](): string {
    return `Kek { id: '${this.id}' }`;
  }
}

/** Refuses a key of the wrong length, all zero, text-like or with too few distinct bytes. */
export function assertStrongKek(bytes: Uint8Array): void {
  if (bytes.length !== kekBytes)
    throw new KeyringError('keyring_kek_weak', `the KEK must be ${kekBytes} bytes (base64 of 32 random bytes)`);
  const distinct = new Set(bytes).size;
  if (distinct < distinctBytesMin)
    throw new KeyringError(
      'keyring_kek_weak',
      'the KEK has too little entropy: generate it with `openssl rand -base64 32`',
    );
  if (bytes.every((b) => b >= 0x20 && b < 0x7f))
    throw new KeyringError(
      'keyring_kek_weak',
      'the KEK looks like text, not random bytes: give base64 of 32 random bytes',
    );
}

/** Base64 (standard or URL-safe) of exactly 32 bytes, or undefined. */
export function decodeKekText(text: string): Buffer | undefined {
  const trimmed = text.trim();
  if (!/^[A-Za-z0-9+/_-]{43}=?$/.test(trimmed)) return undefined;
  const bytes = Buffer.from(trimmed.replaceAll('-', '+').replaceAll('_', '/'), 'base64');
  return bytes.length === kekBytes ? bytes : undefined;
}

function readKekFile(path: string, environment: Config['environment']): Buffer {
  let raw: Buffer;
  try {
    raw = readFileSync(path);
  } catch {
    throw new KeyringError('keyring_kek_missing', `cannot read ANFU_KEK_FILE ${path}`);
  }
  // A KEK readable by every local user is as good as published.
  if (environment === 'production' && (statSync(path).mode & 0o004) !== 0) {
    throw new KeyringError('keyring_kek_weak', `ANFU_KEK_FILE ${path} is world-readable: chmod 600 it`);
  }
  if (raw.length === kekBytes) return raw;
  const decoded = decodeKekText(raw.toString('latin1'));
  if (decoded === undefined)
    throw new KeyringError(
      'keyring_kek_weak',
      `ANFU_KEK_FILE ${path} must hold base64 of 32 bytes (or the 32 raw bytes)`,
    );
  return decoded;
}

/** The development KEK under `<dataDir>/keys/kek` (mode 0600), created by the first process to need it. */
function developmentKek(dataDir: string): Kek {
  const dir = join(dataDir, 'keys');
  const path = join(dir, 'kek');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  try {
    // 'wx' fails if another process created it first; that one then wins and we read it.
    writeFileSync(path, `${randomBytes(kekBytes).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return new Kek(readKekFile(path, 'development'), `${path} (development)`);
}

/**
 * The KEK being replaced, named only while a KEK rotation runs (ANFU_KEK_PREVIOUS_FILE or ANFU_KEK_PREVIOUS):
 * data keys still wrapped by it open with it until `anfu keys rotate-kek` has re-wrapped them all.
 */
export function loadPreviousKek(
  config: Pick<Config, 'environment' | 'kekPreviousFile' | 'kekPrevious'>,
): Kek | undefined {
  if (config.kekPrevious !== undefined) {
    const bytes = decodeKekText(config.kekPrevious.reveal());
    if (bytes === undefined) throw new KeyringError('keyring_kek_weak', 'ANFU_KEK_PREVIOUS must be base64 of 32 bytes');
    return new Kek(bytes, 'ANFU_KEK_PREVIOUS');
  }
  if (config.kekPreviousFile !== undefined)
    return new Kek(readKekFile(config.kekPreviousFile, config.environment), config.kekPreviousFile);
  return undefined;
}

/** The KEK the configuration names. Throws a KeyringError (never echoing the key) if it is missing or weak. */
export function loadKek(config: Pick<Config, 'environment' | 'dataDir' | 'kekFile' | 'kek'>): Kek {
  if (config.kek !== undefined) {
    const bytes = decodeKekText(config.kek.reveal());
    if (bytes === undefined) throw new KeyringError('keyring_kek_weak', 'ANFU_KEK must be base64 of 32 bytes');
    return new Kek(bytes, 'ANFU_KEK');
  }
  if (config.kekFile !== undefined) return new Kek(readKekFile(config.kekFile, config.environment), config.kekFile);
  if (config.environment === 'development') return developmentKek(config.dataDir);
  throw new KeyringError(
    'keyring_kek_missing',
    `the ${config.environment} environment needs ANFU_KEK_FILE or ANFU_KEK (base64 of 32 random bytes)`,
  );
}
