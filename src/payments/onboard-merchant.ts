// Merchant onboarding: business details, the settlement bank account sealed through field
// protection, a fee rate, and the first API key (shown once).
import { AnfuError } from '../errors.ts';
import { newId } from '../ids.ts';
import { appendAudit } from '../audit/index.ts';
import type { Store } from '../store/index.ts';
import type { MerchantProtection } from './merchant-protection.ts';
import { prepareMerchantApiKey, type IssuedMerchantKey } from './merchant-api-keys.ts';

export interface MerchantInput {
  readonly name: string;
  readonly businessRegistration: string;
  readonly contactEmail: string;
  readonly settlementAccount: string;
  readonly feeBps?: number | undefined;
}

export interface Merchant {
  readonly id: string;
  readonly name: string;
  readonly feeBps: number;
  readonly status: 'active' | 'suspended';
  readonly createdAt: number;
}

export async function onboardMerchant(store: Store, protection: MerchantProtection, input: MerchantInput, operatorId: string, feeBpsDefault: number, now: number): Promise<{ merchant: Merchant; apiKey: IssuedMerchantKey }> {
  if (!/^[0-9]{8,30}$/.test(input.settlementAccount.replace(/[\s-]/g, ''))) throw new AnfuError('validation_failed', 'the settlement account must be 8–30 digits');
  const id = newId('mch', now);
  const feeBps = input.feeBps ?? feeBpsDefault;
  const sealed = await protection.merchants.protect(id, { settlementAccount: input.settlementAccount });
  const prepared = await prepareMerchantApiKey(protection, id, now);
  await store.transaction(async (tx) => {
    await tx.run(
      'INSERT INTO merchants (id, name, business_registration, contact_email, settlement_account_sealed, settlement_account_bidx, fee_bps, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      [id, input.name, input.businessRegistration, input.contactEmail, sealed.settlement_account_sealed ?? null, sealed.settlement_account_bidx ?? null, feeBps, now],
    );
    await prepared.insert(tx);
    await appendAudit(tx, [{ actorType: 'operator', actorId: operatorId, action: 'merchant.onboard', target: id, outcome: 'success', details: { feeBps, apiKeyId: prepared.keyId } }], now);
  });
  return { merchant: { id, name: input.name, feeBps, status: 'active', createdAt: now }, apiKey: { keyId: prepared.keyId, apiKey: prepared.apiKey } };
}

export async function merchantById(store: Store, id: string): Promise<Merchant | undefined> {
  const row = await store.get<{ id: string; name: string; fee_bps: unknown; status: 'active' | 'suspended'; created_at: unknown }>('SELECT id, name, fee_bps, status, created_at FROM merchants WHERE id = ?', [id]);
  return row === undefined ? undefined : { id: row.id, name: row.name, feeBps: Number(row.fee_bps), status: row.status, createdAt: Number(row.created_at) };
}

/** Active merchants after an id, in id order (sanctions re-screening reads them page by page). */
export async function merchantsAfter(
  store: Store,
  after: string,
  limit: number,
): Promise<Array<{ id: string; name: string }>> {
  const sql = "SELECT id, name FROM merchants WHERE id > ? AND status = 'active' ORDER BY id LIMIT ?";
  return store.all<{ id: string; name: string }>(sql, [after, limit]);
}
