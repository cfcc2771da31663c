// Step-up factors: what a customer proves again to authorise one thing (a challenged payment, a
// factor change). An SMS code or a passkey challenge is bound to that thing (purpose + subject), so a
// code sent for one payment cannot authorise another payment or a factor change, and a login code
// authorises none. Strength is two-tier, as login risk sees it: an SMS code proves the phone number
// (weak); an authenticator, a passkey, a device signature or a recovery code is strong.
import { randomInt, timingSafeEqual } from 'node:crypto';
import {
  generateAuthenticationOptions,
  verifyAuthenticationResponse,
  type AuthenticationResponseJSON,
  type AuthenticatorTransport,
} from '@simplewebauthn/server';
import { AnfuError } from '../errors.ts';
import { newId } from '../ids.ts';
import type { Tx } from '../store/index.ts';
import { countHit } from '../throttle/index.ts';
import { auditCustomer } from './customer-audit.ts';
import { checkCustomerTotp } from './enrol-totp.ts';
import type { Identity, RequestMeta } from './identity.ts';
import { webauthnChallengeTtlMs } from './passkeys.ts';
import { spendRecoveryCode } from './recovery-codes.ts';
import {
  consumeStepUpCode,
  countStepUpCodeAttempt,
  insertStepUpCode,
  insertSubjectWebauthnChallenge,
  stepUpCodeById,
  takeSubjectWebauthnChallenge,
  type StepUpPurpose,
} from './step-up-store.ts';
import { customerById, passkeysOf, updatePasskeyCounter, type CustomerRow } from './store.ts';

export type StepUpFactor =
  | { readonly kind: 'totp'; readonly code: string }
  | { readonly kind: 'sms'; readonly codeId: string; readonly code: string }
  | { readonly kind: 'passkey'; readonly response: AuthenticationResponseJSON; readonly origin: string }
  | { readonly kind: 'recovery_code'; readonly code: string };

/** 0: password only; 1: an SMS code (the phone); 2: a factor the customer holds apart from the phone number. */
export const factorStrength: Readonly<Record<string, number>> = {
  password: 0,
  sms: 1,
  totp: 2,
  passkey: 2,
  device_signature: 2,
  recovery_code: 2,
};

export function strengthOf(factors: readonly string[]): number {
  return Math.max(0, ...factors.map((f) => factorStrength[f] ?? 0));
}

/** SMS step-up codes a customer may be sent per hour (every purpose together). */
export const stepUpSmsPerHourMax = 5;

function codeHash(identity: Pick<Identity, 'profile'>, id: string, code: string): Buffer {
  return identity.profile.hash(Buffer.from(`anfu step-up v1|${id}|${code}`, 'utf8'));
}

export interface StepUpSubject {
  readonly purpose: StepUpPurpose;
  /** The payment id, or the session id for a factor change. */
  readonly subjectId: string;
}

/** Sends a code for `subject` to the customer's phone; `text` names what it authorises (e.g. the amount). */
export async function sendStepUpCode(
  identity: Identity,
  customerId: string,
  subject: StepUpSubject & { text: string },
  meta: RequestMeta & { deviceId?: string | null },
): Promise<{ codeId: string; expiresAt: number }> {
  const now = identity.clock();
  const customer = await customerById(identity.store, customerId);
  if (customer === undefined || customer.status !== 'active') throw new AnfuError('unauthenticated');
  const { phone } = await identity.protection.revealCustomer(customer.id, customer.row, ['phone']);
  const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
  const codeId = newId('suc', now);
  const sent = await identity.store.transaction(async (tx) => {
    const { hits } = await countHit(tx, `step-up-sms:${customerId}`, 3600_000, now);
    const allowed = hits <= stepUpSmsPerHourMax && phone !== undefined;
    if (allowed)
      await insertStepUpCode(tx, {
        id: codeId,
        customerId,
        purpose: subject.purpose,
        subjectId: subject.subjectId,
        codeHash: codeHash(identity, codeId, code),
        createdAt: now,
        expiresAt: now + identity.config.smsCodeTtlMs,
      });
    await auditCustomer(
      tx,
      customerId,
      meta,
      [
        {
          action: 'customer.step_up.sms_send',
          target: subject.subjectId,
          outcome: allowed ? 'success' : 'denied',
          details: { purpose: subject.purpose, ...(allowed ? {} : { reason: 'throttled' }) },
        },
      ],
      now,
    );
    return allowed;
  });
  if (!sent || phone === undefined) throw new AnfuError('sms_throttled', undefined, { retryAfterSeconds: 3600 });
  await identity.sms.send({
    to: phone,
    text: subject.text.replace('{code}', code),
    purpose: `step_up:${subject.purpose}`,
  });
  return { codeId, expiresAt: now + identity.config.smsCodeTtlMs };
}

