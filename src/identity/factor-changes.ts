// Factor changes (R3.3–R3.5): adding, replacing or removing an authenticator, a passkey, a device
// certificate or recovery codes needs a fresh proof (within `stepUpFreshMs`) of a factor at least as
// strong as the strongest the account already holds — so a session that only proved the phone number
// (password + SMS) cannot remove or replace an authenticator, a passkey or a certified device. The
// proof is the login itself when recent, or a step-up in the session (`stepUpSession`). Every change
// stamps `factor_changed_at`: payments and withdrawals above a threshold are then challenged for a
// cooling-off period (src/risk), while the notices reach the old factors.
import { AnfuError } from '../errors.ts';
import type { Tx } from '../store/index.ts';
import { countHit, hitsOf } from '../throttle/index.ts';
import { auditCustomer } from './customer-audit.ts';
import { totpSecretOf } from './enrol-totp.ts';
import type { Identity, RequestMeta } from './identity.ts';
import type { CustomerPrincipal } from './sessions.ts';
import {
  checkStepUpFactor,
  factorStrength,
  sendStepUpCode,
  stepUpPasskeyOptions,
  type StepUpFactor,
} from './step-up-factors.ts';
import {
  certifiedDeviceCount,
  factorChangedAt,
  markFactorChange,
  recordSessionStepUp,
  sessionStepUp,
} from './step-up-store.ts';
import { customerById, deviceById, passkeysOf, unusedRecoveryCodes, type CustomerRow } from './store.ts';

const dayMs = 24 * 3600_000;

/** The strongest factor held: 2 with an authenticator, passkey, certified device or recovery codes; 1: the phone. */
export async function accountStrength(identity: Identity, customer: CustomerRow): Promise<number> {
  if (customer.totpState === 'active') return 2;
  if ((await passkeysOf(identity.store, customer.id)).length > 0) return 2;
  if ((await certifiedDeviceCount(identity.store, customer.id)) > 0) return 2;
  return (await unusedRecoveryCodes(identity.store, customer.id)) > 0 ? 2 : 1;
}

/** Refuses (and audits) a factor change unless the session recently proved a factor as strong as the account's. */
export async function requireFreshStepUp(
  identity: Identity,
  principal: CustomerPrincipal,
  meta: RequestMeta,
  change: string,
): Promise<CustomerRow> {
  const customer = await customerById(identity.store, principal.customerId);
  if (customer === undefined) throw new AnfuError('unauthenticated');
  const risk = await factorChangeRisk(identity, principal, customer, meta, change);
  // A challenge asks more than the usual proof: a second factor (never the password alone), proven just now.
  const required = Math.max(await accountStrength(identity, customer), risk === 'challenge' ? 1 : 0);
  const usualMs = identity.config.stepUpFreshMs;
  const freshMs = risk === 'challenge' ? Math.min(usualMs, challengeFreshMs) : usualMs;
  const proven = await sessionStepUp(identity.store, principal.sessionId);
  const now = identity.clock();
  if (proven !== undefined && proven.strength >= required && now - proven.at <= freshMs) return customer;
  const stale = proven !== undefined && now - proven.at > freshMs;
  const details = {
    change,
    reason: 'step_up_required',
    ...(risk === 'challenge' ? { risk: 'challenge' } : {}),
    required: required >= 2 ? 'strong' : 'sms',
    proven:
      proven === undefined || stale
        ? 'none'
        : proven.strength >= 2
          ? 'strong'
          : proven.strength === 1
            ? 'sms'
            : 'password',
  };
  await identity.store.transaction((tx) =>
    auditCustomer(
      tx,
      customer.id,
      { ...meta, deviceId: principal.deviceId },
      [{ action: 'customer.factor_change', target: customer.id, outcome: 'denied', details }],
      now,
    ),
  );
  const acceptable = required >= 2 ? ['totp', 'passkey', 'recovery_code'] : ['sms', 'totp', 'passkey', 'recovery_code'];
  throw new AnfuError(
    'step_up_required',
    `prove a factor again (POST /v1/me/step-up) with one of: ${acceptable.join(', ')}`,
    { acceptableFactors: acceptable, requiredStrength: required >= 2 ? 'strong' : 'sms' },
  );
}

/** How long a step-up counts when the risk rules challenge a factor change. */
const challengeFreshMs = 5 * 60_000;

/**
 * The running rule set's decision on this change (stored and audited by the port, a review opening its
 * case); a `deny` is audited here as the refused change and thrown as `risk_denied`.
 */
