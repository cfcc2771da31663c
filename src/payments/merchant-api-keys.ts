// Merchant API keys and request signing. The key `<keyId>.<secret>` is shown once; the platform keeps
// only SHA-256(secret) and, sealed, the request-signing key HMAC-SHA-256(secret, "anfu-request-signing-v1")
// that both sides derive. A request is signed over method, path, timestamp and body; the signature
// is compared in constant time, its timestamp must be inside the window and its value is remembered
// for the window, so a captured request cannot be replayed.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { newId } from '../ids.ts';
import type { Store, Tx } from '../store/index.ts';
import type { MerchantProtection } from './merchant-protection.ts';

export interface IssuedMerchantKey {
  readonly keyId: string;
  /** Shown once. */
  readonly apiKey: string;
}

export const signingLabel = 'anfu-request-signing-v1';

export function signingKeyOf(secret: string): Buffer {
  return createHmac('sha256', secret).update(signingLabel).digest();
}

/** What the merchant signs: METHOD \n path \n timestamp \n body. */
export function merchantRequestSignature(signingKey: Buffer, method: string, path: string, timestamp: string, body: string): string {
  return createHmac('sha256', signingKey).update(`${method.toUpperCase()}\n${path}\n${timestamp}\n${body}`).digest('hex');
}

export interface PreparedMerchantKey extends IssuedMerchantKey {
  /** Inserts the key row in the caller's transaction (sealing happened before: the keyring uses the store). */
  insert(tx: Tx): Promise<void>;
}

/** Makes a key and seals its signing key; nothing is stored until `insert`. */
export async function prepareMerchantApiKey(protection: MerchantProtection, merchantId: string, now: number): Promise<PreparedMerchantKey> {
  const keyId = newId('mk', now);
  const secret = randomBytes(32).toString('base64url');
  const sealed = await protection.apiKeys.protect(keyId, { signingKey: signingKeyOf(secret).toString('base64') });
  const secretHash = createHash('sha256').update(secret).digest();
  return {
    keyId,
    apiKey: `${keyId}.${secret}`,
    insert: async (tx) => {
      await tx.run('INSERT INTO merchant_api_keys (id, merchant_id, secret_hash, signing_key_sealed, created_at) VALUES (?, ?, ?, ?, ?)', [keyId, merchantId, secretHash, sealed.signing_key_sealed ?? null, now]);
    },
  };
}

export interface SignedMerchantRequest {
  readonly keyId: string | undefined;
  readonly timestamp: string | undefined;
  readonly signature: string | undefined;
  readonly method: string;
  readonly path: string;
  readonly body: string;
}

/** The merchant id of a correctly signed, fresh, first-seen request; undefined otherwise (one answer for every failure). */
export async function authenticateMerchantRequest(store: Store, protection: MerchantProtection, request: SignedMerchantRequest, windowMs: number, now: number): Promise<string | undefined> {
  const { keyId, timestamp, signature } = request;
  if (keyId === undefined || timestamp === undefined || signature === undefined) return undefined;
  if (!/^mk_[0-9a-z]{26}$/.test(keyId) || !/^[0-9]{10,16}$/.test(timestamp) || !/^[0-9a-f]{64}$/.test(signature)) return undefined;
  if (Math.abs(now - Number(timestamp)) > windowMs) return undefined;
  const row = await store.get("SELECT k.id, k.merchant_id, k.signing_key_sealed FROM merchant_api_keys k JOIN merchants m ON m.id = k.merchant_id WHERE k.id = ? AND k.status = 'active' AND m.status = 'active'", [keyId]);
  if (row === undefined) return undefined;
  const { signingKey } = await protection.apiKeys.reveal(keyId, row, ['signingKey']);
  if (signingKey === undefined) return undefined;
  const expected = Buffer.from(merchantRequestSignature(Buffer.from(signingKey, 'base64'), request.method, request.path, timestamp, request.body), 'hex');
  if (!timingSafeEqual(expected, Buffer.from(signature, 'hex'))) return undefined;
  await store.run('DELETE FROM merchant_request_nonces WHERE seen_at < ?', [now - 2 * windowMs]);
  const fresh = await store.run('INSERT INTO merchant_request_nonces (key_id, signature, seen_at) VALUES (?, ?, ?) ON CONFLICT (key_id, signature) DO NOTHING', [keyId, signature, now]);
  return fresh === 1 ? (row.merchant_id as string) : undefined;
}