/** WebAuthn options for answering a step-up of `subject` with one of the customer's passkeys. */
export async function stepUpPasskeyOptions(identity: Identity, customerId: string, subject: StepUpSubject) {
  const now = identity.clock();
  const passkeys = await passkeysOf(identity.store, customerId);
  if (passkeys.length === 0) throw new AnfuError('factor_not_acceptable', 'no passkey is registered');
  const options = await generateAuthenticationOptions({
    rpID: identity.config.webauthnRpId,
    userVerification: 'required',
    timeout: webauthnChallengeTtlMs,
    allowCredentials: passkeys.map((p) => ({
      id: p.credentialId,
      transports: p.transports as AuthenticatorTransport[],
    })),
  });
  await identity.store.transaction((tx) =>
    insertSubjectWebauthnChallenge(tx, {
      id: newId('wac', now),
      customerId,
      challenge: options.challenge,
      subjectId: `${subject.purpose}:${subject.subjectId}`,
      expiresAt: now + webauthnChallengeTtlMs,
    }),
  );
  return options;
}

async function checkStepUpCode(
  identity: Identity,
  tx: Tx,
  customerId: string,
  subject: StepUpSubject,
  factor: { codeId: string; code: string },
  now: number,
): Promise<boolean> {
  const row = await stepUpCodeById(tx, factor.codeId);
  if (
    row === undefined ||
    row.customerId !== customerId ||
    row.purpose !== subject.purpose ||
    row.subjectId !== subject.subjectId
  )
    return false;
  if (row.consumedAt !== null || row.attempts >= identity.config.smsCodeAttemptsMax || row.expiresAt <= now)
    return false;
  if (!/^[0-9]{6}$/.test(factor.code) || !timingSafeEqual(codeHash(identity, row.id, factor.code), row.codeHash)) {
    await countStepUpCodeAttempt(tx, row.id);
    return false;
  }
  return (await consumeStepUpCode(tx, row.id, now)) === 1;
}

async function checkPasskey(
  identity: Identity,
  tx: Tx,
  customerId: string,
  subject: StepUpSubject,
  factor: { response: AuthenticationResponseJSON; origin: string },
  now: number,
): Promise<boolean> {
  const challenge = await takeSubjectWebauthnChallenge(tx, customerId, `${subject.purpose}:${subject.subjectId}`, now);
  const passkey =
    challenge === undefined
      ? undefined
      : (await passkeysOf(tx, customerId)).find((p) => p.credentialId === factor.response.id);
  if (challenge === undefined || passkey === undefined) return false;
  const verification = await verifyAuthenticationResponse({
    response: factor.response,
    expectedChallenge: challenge,
    expectedOrigin: factor.origin,
    expectedRPID: identity.config.webauthnRpId,
    requireUserVerification: true,
    credential: {
      id: passkey.credentialId,
      publicKey: new Uint8Array(passkey.publicKey),
      counter: passkey.counter,
      transports: passkey.transports as AuthenticatorTransport[],
    },
  }).catch(() => undefined);
  if (verification?.verified !== true) return false;
  await updatePasskeyCounter(tx, passkey.id, verification.authenticationInfo.newCounter, now);
  return true;
}

/** Checks `factor` for `subject` in `tx`, spending what it uses; `totpSecret` is revealed before the transaction. */
export async function checkStepUpFactor(
  identity: Identity,
  tx: Tx,
  customer: CustomerRow,
  subject: StepUpSubject,
  factor: StepUpFactor,
  totpSecret: string | undefined,
  now: number,
): Promise<boolean> {
  switch (factor.kind) {
    case 'totp':
      return customer.totpState === 'active' && checkCustomerTotp(tx, customer, totpSecret, factor.code, now);
    case 'sms':
      return checkStepUpCode(identity, tx, customer.id, subject, factor, now);
    case 'passkey':
      return checkPasskey(identity, tx, customer.id, subject, factor, now);
    case 'recovery_code':
      return spendRecoveryCode(identity, tx, customer.id, factor.code, now);
  }
}
