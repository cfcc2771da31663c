// The signed-in customer's own identity: profile and class upgrade, password, TOTP, recovery codes,
// passkeys, device certificate, devices, sessions and security notices. Every route needs a customer
// access token; the use cases ask for a second factor where the change is sensitive.
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { Type, type Static } from 'typebox';
import { AnfuError } from '../../errors.ts';
import {
  addVerificationSource,
  changePassword,
  confirmTotpEnrolment,
  customerProfile,
  endSession,
  generateRecoveryCodes,
  issueDeviceCertificate,
  listDevices,
  listNotices,
  listSessions,
  passkeyRegistrationOptions,
  registerPasskey,
  removeTotp,
  revokeCustomerDevice,
  sendSessionStepUpCode,
  sessionStepUpPasskeyOptions,
  startTotpEnrolment,
  stepUpSession,
  type CustomerPrincipal,
  type Identity,
  type StepUpFactor,
} from '../../identity/index.ts';
import { requestMeta } from '../customer-auth.ts';
import { customerSecurity } from '../schemas.ts';
import {
  CustomerSessionView,
  DeviceView,
  Id,
  NoticeView,
  Password,
  ProfileView,
  SmsCode,
  WebauthnJson,
  errors,
  iso,
} from './identity-views.ts';
import { webauthnOrigin } from './identity.ts';

const tags = ['customer self-service'];
const security = customerSecurity;
const route = { config: { auth: 'customer' as const } };

function principalOf(request: FastifyRequest): CustomerPrincipal {
  if (request.customer === undefined) throw new AnfuError('unauthenticated');
  return request.customer;
}

