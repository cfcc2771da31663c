// Operator login: password (argon2id) and TOTP, both required. Every failure looks the same to the
// caller (`operator_login_failed`); the audit log records the real reason. Ten consecutive failures lock the
// account for at least 30 minutes (PCI DSS 8.3.4) and raise a brute-force event; failures for many
// accounts from one address raise a credential-stuffing event.
import { createHash } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';
import type { Store, Tx } from '../store/index.ts';
import { audit, type Actor } from './actor.ts';
import { raiseSecurityEvent } from './security-events.ts';
import { openSession } from './sessions.ts';
import { acceptLogin, distinctSubjectsFrom, insertLoginFailure, operatorById, operatorByName, updateLoginFailure, type OperatorRow } from './store.ts';
import { totpStepOf } from './totp.ts';
import type { TotpSecrets } from './totp-secrets.ts';

export interface LoginPolicy {
  readonly loginFailuresMax: number;
  readonly lockoutMs: number;
  readonly stuffingAccountsMax: number;
  readonly stuffingWindowMs: number;
}

export type LoginRefusal = 'unknown_operator' | 'disabled' | 'not_enrolled' | 'role_not_granted' | 'locked' | 'bad_password' | 'bad_totp' | 'totp_reused';
export type LoginDecision = { readonly kind: 'accept'; readonly step: number } | { readonly kind: 'refuse'; readonly reason: LoginRefusal };
export type LoginOutcome = { readonly ok: true; readonly token: string; readonly sessionId: string; readonly operatorId: string } | { readonly ok: false; readonly code: 'operator_login_failed' };

/** Pure: given what was checked, accept or refuse. A locked account is refused even with the right factors. */
export function decideLogin(operator: OperatorRow | undefined, passwordOk: boolean, totpStep: number | undefined, now: number): LoginDecision {
  if (operator === undefined) return { kind: 'refuse', reason: 'unknown_operator' };
  if (operator.status !== 'active') return { kind: 'refuse', reason: 'disabled' };
  if (operator.enrolledAt === null) return { kind: 'refuse', reason: 'not_enrolled' };
  // Enrolled but the role grant still waits for a second administrator: no session yet.
  if (operator.roleGrantedAt === null) return { kind: 'refuse', reason: 'role_not_granted' };
  if (operator.lockedUntil !== null && operator.lockedUntil > now) return { kind: 'refuse', reason: 'locked' };
  if (!passwordOk) return { kind: 'refuse', reason: 'bad_password' };
  if (totpStep === undefined) return { kind: 'refuse', reason: 'bad_totp' };
  if (totpStep <= operator.totpLastStep) return { kind: 'refuse', reason: 'totp_reused' };
  return { kind: 'accept', step: totpStep };
}

let dummyHash: Promise<string> | undefined;
/** Unknown names still cost one argon2 verification, so timing does not reveal which names exist. */
function dummyHashOnce(): Promise<string> {
  dummyHash ??= hash('anfu-no-such-operator');
  return dummyHash;
}

const subjectHashOf = (name: string) => createHash('sha256').update(`operator:${name}`).digest('hex');

export async function logInOperator(store: Store, totpSecrets: TotpSecrets, actor: Actor, input: { name: string; password: string; totp: string }, policy: LoginPolicy, now: number): Promise<LoginOutcome> {
  const known = await operatorByName(store, input.name);
  const passwordOk = await verify(known?.passwordHash ?? (await dummyHashOnce()), input.password).catch(() => false);
  const secret = known === undefined ? undefined : await totpSecrets.open(known);
  const step = secret === undefined ? undefined : totpStepOf(secret, input.totp, now);
  return store.transaction(async (tx) => {
    // Decide on the row as it is now, inside the transaction, so concurrent attempts count correctly.
    const operator = known === undefined ? undefined : await operatorById(tx, known.id);
    const decision = decideLogin(operator, passwordOk, step, now);
    if (decision.kind === 'accept' && operator !== undefined && (await acceptLogin(tx, operator.id, decision.step))) {
      const session = await openSession(tx, operator.id, now);
      await audit(tx, { ...actor, principal: { kind: 'operator', id: operator.id, name: operator.name, role: operator.role, sessionId: session.id } }, [{ action: 'operator.login', target: session.id, outcome: 'success' }], now);
      return { ok: true as const, token: session.token, sessionId: session.id, operatorId: operator.id };
    }
    const reason = decision.kind === 'refuse' ? decision.reason : 'totp_reused';
    await recordFailure(tx, actor, { operator, reason, subjectHash: subjectHashOf(input.name) }, policy, now);
    return { ok: false as const, code: 'operator_login_failed' as const };
  });
}

async function recordFailure(tx: Tx, actor: Actor, failure: { operator: OperatorRow | undefined; reason: LoginRefusal; subjectHash: string }, policy: LoginPolicy, now: number): Promise<void> {
  const { operator, reason } = failure;
  const counts = operator !== undefined && !['locked', 'disabled', 'not_enrolled', 'role_not_granted'].includes(reason);
  const failedLogins = counts ? operator.failedLogins + 1 : (operator?.failedLogins ?? 0);
  const locks = counts && failedLogins >= policy.loginFailuresMax;
  if (counts) await updateLoginFailure(tx, operator.id, locks ? 0 : failedLogins, locks ? now + policy.lockoutMs : operator.lockedUntil);
  await audit(tx, actor, [{ action: 'operator.login', target: operator?.id ?? null, outcome: 'failure', details: { reason, ...(locks ? { locked: true } : {}) } }], now);
  if (locks) {
    await audit(tx, actor, [{ action: 'operator.lock', target: operator.id, outcome: 'success', details: { failures: failedLogins, lockedForMs: policy.lockoutMs } }], now);
    await raiseSecurityEvent(tx, { type: 'brute_force', source: actor.ip, subject: operator.id, details: { failures: failedLogins } }, now);
  }
  const source = actor.ip ?? 'unknown';
  await insertLoginFailure(tx, source, failure.subjectHash, now);
  const accounts = await distinctSubjectsFrom(tx, source, now - policy.stuffingWindowMs);
  if (accounts >= policy.stuffingAccountsMax) {
    await raiseSecurityEvent(tx, { type: 'credential_stuffing', source, details: { accounts, windowMs: policy.stuffingWindowMs }, quietMs: policy.stuffingWindowMs }, now);
  }
}
