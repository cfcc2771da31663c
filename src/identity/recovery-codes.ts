// Recovery codes (R3.7): ten single-use codes of 60 random bits each, shown once, stored as hashes.
// Generating a new set replaces the old one. They complete a login challenge or a password reset
// when the authenticator is lost.
import { randomBytes } from 'node:crypto';
import type { Tx } from '../store/index.ts';
import { auditCustomer } from './customer-audit.ts';
import type { Identity, RequestMeta } from './identity.ts';
import { deliverNotices, recordNotice } from './notices.ts';
import { recordFactorChange, requireFreshStepUp } from './factor-changes.ts';
import type { CustomerPrincipal } from './sessions.ts';
import { customerById, replaceRecoveryCodes, useRecoveryCode } from './store.ts';

export const recoveryCodeCount = 10;
const alphabet = '0123456789abcdefghjkmnpqrstvwxyz';

function newRecoveryCode(): string {
  const bytes = randomBytes(12);
  let text = '';
  for (const byte of bytes) text += alphabet[byte % 32];
  return `${text.slice(0, 4)}-${text.slice(4, 8)}-${text.slice(8, 12)}`;
}

export function recoveryCodeHash(identity: Pick<Identity, 'profile'>, customerId: string, code: string): Buffer {
  const normalised = code.normalize('NFKC').toLowerCase().replace(/[^0-9a-z]/g, '');
  return identity.profile.hash(Buffer.from(`anfu recovery v1|${customerId}|${normalised}`, 'utf8'));
}

export async function generateRecoveryCodes(identity: Identity, principal: CustomerPrincipal, meta: RequestMeta): Promise<string[]> {
  await requireFreshStepUp(identity, principal, meta, 'recovery_codes.replace');
  const now = identity.clock();
  const codes = Array.from({ length: recoveryCodeCount }, newRecoveryCode);
  await identity.store.transaction(async (tx) => {
    await replaceRecoveryCodes(tx, principal.customerId, codes.map((code) => recoveryCodeHash(identity, principal.customerId, code)), now);
    await recordFactorChange(tx, principal, undefined, now);
    await auditCustomer(tx, principal.customerId, { ...meta, deviceId: principal.deviceId }, [{ action: 'customer.recovery_codes.generate', target: principal.customerId, outcome: 'success', details: { count: codes.length } }], now);
    await recordNotice(tx, principal.customerId, 'factor_added', { factor: 'recovery_codes' }, now);
  });
  const customer = await customerById(identity.store, principal.customerId);
  if (customer !== undefined) await deliverNotices(identity, customer, ['factor_added']);
  return codes;
}

export async function spendRecoveryCode(identity: Identity, tx: Tx, customerId: string, code: string, now: number): Promise<boolean> {
  if (code.length > 40) return false;
  return (await useRecoveryCode(tx, customerId, recoveryCodeHash(identity, customerId, code), now)) === 1;
}