export function customerSelfRoutes(identity: Identity): FastifyPluginAsync {
  return async (app) => {
    // After schema validation: a malformed request never touches the keyring.
    app.addHook('preHandler', () => identity.ready());
    app.get(
      '/me',
      {
        ...route,
        schema: {
          tags,
          security,
          summary: 'My identity (masked), class and enrolled factors',
          response: { 200: ProfileView, ...errors },
        },
      },
      async (request) => customerProfile(identity, principalOf(request)),
    );

    app.post(
      '/me/verifications',
      {
        ...route,
        schema: {
          tags,
          security,
          summary: 'Add an identity verification source (e.g. bank-card check) to upgrade the wallet class',
          body: Type.Object(
            {
              source: Type.String({ maxLength: 64 }),
              evidence: Type.Record(Type.String({ pattern: '^[A-Za-z]{1,32}$' }), Type.String({ maxLength: 64 }), {
                maxProperties: 8,
              }),
            },
            { additionalProperties: false },
          ),
          response: { 200: ProfileView, ...errors },
        },
      },
      async (request) =>
        addVerificationSource(
          identity,
          principalOf(request),
          request.body as { source: string; evidence: Record<string, string> },
          requestMeta(request),
        ),
    );

    app.post(
      '/me/password',
      {
        ...route,
        schema: {
          tags,
          security,
          summary: 'Change my password; my other sessions end',
          body: Type.Object({ currentPassword: Password, newPassword: Password }, { additionalProperties: false }),
          response: { 204: Type.Null(), ...errors },
        },
      },
      async (request, reply) => {
        await changePassword(
          identity,
          principalOf(request),
          request.body as { currentPassword: string; newPassword: string },
          requestMeta(request),
        );
        return reply.status(204).send();
      },
    );

    app.post(
      '/me/totp',
      {
        ...route,
        schema: {
          tags,
          security,
          summary: 'Start authenticator-app enrolment: secret, otpauth URI and QR code (SVG)',
          response: {
            201: Type.Object({ secret: Type.String(), uri: Type.String(), qrSvg: Type.String() }),
            ...errors,
          },
        },
      },
      async (request, reply) =>
        reply.status(201).send(await startTotpEnrolment(identity, principalOf(request), requestMeta(request))),
    );

    app.post(
      '/me/totp/confirm',
      {
        ...route,
        schema: {
          tags,
          security,
          summary: 'Confirm the authenticator app with a current code',
          body: Type.Object({ code: SmsCode }, { additionalProperties: false }),
          response: { 204: Type.Null(), ...errors },
        },
      },
      async (request, reply) => {
        await confirmTotpEnrolment(
          identity,
          principalOf(request),
          (request.body as { code: string }).code,
          requestMeta(request),
        );
        return reply.status(204).send();
      },
    );

    app.delete(
      '/me/totp',
      {
        ...route,
        schema: { tags, security, summary: 'Remove the authenticator app', response: { 204: Type.Null(), ...errors } },
      },
      async (request, reply) => {
        await removeTotp(identity, principalOf(request), requestMeta(request));
        return reply.status(204).send();
      },
    );

    app.post(
      '/me/recovery-codes',
      {
        ...route,
        schema: {
          tags,
          security,
          summary: 'Generate ten single-use recovery codes (shown once; replaces earlier ones)',
          response: { 201: Type.Object({ codes: Type.Array(Type.String()) }), ...errors },
        },
      },
      async (request, reply) =>
        reply
          .status(201)
          .send({ codes: await generateRecoveryCodes(identity, principalOf(request), requestMeta(request)) }),
    );

    app.post(
      '/me/passkeys/options',
      {
        ...route,
        schema: {
          tags,
          security,
          summary: 'WebAuthn registration options for a new passkey',
          response: { 200: WebauthnJson, ...errors },
        },
      },
      async (request) => passkeyRegistrationOptions(identity, principalOf(request), requestMeta(request)),
    );

    app.post(
      '/me/passkeys',
      {
        ...route,
        schema: {
          tags,
          security,
          summary: 'Register a passkey (user verification required)',
          body: Type.Object(
            { response: WebauthnJson, label: Type.Optional(Type.String({ minLength: 1, maxLength: 40 })) },
            { additionalProperties: false },
          ),
          response: { 201: Type.Object({ passkeyId: Type.String() }), ...errors },
        },
      },
      async (request, reply) => {
        const body = request.body as { response: never; label?: string };
        return reply
          .status(201)
          .send(
            await registerPasskey(
              identity,
              principalOf(request),
              { response: body.response, label: body.label ?? 'passkey', origin: webauthnOrigin(identity, request) },
              requestMeta(request),
            ),
          );
      },
    );

    app.post(
      '/me/device-certificate',
      {
        ...route,
        schema: {
          tags,
          security,
          summary: "Certify this device's public key (SPKI PEM; P-256 or SM2 by profile)",
          body: Type.Object(
            { publicKey: Type.String({ minLength: 1, maxLength: 2000 }) },
            { additionalProperties: false },
          ),
          response: {
            201: Type.Object({
              deviceId: Type.String(),
              certificate: Type.String(),
              caCertificate: Type.String(),
              serial: Type.String(),
            }),
            ...errors,
          },
        },
      },
      async (request, reply) => {
        const issued = await issueDeviceCertificate(
          identity,
          principalOf(request),
          (request.body as { publicKey: string }).publicKey,
          requestMeta(request),
        );
        return reply
          .status(201)
          .send({
            deviceId: issued.deviceId,
            certificate: issued.certificatePem,
            caCertificate: issued.caCertificatePem,
            serial: issued.serial,
          });
      },
    );

    registerDeviceAndSessionRoutes(app, identity);
    registerStepUpRoutes(app, identity);
  };
}

const StepUpBody = Type.Object(
  {
    kind: Type.String({ enum: ['sms', 'totp', 'passkey', 'recovery_code'] }),
    code: Type.Optional(Type.String({ minLength: 1, maxLength: 40 })),
    codeId: Type.Optional(Type.String({ pattern: '^suc_[0-9a-z]{26}$' })),
    response: Type.Optional(WebauthnJson),
  },
  { additionalProperties: false },
);

function stepUpFactorOf(identity: Identity, body: Static<typeof StepUpBody>, request: FastifyRequest): StepUpFactor {
  const code = body.code ?? '';
  switch (body.kind) {
    case 'sms':
      return { kind: 'sms', codeId: body.codeId ?? '', code };
    case 'totp':
      return { kind: 'totp', code };
    case 'recovery_code':
      return { kind: 'recovery_code', code };
    default:
      return { kind: 'passkey', response: body.response as never, origin: webauthnOrigin(identity, request) };
  }
}

