// Step-up (R3.6): a login the risk rules challenged is completed with one of the factors the
// challenge lists — an SMS code, a TOTP code, a passkey, a recovery code, or a signature of the
// challenge nonce by the device's certified key (challenge–response, R3.3). Wrong answers are counted
// (`loginChallengeAttemptsMax`) and audited; the session records which factor classes were proven.
import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import { AnfuError } from '../errors.ts';
import { networksOf } from '../risk/index.ts';
import type { Tx } from '../store/index.ts';
import { auditCustomer } from './customer-audit.ts';
import { checkCustomerTotp, totpSecretOf } from './enrol-totp.ts';
import type { Identity, RequestMeta } from './identity.ts';
import { verifyDeviceSignature } from './issue-device-certificate.ts';
import { deliverNotices, recordNotice, type NoticeKind } from './notices.ts';
import { checkPasskeyAssertion } from './passkeys.ts';
import { spendRecoveryCode } from './recovery-codes.ts';
import { createSession, type FactorClass, type IssuedSession } from './sessions.ts';
import { checkSmsCode, issueSmsCode, type SentSmsCode } from './sms-codes.ts';
import {
  challengeById, consumeChallenge, countChallengeAttempt, customerById, deviceById, insertLoginHistory,
  type ChallengeRow, type CustomerRow,
} from './store.ts';

export const loginChallengeAttemptsMax = 5;

export type ChallengeAnswer =
  | { readonly factor: 'sms'; readonly codeId: string; readonly code: string }
  | { readonly factor: 'totp'; readonly code: string }
  | { readonly factor: 'recovery_code'; readonly code: string }
  | { readonly factor: 'passkey'; readonly response: AuthenticationResponseJSON; readonly origin: string }
  | { readonly factor: 'device_signature'; readonly signature: Buffer; readonly certificatePem?: string | undefined };

/** The bytes a device signs to answer a challenge. */
export function deviceChallengeData(challengeId: string, nonce: string): Buffer {
  return Buffer.from(`anfu-login-v1|${challengeId}|${nonce}`, 'utf8');
}

/** A live challenge and its customer, or `challenge_invalid` (unknown, expired, spent, too many attempts). */
export async function liveChallenge(identity: Identity, challengeId: string, meta: RequestMeta): Promise<{ challenge: ChallengeRow; customer: CustomerRow }> {
  const now = identity.clock();
  const challenge = await challengeById(identity.store, challengeId);
  const customer = challenge === undefined ? undefined : await customerById(identity.store, challenge.customerId);
  if (challenge === undefined || customer === undefined || challenge.consumedAt !== null || challenge.expiresAt <= now || challenge.attempts >= loginChallengeAttemptsMax) {
    await identity.store.transaction((tx) => auditCustomer(tx, challenge?.customerId ?? null, meta, [{ action: 'customer.login.step_up', target: challengeId, outcome: 'failure', details: { reason: 'challenge_invalid' } }], now));
    throw new AnfuError('challenge_invalid');
  }
  return { challenge, customer };
}

export async function sendChallengeSms(identity: Identity, challengeId: string, meta: RequestMeta): Promise<SentSmsCode> {
  const { challenge, customer } = await liveChallenge(identity, challengeId, meta);
  if (!challenge.factors.includes('sms')) throw new AnfuError('factor_not_acceptable', `acceptable: ${challenge.factors.join(', ')}`);
  const { phone } = await identity.protection.revealCustomer(customer.id, customer.row, ['phone']);
  if (phone === undefined) throw new AnfuError('challenge_invalid');
  return issueSmsCode(identity, { phone, phoneIndex: customer.phoneIndex, purpose: 'login', deliver: true, customerId: customer.id }, meta);
}

/** What is checked before the transaction, because it reads through the store or the keyring. */
interface Prechecked {
  readonly deviceSigned: boolean;
  readonly totpSecret: string | undefined;
}