async function factorChangeRisk(
  identity: Identity,
  principal: CustomerPrincipal,
  customer: CustomerRow,
  meta: RequestMeta,
  change: string,
): Promise<'allow' | 'challenge' | 'review'> {
  if (identity.factorChangeRisk === undefined) return 'allow';
  const device = await deviceById(identity.store, principal.deviceId);
  const decision = await identity.factorChangeRisk({
    customerId: customer.id, deviceId: principal.deviceId, change, ip: meta.ip,
    customer: {
      createdAt: customer.createdAt, accountClass: customer.accountClass,
      idNumberHash: customer.idNumberIndex.toString('hex'),
    },
    deviceCreatedAt: device?.createdAt, factorChangedAt: await factorChangedAt(identity.store, customer.id),
  });
  if (decision !== 'deny') return decision;
  const now = identity.clock();
  await identity.store.transaction((tx) =>
    auditCustomer(
      tx,
      customer.id,
      { ...meta, deviceId: principal.deviceId },
      [{
        action: 'customer.factor_change', target: customer.id, outcome: 'denied',
        details: { change, reason: 'risk_denied' },
      }],
      now,
    ),
  );
  throw new AnfuError('risk_denied', 'this change to how you sign in was refused; contact customer service');
}

/** In the change's transaction: stamps the cooling-off start; a factor just proven here raises the session step-up. */
export async function recordFactorChange(
  tx: Tx,
  principal: CustomerPrincipal,
  provenStrength: number | undefined,
  now: number,
): Promise<void> {
  await markFactorChange(tx, principal.customerId, now);
  if (provenStrength === undefined) return;
  const current = await sessionStepUp(tx, principal.sessionId);
  if (current === undefined || current.strength < provenStrength)
    await recordSessionStepUp(tx, principal.sessionId, provenStrength, current?.at ?? now);
}

export async function recentFactorChangeAt(identity: Identity, customerId: string): Promise<number | undefined> {
  return factorChangedAt(identity.store, customerId);
}

export async function sendSessionStepUpCode(
  identity: Identity,
  principal: CustomerPrincipal,
  meta: RequestMeta,
): Promise<{ codeId: string; expiresAt: number }> {
  const text =
    '【安付】安全验证码 {code}，用于修改账户验证方式，5分钟内有效。如非本人操作，请勿告诉任何人并立即联系客服。';
  return sendStepUpCode(
    identity,
    principal.customerId,
    { purpose: 'factor_change', subjectId: principal.sessionId, text },
    { ...meta, deviceId: principal.deviceId },
  );
}

export async function sessionStepUpPasskeyOptions(identity: Identity, principal: CustomerPrincipal) {
  return stepUpPasskeyOptions(identity, principal.customerId, {
    purpose: 'factor_change',
    subjectId: principal.sessionId,
  });
}

/** POST /me/step-up: proves a factor again in this session. Wrong answers share the customer's daily step-up budget. */
export async function stepUpSession(
  identity: Identity,
  principal: CustomerPrincipal,
  factor: StepUpFactor,
  meta: RequestMeta,
): Promise<{ strength: 'sms' | 'strong' }> {
  const now = identity.clock();
  const customer = await customerById(identity.store, principal.customerId);
  if (customer === undefined) throw new AnfuError('unauthenticated');
  if (factor.kind === 'totp') await identity.ready();
  const secret = factor.kind === 'totp' ? await totpSecretOf(identity, customer) : undefined;
  const bucket = `step-up:customer:${customer.id}`;
  const audit = { ...meta, deviceId: principal.deviceId };
  const outcome = await identity.store.transaction(async (tx) => {
    const line = (result: 'success' | 'failure' | 'denied', details: Record<string, unknown> = {}) =>
      auditCustomer(
        tx,
        customer.id,
        audit,
        [
          {
            action: 'customer.session.step_up',
            target: principal.sessionId,
            outcome: result,
            details: { factor: factor.kind, ...details },
          },
        ],
        now,
      );
    if ((await hitsOf(tx, bucket, dayMs, now)).hits >= identity.config.stepUpFailuresPerDayMax) {
      await line('denied', { reason: 'attempts_exhausted' });
      return 'throttled' as const;
    }
    if (
      !(await checkStepUpFactor(
        identity,
        tx,
        customer,
        { purpose: 'factor_change', subjectId: principal.sessionId },
        factor,
        secret,
        now,
      ))
    ) {
      await countHit(tx, bucket, dayMs, now);
      const failed = { attempt: 'step_up', customerId: customer.id, deviceKey: null, ip: meta.ip } as const;
      await identity.failedAttemptRisk?.(tx, failed, now);
      await line('failure');
      return 'failed' as const;
    }
    const strength = factorStrength[factor.kind] ?? 0;
    await recordSessionStepUp(tx, principal.sessionId, strength, now);
    await line('success');
    return strength;
  });
  if (outcome === 'throttled')
    throw new AnfuError('login_throttled', 'too many wrong step-up answers today', { retryAfterSeconds: 3600 });
  if (outcome === 'failed') throw new AnfuError(factor.kind === 'passkey' ? 'passkey_failed' : 'code_invalid');
  return { strength: outcome >= 2 ? 'strong' : 'sms' };
}
