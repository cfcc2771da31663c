// Signed requests between Anfu and its providers (docs/providers.md, "Signing"), the same scheme in
// both directions: Anfu signs what it sends to the SMS gateway and the identity provider; they sign
// what they send back (delivery receipts). HMAC-SHA256 over method, path, timestamp, nonce and the
// SHA-256 of the body exactly as sent. Clock and nonce are passed in so the checks are pure.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export const signatureScheme = 'ANFU-PROVIDER-HMAC-SHA256';
export const signatureWindowSecondsDefault = 300;
export const signatureHeaders = {
  keyId: 'x-provider-key-id',
  timestamp: 'x-provider-timestamp',
  nonce: 'x-provider-nonce',
  signature: 'x-provider-signature',
} as const;

const keyIdPattern = /^[A-Za-z0-9_.-]{1,64}$/;
const noncePattern = /^[A-Za-z0-9_-]{16,64}$/;

export interface SigningKey {
  readonly keyId: string;
  /** The shared secret; callers hold it in a SecretValue and reveal it only here. */
  readonly secret: string;
}

export interface SignedRequestParts {
  readonly method: string;
  /** Path and query exactly as requested, e.g. `/v1/sms/messages`. */
  readonly path: string;
  readonly body: string;
}

/** The exact bytes the signature covers. */
export function stringToSign(parts: SignedRequestParts, timestamp: number, nonce: string): string {
  const bodyHash = createHash('sha256').update(parts.body, 'utf8').digest('hex');
  return `${signatureScheme}\n${parts.method.toUpperCase()}\n${parts.path}\n${timestamp}\n${nonce}\n${bodyHash}`;
}

function mac(secret: string, text: string): Buffer {
  return createHmac('sha256', Buffer.from(secret, 'utf8')).update(text, 'utf8').digest();
}

/** The four headers of a signed request (`nowSeconds`: Unix seconds; `nonce`: 16–64 URL-safe characters). */
export function signRequest(
  key: SigningKey,
  parts: SignedRequestParts,
  nowSeconds: number,
  nonce: string,
): Record<string, string> {
  if (!keyIdPattern.test(key.keyId)) throw new Error('provider key id must be 1–64 characters [A-Za-z0-9_.-]');
  if (!noncePattern.test(nonce)) throw new Error('provider nonce must be 16–64 characters [A-Za-z0-9_-]');
  return {
    [signatureHeaders.keyId]: key.keyId,
    [signatureHeaders.timestamp]: String(nowSeconds),
    [signatureHeaders.nonce]: nonce,
    [signatureHeaders.signature]: mac(key.secret, stringToSign(parts, nowSeconds, nonce)).toString('base64'),
  };
}

export type SignatureCheck =
  | { readonly ok: true; readonly keyId: string; readonly nonce: string; readonly timestamp: number }
  | {
      readonly ok: false;
      readonly reason: 'missing' | 'malformed' | 'unknown_key' | 'stale' | 'replayed' | 'mismatch';
    };

export interface SignatureCheckOptions {
  readonly keys: (keyId: string) => string | undefined;
  readonly nowSeconds: number;
  readonly windowSeconds?: number;
  /** True when the nonce was seen before within the window (the caller remembers nonces). */
  readonly seen?: (keyId: string, nonce: string) => boolean;
}

type HeaderBag = Readonly<Record<string, string | string[] | undefined>>;

function single(headers: HeaderBag, name: string): string | undefined {
  const value = headers[name];
  return typeof value === 'string' ? value : undefined;
}

/** Checks a signed request: all four headers, a known key, fresh timestamp, unseen nonce, equal MAC. */
export function verifySignedRequest(
  headers: HeaderBag,
  parts: SignedRequestParts,
  options: SignatureCheckOptions,
): SignatureCheck {
  const keyId = single(headers, signatureHeaders.keyId);
  const timestampText = single(headers, signatureHeaders.timestamp);
  const nonce = single(headers, signatureHeaders.nonce);
  const signature = single(headers, signatureHeaders.signature);
  if (keyId === undefined || timestampText === undefined || nonce === undefined || signature === undefined)
    return { ok: false, reason: 'missing' };
  if (
    !keyIdPattern.test(keyId) ||
    !/^[0-9]{1,12}$/.test(timestampText) ||
    !noncePattern.test(nonce) ||
    !/^[A-Za-z0-9+/]{43}=$/.test(signature)
  ) {
    return { ok: false, reason: 'malformed' };
  }
  const shared = options.keys(keyId);
  if (shared === undefined) return { ok: false, reason: 'unknown_key' };
  const timestamp = Number(timestampText);
  if (Math.abs(options.nowSeconds - timestamp) > (options.windowSeconds ?? signatureWindowSecondsDefault))
    return { ok: false, reason: 'stale' };
  const expected = mac(shared, stringToSign(parts, timestamp, nonce));
  if (!timingSafeEqual(expected, Buffer.from(signature, 'base64'))) return { ok: false, reason: 'mismatch' };
  // Only a request with a valid MAC may spend a nonce; otherwise anyone could burn a sender's nonces.
  if (options.seen?.(keyId, nonce) === true) return { ok: false, reason: 'replayed' };
  return { ok: true, keyId, nonce, timestamp };
}

/** Remembers nonces for the signature window, bounded in size (oldest forgotten first). */
export class NonceMemory {
  readonly #seen = new Map<string, number>();
  readonly #windowSeconds: number;
  readonly #entriesMax: number;

  constructor(windowSeconds = signatureWindowSecondsDefault, entriesMax = 100_000) {
    this.#windowSeconds = windowSeconds;
    this.#entriesMax = entriesMax;
  }

  /** True when seen already; otherwise records it. */
  seen(keyId: string, nonce: string, nowSeconds: number): boolean {
    const key = `${keyId}\n${nonce}`;
    const at = this.#seen.get(key);
    if (at !== undefined && nowSeconds - at <= 2 * this.#windowSeconds) return true;
    this.#seen.set(key, nowSeconds);
    for (const [old, when] of this.#seen) {
      if (this.#seen.size <= this.#entriesMax && nowSeconds - when <= 2 * this.#windowSeconds) break;
      this.#seen.delete(old);
    }
    return false;
  }
}