/** Checks the answer in `tx`, spending what it uses (code, challenge, recovery code). */
async function answerHolds(identity: Identity, tx: Tx, challenge: ChallengeRow, customer: CustomerRow, answer: ChallengeAnswer, pre: Prechecked, now: number): Promise<boolean> {
  switch (answer.factor) {
    case 'sms':
      return (await checkSmsCode(identity, tx, { codeId: answer.codeId, phoneIndexes: [customer.phoneIndex], purpose: 'login', code: answer.code }, now)).ok;
    case 'totp':
      return checkCustomerTotp(tx, customer, pre.totpSecret, answer.code, now);
    case 'recovery_code':
      return spendRecoveryCode(identity, tx, customer.id, answer.code, now);
    case 'passkey':
      return checkPasskeyAssertion(identity, tx, { customerId: customer.id, loginChallengeId: challenge.id, response: answer.response, origin: answer.origin }, now);
    case 'device_signature':
      return pre.deviceSigned;
  }
}

export async function completeLoginChallenge(identity: Identity, challengeId: string, answer: ChallengeAnswer, meta: RequestMeta): Promise<IssuedSession> {
  const now = identity.clock();
  const { challenge, customer } = await liveChallenge(identity, challengeId, meta);
  if (!challenge.factors.includes(answer.factor)) throw new AnfuError('factor_not_acceptable', `acceptable: ${challenge.factors.join(', ')}`);
  const audit = { ...meta, deviceId: challenge.deviceId };
  const notices: NoticeKind[] = [];
  const deviceSigned = answer.factor === 'device_signature'
    && (await verifyDeviceSignature(identity, { customerId: customer.id, deviceId: challenge.deviceId, data: deviceChallengeData(challenge.id, challenge.nonce), signature: answer.signature, certificatePem: answer.certificatePem })).ok;
  const pre = { deviceSigned, totpSecret: answer.factor === 'totp' ? await totpSecretOf(identity, customer) : undefined };
  const session = await identity.store.transaction(async (tx) => {
    const holds = await answerHolds(identity, tx, challenge, customer, answer, pre, now);
    if (!holds || (await consumeChallenge(tx, challenge.id, now)) !== 1) {
      await countChallengeAttempt(tx, challenge.id);
      const device = await deviceById(tx, challenge.deviceId);
      const deviceKey = device?.fingerprintHash.toString('hex') ?? null;
      const failed = { attempt: 'login', customerId: customer.id, deviceKey, ip: meta.ip } as const;
      await identity.failedAttemptRisk?.(tx, failed, now);
      await insertLoginHistory(tx, { customerId: customer.id, deviceId: challenge.deviceId, ip: meta.ip, network: null, outcome: 'failure', at: now });
      await auditCustomer(tx, customer.id, audit, [{ action: 'customer.login.step_up', target: challenge.id, outcome: 'failure', details: { factor: answer.factor } }], now);
      return undefined;
    }
    const networks = networksOf(meta.ip);
    await insertLoginHistory(tx, { customerId: customer.id, deviceId: challenge.deviceId, ip: meta.ip, network: networks === undefined ? null : `${networks.network} ${networks.region}`, outcome: 'success', at: now });
    const factors: FactorClass[] = ['password', answer.factor];
    const issued = await createSession(identity, tx, { customerId: customer.id, deviceId: challenge.deviceId, factors, deviceSigned: answer.factor === 'device_signature', ip: meta.ip }, now);
    await auditCustomer(tx, customer.id, audit, [{ action: 'customer.login.step_up', target: issued.sessionId, outcome: 'success', details: { factor: answer.factor, reasons: challenge.context.reasons } }], now);
    if (challenge.context.newDevice) notices.push(await recordNotice(tx, customer.id, 'new_device_login', { deviceId: challenge.deviceId }, now));
    return issued;
  });
  if (session === undefined) throw new AnfuError(answer.factor === 'passkey' ? 'passkey_failed' : answer.factor === 'device_signature' ? 'device_certificate_invalid' : 'code_invalid');
  await deliverNotices(identity, customer, notices);
  return session;
}
