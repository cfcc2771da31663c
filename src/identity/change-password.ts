// Password change (signed in, with the current password) and reset (R3.2): a reset needs a verified
// SMS code to the registered phone plus, when the customer has enrolled one, a second factor (TOTP or
// a recovery code). Either way every session ends and the customer is notified.
import { AnfuError } from '../errors.ts';
import { auditCustomer } from './customer-audit.ts';
import { checkCustomerTotp, totpSecretOf } from './enrol-totp.ts';
import type { Identity, RequestMeta } from './identity.ts';
import { deliverNotices, recordNotice } from './notices.ts';
import { hashPassword, verifyPassword } from './password-hashing.ts';
import { checkPassword, passwordProblemText } from './password-policy.ts';
import { parsePhoneNumber } from './phone-number.ts';
import { spendRecoveryCode } from './recovery-codes.ts';
import type { CustomerPrincipal } from './sessions.ts';
import { checkSmsCode } from './sms-codes.ts';
import { customerById, customerWhere, endSessions, unusedRecoveryCodes, updateCustomer, type CustomerRow } from './store.ts';

async function acceptablePassword(identity: Identity, customer: CustomerRow, password: string): Promise<string> {
  const { phone, idNumber } = await identity.protection.revealCustomer(customer.id, customer.row, ['phone', 'idNumber']);
  const verdict = checkPassword(password, { phone, idNumber });
  if (!verdict.ok) throw new AnfuError('password_rejected', passwordProblemText[verdict.problem], { reason: verdict.problem });
  return hashPassword(verdict.password, identity.argon2);
}

export async function changePassword(identity: Identity, principal: CustomerPrincipal, input: { currentPassword: string; newPassword: string }, meta: RequestMeta): Promise<void> {
  const now = identity.clock();
  const customer = await customerById(identity.store, principal.customerId);
  if (customer === undefined) throw new AnfuError('unauthenticated');
  const audit = { ...meta, deviceId: principal.deviceId };
  if (!(await verifyPassword(customer.passwordHash, input.currentPassword.normalize('NFKC')))) {
    await identity.store.transaction((tx) => auditCustomer(tx, customer.id, audit, [{ action: 'customer.password.change', target: customer.id, outcome: 'failure', details: { reason: 'bad_credentials' } }], now));
    throw new AnfuError('login_failed', 'the current password is incorrect');
  }
  const passwordHash = await acceptablePassword(identity, customer, input.newPassword);
  await identity.store.transaction(async (tx) => {
    await updateCustomer(tx, customer.id, { password_hash: passwordHash }, now);
    // The other sessions end; this one stays so the customer is not thrown out of the page they are on.
    const ended = await tx.run("UPDATE customer_sessions SET ended_at = ?, end_reason = 'password_changed' WHERE customer_id = ? AND id <> ? AND ended_at IS NULL", [now, customer.id, principal.sessionId]);
    await auditCustomer(tx, customer.id, audit, [{ action: 'customer.password.change', target: customer.id, outcome: 'success', details: { sessionsEnded: ended } }], now);
    await recordNotice(tx, customer.id, 'password_changed', {}, now);
  });
  await deliverNotices(identity, customer, ['password_changed']);
}

export interface PasswordResetInput {
  readonly phone: string;
  readonly smsCodeId: string;
  readonly smsCode: string;
  readonly newPassword: string;
  readonly totpCode?: string | undefined;
  readonly recoveryCode?: string | undefined;
}

export async function resetPassword(identity: Identity, input: PasswordResetInput, meta: RequestMeta): Promise<void> {
  const now = identity.clock();
  const phone = parsePhoneNumber(input.phone);
  if (phone === undefined) throw new AnfuError('phone_number_invalid');
  const customer = await customerWhere(identity.store, await identity.protection.lookupCustomer('phone', phone));
  if (customer === undefined) throw new AnfuError('code_invalid');
  const passwordHash = await acceptablePassword(identity, customer, input.newPassword);
  const needsSecondFactor = customer.totpState === 'active' || (await unusedRecoveryCodes(identity.store, customer.id)) > 0;
  const totpSecret = input.totpCode === undefined ? undefined : await totpSecretOf(identity, customer);
  const outcome = await identity.store.transaction(async (tx) => {
    const sms = await checkSmsCode(identity, tx, { codeId: input.smsCodeId, phoneIndexes: [customer.phoneIndex], purpose: 'password_reset', code: input.smsCode }, now);
    const second = !needsSecondFactor
      || (input.totpCode !== undefined && (await checkCustomerTotp(tx, customer, totpSecret, input.totpCode, now)))
      || (input.recoveryCode !== undefined && (await spendRecoveryCode(identity, tx, customer.id, input.recoveryCode, now)));
    if (!sms.ok || !second) {
      await auditCustomer(tx, customer.id, meta, [{ action: 'customer.password.reset', target: customer.id, outcome: 'failure', details: { reason: sms.ok ? 'second_factor' : `sms_code_${sms.reason}` } }], now);
      return sms.ok ? 'step_up_required' as const : 'code_invalid' as const;
    }
    await updateCustomer(tx, customer.id, { password_hash: passwordHash }, now);
    const ended = await endSessions(tx, { customerId: customer.id }, 'password_reset', now);
    await auditCustomer(tx, customer.id, meta, [{ action: 'customer.password.reset', target: customer.id, outcome: 'success', details: { sessionsEnded: ended } }], now);
    await recordNotice(tx, customer.id, 'password_changed', { reset: true }, now);
    return undefined;
  });
  if (outcome === 'step_up_required') throw new AnfuError('step_up_required', 'give a code from the authenticator app or a recovery code', { acceptableFactors: ['totp', 'recovery_code'] });
  if (outcome !== undefined) throw new AnfuError(outcome);
  await deliverNotices(identity, customer, ['password_changed']);
}