/** Step-up within a session: what adding, replacing or removing a factor needs when the login is no longer fresh. */
function registerStepUpRoutes(app: Parameters<FastifyPluginAsync>[0], identity: Identity): void {
  app.post(
    '/me/step-up',
    {
      ...route,
      schema: {
        tags,
        security,
        summary: 'Prove a factor again in this session (needed to add, replace or remove a factor)',
        body: StepUpBody,
        response: { 200: Type.Object({ strength: Type.String() }), ...errors },
      },
    },
    async (request) =>
      stepUpSession(
        identity,
        principalOf(request),
        stepUpFactorOf(identity, request.body as Static<typeof StepUpBody>, request),
        requestMeta(request),
      ),
  );

  app.post(
    '/me/step-up/sms',
    {
      ...route,
      schema: {
        tags,
        security,
        summary: 'Send an SMS code for a step-up in this session',
        response: { 202: Type.Object({ codeId: Type.String(), expiresAt: Type.String() }), ...errors },
      },
    },
    async (request, reply) => {
      const sent = await sendSessionStepUpCode(identity, principalOf(request), requestMeta(request));
      return reply.status(202).send({ codeId: sent.codeId, expiresAt: iso(sent.expiresAt) });
    },
  );

  app.post(
    '/me/step-up/passkey-options',
    {
      ...route,
      schema: {
        tags,
        security,
        summary: 'WebAuthn options for a step-up in this session',
        response: { 200: WebauthnJson, ...errors },
      },
    },
    async (request) => sessionStepUpPasskeyOptions(identity, principalOf(request)),
  );
}

function registerDeviceAndSessionRoutes(app: Parameters<FastifyPluginAsync>[0], identity: Identity): void {
  app.get(
    '/me/devices',
    {
      ...route,
      schema: {
        tags,
        security,
        summary: 'My devices',
        response: { 200: Type.Object({ items: Type.Array(DeviceView) }), ...errors },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const devices = await listDevices(identity, principal);
      return {
        items: devices.map((d) => ({
          deviceId: d.id,
          label: d.label,
          status: d.status,
          certified: d.certificatePem !== null,
          certificateSerial: d.certificateSerial,
          current: d.id === principal.deviceId,
          createdAt: iso(d.createdAt),
          lastSeenAt: iso(d.lastSeenAt),
        })),
      };
    },
  );

  app.delete(
    '/me/devices/:deviceId',
    {
      ...route,
      schema: {
        tags,
        security,
        summary: 'Revoke a device: its sessions end and its certificate stops working',
        params: Type.Object({ deviceId: Id }),
        response: { 204: Type.Null(), ...errors },
      },
    },
    async (request, reply) => {
      await revokeCustomerDevice(
        identity,
        principalOf(request),
        (request.params as { deviceId: string }).deviceId,
        requestMeta(request),
      );
      return reply.status(204).send();
    },
  );

  app.get(
    '/me/sessions',
    {
      ...route,
      schema: {
        tags,
        security,
        summary: 'My live sessions',
        response: { 200: Type.Object({ items: Type.Array(CustomerSessionView) }), ...errors },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const sessions = await listSessions(identity, principal);
      return {
        items: sessions.map((s) => ({
          sessionId: s.id,
          deviceId: s.deviceId,
          factors: [...s.factors],
          deviceSigned: s.deviceSigned,
          current: s.id === principal.sessionId,
          createdAt: iso(s.createdAt),
          expiresAt: iso(s.expiresAt),
        })),
      };
    },
  );

  app.delete(
    '/me/sessions/:sessionId',
    {
      ...route,
      schema: {
        tags,
        security,
        summary: 'End one of my sessions',
        params: Type.Object({ sessionId: Id }),
        response: { 204: Type.Null(), ...errors },
      },
    },
    async (request, reply) => {
      await endSession(
        identity,
        principalOf(request),
        (request.params as { sessionId: string }).sessionId,
        requestMeta(request),
      );
      return reply.status(204).send();
    },
  );

  app.delete(
    '/me/session',
    {
      ...route,
      schema: { tags, security, summary: 'Log out (end this session)', response: { 204: Type.Null(), ...errors } },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      await endSession(identity, principal, principal.sessionId, requestMeta(request));
      return reply.status(204).send();
    },
  );

  app.get(
    '/me/notices',
    {
      ...route,
      schema: {
        tags,
        security,
        summary: 'My security notices, newest first',
        querystring: Type.Object(
          { limit: Type.Optional(Type.String({ pattern: '^([1-9]|[1-9][0-9]|100)$' })) },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ items: Type.Array(NoticeView) }), ...errors },
      },
    },
    async (request) => {
      const limit = Number((request.query as { limit?: string }).limit ?? '50');
      const notices = await listNotices(identity, principalOf(request), limit);
      return {
        items: notices.map((n) => ({ noticeId: n.id, kind: n.kind, details: n.details, createdAt: iso(n.createdAt) })),
      };
    },
  );
}
