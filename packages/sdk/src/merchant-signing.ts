// Merchant request signing, as the server checks it (src/payments/merchant-api-keys.ts): the API key
// "<keyId>.<secret>" gives a signing key HMAC-SHA-256(secret, "anfu-request-signing-v1"); each request
// sends Anfu-Key-Id, Anfu-Timestamp (Unix ms) and Anfu-Signature, the hex HMAC-SHA-256 with that key
// over "<METHOD>\n<path and query>\n<timestamp>\n<raw body>". WebCrypto only: Node 20+, 22, browsers.
import type { webcrypto } from 'node:crypto';
import type { Authenticator } from './transport.ts';

type CryptoKey = webcrypto.CryptoKey;

const encoder = new TextEncoder();
const signingLabel = 'anfu-request-signing-v1';

const hex = (bytes: ArrayBuffer) => [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, '0')).join('');

async function hmacKey(raw: Uint8Array | ArrayBuffer): Promise<CryptoKey> {
  const bytes = raw instanceof ArrayBuffer ? new Uint8Array(raw) : new Uint8Array(raw);
  return crypto.subtle.importKey('raw', bytes, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
}

function keyIdOf(apiKey: string): string {
  const dot = apiKey.indexOf('.');
  const keyId = apiKey.slice(0, dot);
  if (dot < 0 || !/^mk_[0-9a-z]{26}$/.test(keyId)) throw new Error('a merchant API key looks like mk_….<secret>');
  return keyId;
}

export interface MerchantKey {
  readonly keyId: string;
  readonly signingKey: CryptoKey;
}

/** Splits "<keyId>.<secret>" (shown once at onboarding) and derives the signing key. */
export async function merchantKeyOf(apiKey: string): Promise<MerchantKey> {
  const keyId = keyIdOf(apiKey);
  const dot = apiKey.indexOf('.');
  const secret = await hmacKey(encoder.encode(apiKey.slice(dot + 1)));
  const derived = await crypto.subtle.sign('HMAC', secret, encoder.encode(signingLabel));
  return { keyId, signingKey: await hmacKey(derived) };
}

/** The Anfu-Signature of one request. */
export async function merchantSignature(
  key: MerchantKey,
  method: string,
  pathAndQuery: string,
  timestamp: string,
  body: string,
): Promise<string> {
  const text = `${method.toUpperCase()}\n${pathAndQuery}\n${timestamp}\n${body}`;
  return hex(await crypto.subtle.sign('HMAC', key.signingKey, encoder.encode(text)));
}

/** Signs every attempt afresh (a repeated signature is refused as a replay). */
export function merchantAuthenticator(apiKey: string, now: () => number = Date.now): Authenticator {
  keyIdOf(apiKey);
  let key: Promise<MerchantKey> | undefined;
  return async (outgoing) => {
    const resolved = await (key ??= merchantKeyOf(apiKey));
    const timestamp = String(now());
    const { method, pathAndQuery, body } = outgoing;
    const signature = await merchantSignature(resolved, method, pathAndQuery, timestamp, body);
    outgoing.headers.set('anfu-key-id', resolved.keyId);
    outgoing.headers.set('anfu-timestamp', timestamp);
    outgoing.headers.set('anfu-signature', signature);
  };
}

/** A bearer credential: an operator session/API token or a customer access token (fixed or refreshed). */
export function bearerAuthenticator(token: string | (() => string | Promise<string>)): Authenticator {
  return async (outgoing) => {
    // An empty token (not logged in yet) sends no header rather than an empty credential.
    const value = typeof token === 'string' ? token : await token();
    if (value !== '') outgoing.headers.set('authorization', `Bearer ${value}`);
  };
}
