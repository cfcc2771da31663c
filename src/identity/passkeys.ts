// Passkeys (R3.4): WebAuthn registration and authentication through @simplewebauthn/server with user
// verification required, so the authenticator has checked the fingerprint or face and the platform
// only ever sees its signature. Challenges are stored and spent on first use: a replayed or forged
// assertion finds no challenge, or fails verification, and is refused.
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from '@simplewebauthn/server';
import type {
  AuthenticationResponseJSON,
  AuthenticatorTransport,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { AnfuError } from '../errors.ts';
import { newId } from '../ids.ts';
import type { Tx } from '../store/index.ts';
import { auditCustomer } from './customer-audit.ts';
import type { Identity, RequestMeta } from './identity.ts';
import { deliverNotices, recordNotice } from './notices.ts';
import { recordFactorChange, requireFreshStepUp } from './factor-changes.ts';
import type { CustomerPrincipal } from './sessions.ts';
import {
  customerById,
  insertPasskey,
  insertWebauthnChallenge,
  passkeysOf,
  takeWebauthnChallenge,
  updatePasskeyCounter,
} from './store.ts';

export const webauthnChallengeTtlMs = 5 * 60_000;
const rpName = 'Anfu 安付';

export async function passkeyRegistrationOptions(
  identity: Identity,
  principal: CustomerPrincipal,
  meta: RequestMeta = { ip: null, userAgent: null },
) {
  await requireFreshStepUp(identity, principal, meta, 'passkey.add');
  const now = identity.clock();
  const existing = await passkeysOf(identity.store, principal.customerId);
  const options = await generateRegistrationOptions({
    rpName,
    rpID: identity.config.webauthnRpId,
    userName: principal.customerId,
    userDisplayName: 'Anfu wallet',
    userID: Buffer.from(principal.customerId, 'utf8'),
    attestationType: 'none',
    timeout: webauthnChallengeTtlMs,
    authenticatorSelection: { residentKey: 'preferred', userVerification: 'required' },
    excludeCredentials: existing.map((p) => ({ id: p.credentialId, transports: p.transports })),
  });
  await identity.store.transaction((tx) =>
    insertWebauthnChallenge(tx, {
      id: newId('wac', now),
      customerId: principal.customerId,
      purpose: 'registration',
      challenge: options.challenge,
      loginChallengeId: null,
      expiresAt: now + webauthnChallengeTtlMs,
    }),
  );
  return options;
}

export async function registerPasskey(
  identity: Identity,
  principal: CustomerPrincipal,
  input: { response: RegistrationResponseJSON; label: string; origin: string },
  meta: RequestMeta,
): Promise<{ passkeyId: string }> {
  await requireFreshStepUp(identity, principal, meta, 'passkey.add');
  const now = identity.clock();
  const audit = { ...meta, deviceId: principal.deviceId };
  const outcome = await identity.store.transaction(async (tx) => {
    const challenge = await takeWebauthnChallenge(tx, principal.customerId, 'registration', null, now);
    const verification =
      challenge === undefined
        ? undefined
        : await verifyRegistrationResponse({
            response: input.response,
            expectedChallenge: challenge,
            expectedOrigin: input.origin,
            expectedRPID: identity.config.webauthnRpId,
            requireUserVerification: true,
          }).catch(() => undefined);
    if (verification?.verified !== true || verification.registrationInfo === undefined) {
      await auditCustomer(
        tx,
        principal.customerId,
        audit,
        [
          {
            action: 'customer.passkey.register',
            target: null,
            outcome: 'failure',
            details: { reason: challenge === undefined ? 'no_challenge' : 'verification_failed' },
          },
        ],
        now,
      );
      return undefined;
    }
    const { credential } = verification.registrationInfo;
    const passkeyId = newId('pky', now);
    await insertPasskey(tx, {
      id: passkeyId,
      customerId: principal.customerId,
      credentialId: credential.id,
      publicKey: Buffer.from(credential.publicKey),
      counter: credential.counter,
      transports: credential.transports ?? [],
      label: input.label,
      createdAt: now,
    });
    await recordFactorChange(tx, principal, 2, now);
    await auditCustomer(
      tx,
      principal.customerId,
      audit,
      [{ action: 'customer.passkey.register', target: passkeyId, outcome: 'success' }],
      now,
    );
    await recordNotice(tx, principal.customerId, 'factor_added', { factor: 'passkey', passkeyId }, now);
    return passkeyId;
  });
  if (outcome === undefined) throw new AnfuError('passkey_failed');
  const customer = await customerById(identity.store, principal.customerId);
  if (customer !== undefined) await deliverNotices(identity, customer, ['factor_added']);
  return { passkeyId: outcome };
}

/** Options for completing login challenge `loginChallengeId` with one of the customer's passkeys. */
export async function passkeyAuthenticationOptions(identity: Identity, customerId: string, loginChallengeId: string) {
  const now = identity.clock();
  const passkeys = await passkeysOf(identity.store, customerId);
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
    insertWebauthnChallenge(tx, {
      id: newId('wac', now),
      customerId,
      purpose: 'authentication',
      challenge: options.challenge,
      loginChallengeId,
      expiresAt: now + webauthnChallengeTtlMs,
    }),
  );
  return options;
}

/** Verifies an assertion in `tx`, spending its challenge and advancing the signature counter. */
export async function checkPasskeyAssertion(
  identity: Identity,
  tx: Tx,
  input: { customerId: string; loginChallengeId: string; response: AuthenticationResponseJSON; origin: string },
  now: number,
): Promise<boolean> {
  const challenge = await takeWebauthnChallenge(tx, input.customerId, 'authentication', input.loginChallengeId, now);
  if (challenge === undefined) return false;
  const passkey = (await passkeysOf(tx, input.customerId)).find((p) => p.credentialId === input.response.id);
  if (passkey === undefined) return false;
  const verification = await verifyAuthenticationResponse({
    response: input.response,
    expectedChallenge: challenge,
    expectedOrigin: input.origin,
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
