// The customer identity API, public part: SMS codes, registration, login with step-up, token refresh
// and password reset. Thin: validate by schema, call one identity use case, map its outcome.
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { Type, type Static } from 'typebox';
import {
  completeLoginChallenge, logInCustomer, passkeyAuthenticationOptions, refreshSession, registerCustomer, requestSmsCode, resetPassword, sendChallengeSms, liveChallenge,
  type ChallengeAnswer, type Identity,
} from '../../identity/index.ts';
import { requestMeta } from '../customer-auth.ts';
import { ChallengeView, DeviceAttributes, Id, Password, Phone, SessionView, SmsCode, SmsCodeView, WebauthnJson, errors, iso, sessionView } from './identity-views.ts';

const tags = ['customer identity'];
const RegistrationBody = Type.Object({
  phone: Phone, smsCodeId: Id, smsCode: SmsCode, name: Type.String({ minLength: 1, maxLength: 120 }), idNumber: Type.String({ minLength: 1, maxLength: 40 }), password: Password, device: DeviceAttributes,
}, { additionalProperties: false });
const ChallengeBody = Type.Object({
  factor: Type.String({ enum: ['sms', 'totp', 'recovery_code', 'passkey', 'device_signature'] }),
  code: Type.Optional(SmsCode), codeId: Type.Optional(Id), response: Type.Optional(WebauthnJson),
  signature: Type.Optional(Type.String({ maxLength: 400, description: 'base64 DER signature by the device key' })), certificate: Type.Optional(Type.String({ maxLength: 8000 })),
}, { additionalProperties: false });
const ResetBody = Type.Object({ phone: Phone, smsCodeId: Id, smsCode: SmsCode, newPassword: Password, totpCode: Type.Optional(SmsCode), recoveryCode: Type.Optional(Type.String({ maxLength: 40 })) }, { additionalProperties: false });

/** The WebAuthn origin the browser reports: configured, or this server's own https origin. */
export function webauthnOrigin(identity: Identity, request: FastifyRequest): string {
  return identity.config.webauthnOrigin ?? `https://${identity.config.webauthnRpId}:${request.socket.localPort ?? identity.config.port}`;
}

function answerOf(identity: Identity, body: Static<typeof ChallengeBody>, request: FastifyRequest): ChallengeAnswer {
  const code = body.code ?? '';
  switch (body.factor) {
    case 'sms': return { factor: 'sms', codeId: body.codeId ?? '', code };
    case 'totp': return { factor: 'totp', code };
    case 'recovery_code': return { factor: 'recovery_code', code };
    case 'passkey': return { factor: 'passkey', response: body.response as never, origin: webauthnOrigin(identity, request) };
    default: return { factor: 'device_signature', signature: Buffer.from(body.signature ?? '', 'base64'), certificatePem: body.certificate };
  }
}

export function identityRoutes(identity: Identity): FastifyPluginAsync {
  return async (app) => {
    // After schema validation: a malformed request never touches the keyring.
    app.addHook('preHandler', () => identity.ready());
    app.post('/sms-codes', {
      schema: { tags, summary: 'Send a one-time code by SMS (registration or password reset)', body: Type.Object({ phone: Phone, purpose: Type.String({ enum: ['registration', 'password_reset'] }) }, { additionalProperties: false }), response: { 202: SmsCodeView, ...errors } },
    }, async (request, reply) => {
      const body = request.body as { phone: string; purpose: 'registration' | 'password_reset' };
      const sent = await requestSmsCode(identity, body, requestMeta(request));
      return reply.status(202).send({ codeId: sent.codeId, expiresAt: iso(sent.expiresAt) });
    });

    app.post('/customers', {
      schema: { tags, summary: 'Register with real-name verification; signs the customer in on this device', body: RegistrationBody, response: { 201: Type.Object({ customerId: Type.String(), accountClass: Type.String(), verificationSources: Type.Array(Type.String()), session: SessionView }), ...errors } },
    }, async (request, reply) => {
      const registered = await registerCustomer(identity, request.body as Static<typeof RegistrationBody>, requestMeta(request));
      return reply.status(201).send({ customerId: registered.customerId, accountClass: registered.accountClass, verificationSources: [...registered.verificationSources], session: sessionView(registered.session) });
    });

    app.post('/customer-sessions', {
      schema: { tags, summary: 'Sign in with phone and password: a session (201) or a step-up challenge (202)', body: Type.Object({ phone: Phone, password: Password, device: DeviceAttributes }, { additionalProperties: false }), response: { 201: SessionView, 202: ChallengeView, ...errors } },
    }, async (request, reply) => {
      const result = await logInCustomer(identity, request.body as { phone: string; password: string; device: Record<string, string> }, requestMeta(request));
      if (result.kind === 'session') return reply.status(201).send(sessionView(result.session));
      return reply.status(202).send({ challengeId: result.challengeId, factors: [...result.factors], reasons: [...result.reasons], expiresAt: iso(result.expiresAt), nonce: result.nonce });
    });

    app.post('/customer-sessions/refresh', {
      schema: { tags, summary: 'Rotate the refresh token; a reused one ends the session', body: Type.Object({ refreshToken: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false }), response: { 200: SessionView, ...errors } },
    }, async (request) => sessionView(await refreshSession(identity, (request.body as { refreshToken: string }).refreshToken, requestMeta(request))));

    app.post('/login-challenges/:challengeId/sms', {
      schema: { tags, summary: 'Send the SMS code for a login challenge', params: Type.Object({ challengeId: Id }), response: { 202: SmsCodeView, ...errors } },
    }, async (request, reply) => {
      const sent = await sendChallengeSms(identity, (request.params as { challengeId: string }).challengeId, requestMeta(request));
      return reply.status(202).send({ codeId: sent.codeId, expiresAt: iso(sent.expiresAt) });
    });

    app.post('/login-challenges/:challengeId/passkey-options', {
      schema: { tags, summary: 'WebAuthn options to answer a login challenge with a passkey', params: Type.Object({ challengeId: Id }), response: { 200: WebauthnJson, ...errors } },
    }, async (request) => {
      const { challenge, customer } = await liveChallenge(identity, (request.params as { challengeId: string }).challengeId, requestMeta(request));
      return passkeyAuthenticationOptions(identity, customer.id, challenge.id);
    });

    app.post('/login-challenges/:challengeId', {
      schema: { tags, summary: 'Answer a login challenge with one of its factors', params: Type.Object({ challengeId: Id }), body: ChallengeBody, response: { 201: SessionView, ...errors } },
    }, async (request, reply) => {
      const answer = answerOf(identity, request.body as Static<typeof ChallengeBody>, request);
      const session = await completeLoginChallenge(identity, (request.params as { challengeId: string }).challengeId, answer, requestMeta(request));
      return reply.status(201).send(sessionView(session));
    });

    app.post('/password-resets', {
      schema: { tags, summary: 'Reset the password with an SMS code (and a second factor when enrolled); ends every session', body: ResetBody, response: { 204: Type.Null(), ...errors } },
    }, async (request, reply) => {
      await resetPassword(identity, request.body as Static<typeof ResetBody>, requestMeta(request));
      return reply.status(204).send();
    });
  };
}
