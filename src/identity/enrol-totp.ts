// Authenticator-app enrolment (R3.3): the secret is made here, sealed on the customer row as
// 'pending', shown once as an otpauth:// URI and QR code, and becomes active only when the customer
// proves the app works by entering a current code.
import { AnfuError } from '../errors.ts';
import type { Tx } from '../store/index.ts';
import { auditCustomer } from './customer-audit.ts';
import type { Identity, RequestMeta } from './identity.ts';
import { deliverNotices, recordNotice } from './notices.ts';
import { maskPhoneNumber } from './phone-number.ts';
import { recordFactorChange, requireFreshStepUp } from './factor-changes.ts';
import type { CustomerPrincipal } from './sessions.ts';
import { customerById, updateCustomer, type CustomerRow } from './store.ts';
import { checkTotp, newTotpSecret, totpEnrolment, type TotpEnrolment } from './totp.ts';

async function customerOf(identity: Identity, principal: CustomerPrincipal): Promise<CustomerRow> {
  const customer = await customerById(identity.store, principal.customerId);
  if (customer === undefined) throw new AnfuError('unauthenticated');
  return customer;
}

export async function startTotpEnrolment(identity: Identity, principal: CustomerPrincipal, meta: RequestMeta): Promise<TotpEnrolment> {
  const customer = await requireFreshStepUp(identity, principal, meta, 'totp.add');
  const now = identity.clock();
  if (customer.totpState === 'active') throw new AnfuError('totp_already_enrolled', 'remove the enrolled authenticator first');
  const secret = newTotpSecret();
  const sealed = await identity.protection.protectCustomer(customer.id, { totpSecret: secret });
  const { phone } = await identity.protection.revealCustomer(customer.id, customer.row, ['phone']);
  await identity.store.transaction(async (tx) => {
    await updateCustomer(tx, customer.id, { totp_secret_sealed: sealed.totp_secret_sealed ?? null, totp_state: 'pending', totp_last_step: 0 }, now);
    await auditCustomer(tx, customer.id, { ...meta, deviceId: principal.deviceId }, [{ action: 'customer.totp.start', target: customer.id, outcome: 'success' }], now);
  });
  return totpEnrolment(secret, phone === undefined ? 'wallet' : maskPhoneNumber(phone));
}

/** The customer's TOTP secret, revealed before any transaction (the keyring may read the store). */
export async function totpSecretOf(identity: Identity, customer: CustomerRow): Promise<string | undefined> {
  if (customer.totpState === 'none') return undefined;
  return (await identity.protection.revealCustomer(customer.id, customer.row, ['totpSecret'])).totpSecret;
}

/** Checks a TOTP code for `customer` in `tx` and records its step (a code is accepted once). */
export async function checkCustomerTotp(tx: Tx, customer: CustomerRow, totpSecret: string | undefined, code: string, now: number): Promise<boolean> {
  if (totpSecret === undefined) return false;
  const check = checkTotp(totpSecret, code, now, customer.totpLastStep);
  if (!check.ok) return false;
  // Conditional on the last step read, so two concurrent uses of one code cannot both pass.
  const moved = await tx.run('UPDATE customers SET totp_last_step = ? WHERE id = ? AND totp_last_step = ?', [check.step, customer.id, customer.totpLastStep]);
  return moved === 1;
}

export async function confirmTotpEnrolment(identity: Identity, principal: CustomerPrincipal, code: string, meta: RequestMeta): Promise<void> {
  const now = identity.clock();
  const customer = await customerOf(identity, principal);
  if (customer.totpState !== 'pending') throw new AnfuError('totp_not_enrolled');
  const secret = await totpSecretOf(identity, customer);
  const outcome = await identity.store.transaction(async (tx) => {
    const ok = await checkCustomerTotp(tx, customer, secret, code, now);
    const audit = { ...meta, deviceId: principal.deviceId };
    if (!ok) {
      await auditCustomer(tx, customer.id, audit, [{ action: 'customer.totp.confirm', target: customer.id, outcome: 'failure' }], now);
      return false;
    }
    await updateCustomer(tx, customer.id, { totp_state: 'active' }, now);
    await recordFactorChange(tx, principal, 2, now);
    await auditCustomer(tx, customer.id, audit, [{ action: 'customer.totp.confirm', target: customer.id, outcome: 'success' }], now);
    await recordNotice(tx, customer.id, 'factor_added', { factor: 'totp' }, now);
    return true;
  });
  if (!outcome) throw new AnfuError('code_invalid');
  await deliverNotices(identity, customer, ['factor_added']);
}

export async function removeTotp(identity: Identity, principal: CustomerPrincipal, meta: RequestMeta): Promise<void> {
  const customer = await requireFreshStepUp(identity, principal, meta, 'totp.remove');
  const now = identity.clock();
  if (customer.totpState === 'none') throw new AnfuError('totp_not_enrolled');
  await identity.store.transaction(async (tx) => {
    await updateCustomer(tx, customer.id, { totp_secret_sealed: null, totp_state: 'none', totp_last_step: 0 }, now);
    await recordFactorChange(tx, principal, undefined, now);
    await auditCustomer(tx, customer.id, { ...meta, deviceId: principal.deviceId }, [{ action: 'customer.totp.remove', target: customer.id, outcome: 'success' }], now);
    await recordNotice(tx, customer.id, 'factor_removed', { factor: 'totp' }, now);
  });
  await deliverNotices(identity, customer, ['factor_removed']);
}
