// Response whitelists of the customer identity API: only these fields leave the server.
import { Type } from 'typebox';
import { authenticationStrength, type IssuedSession } from '../../identity/index.ts';

export const IdPattern = '^[a-z]{2,8}_[0-9a-hjkmnp-tv-z]{26}$';
export const Id = Type.String({ pattern: IdPattern });
export const Phone = Type.String({ minLength: 1, maxLength: 32, description: 'Mainland mobile number, e.g. "13800138000" or "+86 138 0013 8000"' });
export const Password = Type.String({ minLength: 1, maxLength: 512, description: 'Any characters; 8–128 after NFKC normalisation' });
export const SmsCode = Type.String({ minLength: 1, maxLength: 16 });
export const DeviceAttributes = Type.Record(Type.String({ pattern: '^[A-Za-z][A-Za-z0-9_]{0,31}$' }), Type.String({ maxLength: 256 }), {
  maxProperties: 16, description: 'Device attributes hashed server-side into the device fingerprint (userAgent is added from the header); keep a random installId among them',
});
export const WebauthnJson = Type.Object({}, { additionalProperties: true, description: 'WebAuthn JSON as @simplewebauthn/browser produces and consumes it' });

export const SessionView = Type.Object({
  sessionId: Type.String(), customerId: Type.String(), deviceId: Type.String(),
  accessToken: Type.String(), accessTokenExpiresAt: Type.String({ format: 'date-time' }), refreshToken: Type.String(),
  factors: Type.Array(Type.String()), deviceSigned: Type.Boolean(),
  authenticationStrength: Type.String({ enum: ['certificate_and_factor', 'two_factors', 'single_factor'] }),
});

export function sessionView(session: IssuedSession) {
  return {
    sessionId: session.sessionId, customerId: session.customerId, deviceId: session.deviceId,
    accessToken: session.accessToken, accessTokenExpiresAt: new Date(session.accessTokenExpiresAt).toISOString(), refreshToken: session.refreshToken,
    factors: [...session.factors], deviceSigned: session.deviceSigned, authenticationStrength: authenticationStrength(session),
  };
}

export const ChallengeView = Type.Object({
  challengeId: Type.String(), factors: Type.Array(Type.String()), reasons: Type.Array(Type.String()),
  expiresAt: Type.String({ format: 'date-time' }), nonce: Type.String({ description: 'What a device signs for the device_signature factor: "anfu-login-v1|<challengeId>|<nonce>"' }),
});

export const SmsCodeView = Type.Object({ codeId: Type.String(), expiresAt: Type.String({ format: 'date-time' }) });
export const ProfileView = Type.Object({
  customerId: Type.String(), phone: Type.String(), name: Type.String(), accountClass: Type.String(), verificationSources: Type.Array(Type.String()),
  factors: Type.Object({ totp: Type.Boolean(), passkeys: Type.Integer(), recoveryCodes: Type.Integer() }),
});
export const DeviceView = Type.Object({
  deviceId: Type.String(), label: Type.String(), status: Type.String(), certified: Type.Boolean(), certificateSerial: Type.Union([Type.String(), Type.Null()]),
  current: Type.Boolean(), createdAt: Type.String({ format: 'date-time' }), lastSeenAt: Type.String({ format: 'date-time' }),
});
export const CustomerSessionView = Type.Object({
  sessionId: Type.String(), deviceId: Type.String(), factors: Type.Array(Type.String()), deviceSigned: Type.Boolean(), current: Type.Boolean(),
  createdAt: Type.String({ format: 'date-time' }), expiresAt: Type.String({ format: 'date-time' }),
});
export const NoticeView = Type.Object({ noticeId: Type.String(), kind: Type.String(), details: Type.Object({}, { additionalProperties: true }), createdAt: Type.String({ format: 'date-time' }) });
export const iso = (ms: number) => new Date(ms).toISOString();
export const errors = { 400: Type.Any(), 401: Type.Any(), 403: Type.Any(), 404: Type.Any(), 409: Type.Any(), 422: Type.Any(), 429: Type.Any() };
