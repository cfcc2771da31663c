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

/** Why a merchant request was refused: kept for the audit log and security events, never told to the caller. */
export type MerchantRequestRefusal = 'headers_missing' | 'headers_malformed' | 'timestamp_stale' | 'key_unknown' | 'signature_invalid' | 'signature_replayed';

export type MerchantAuthentication =
  | { readonly ok: true; readonly merchantId: string }
  /** `keyId` only when it is well-formed; `merchantId` only when the signature verified (a replay). */
  | { readonly ok: false; readonly reason: MerchantRequestRefusal; readonly keyId: string | null; readonly merchantId: string | null };

function refusal(reason: MerchantRequestRefusal, keyId: string | null = null, merchantId: string | null = null): MerchantAuthentication {
  return { ok: false, reason, keyId, merchantId };
}

/** The merchant of a correctly signed, fresh, first-seen request, or why not (the caller answers every refusal alike). */
export async function authenticateMerchantRequest(store: Store, protection: MerchantProtection, request: SignedMerchantRequest, windowMs: number, now: number): Promise<MerchantAuthentication> {
  const { keyId, timestamp, signature } = request;
  if (keyId === undefined || timestamp === undefined || signature === undefined) return refusal('headers_missing');
  if (!/^mk_[0-9a-z]{26}$/.test(keyId)) return refusal('headers_malformed');
  if (!/^[0-9]{10,16}$/.test(timestamp) || !/^[0-9a-f]{64}$/.test(signature)) return refusal('headers_malformed', keyId);
  if (Math.abs(now - Number(timestamp)) > windowMs) return refusal('timestamp_stale', keyId);
  const row = await store.get("SELECT k.id, k.merchant_id, k.signing_key_sealed FROM merchant_api_keys k JOIN merchants m ON m.id = k.merchant_id WHERE k.id = ? AND k.status = 'active' AND m.status = 'active'", [keyId]);
  if (row === undefined) return refusal('key_unknown', keyId);
  const { signingKey } = await protection.apiKeys.reveal(keyId, row, ['signingKey']);
  if (signingKey === undefined) return refusal('key_unknown', keyId);
  const expected = Buffer.from(merchantRequestSignature(Buffer.from(signingKey, 'base64'), request.method, request.path, timestamp, request.body), 'hex');
  if (!timingSafeEqual(expected, Buffer.from(signature, 'hex'))) return refusal('signature_invalid', keyId);
  await store.run('DELETE FROM merchant_request_nonces WHERE seen_at < ?', [now - 2 * windowMs]);
  const fresh = await store.run('INSERT INTO merchant_request_nonces (key_id, signature, seen_at) VALUES (?, ?, ?) ON CONFLICT (key_id, signature) DO NOTHING', [keyId, signature, now]);
  const merchantId = row.merchant_id as string;
  return fresh === 1 ? { ok: true, merchantId } : refusal('signature_replayed', keyId, merchantId);
}
