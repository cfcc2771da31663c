// Test support for identity: the real app on a real store with a readable SMS sink and, optionally,
// extra verification sources; helpers to register and sign in customers through the API.
import { cryptoProfile, type PrivateKey, type ProfileName } from '../crypto/index.ts';
import {
  openIdentity, residentIdCheckCharacter as checkCharacter, totpCode, type DevelopmentSmsSink, type Identity,
  type IdentityVerifier,
} from '../identity/index.ts';
import { totpCodeAt, type OperatorRole } from '../access/index.ts';
import type { StoreKind } from '../store/testing.ts';
import { createTestApp, type TestApp } from './test-app.ts';
import { enrolledTestOperator } from './test-operators.ts';

export const testEnv = { ANFU_ARGON2_MEMORY_KIB: '1024', ANFU_ARGON2_TIME_COST: '1', ANFU_SMS_RESEND_INTERVAL_MS: '0' };

export interface IdentityTestApp extends TestApp {
  readonly identity: Identity;
  /** Moves the app's clock forward (it starts at noon, Beijing time, so the hour rule is quiet). */
  advance(ms: number): void;
  /** The newest SMS to `phone` (E.164) in the development sink. */
  lastSms(phone: string): { text: string; purpose: string } | undefined;
  smsCode(phone: string): string;
}

/** createTestApp rebuilt on the same store with a controllable clock and, optionally, other verification sources. */
export async function createIdentityTestApp(kind: StoreKind, options: { env?: Record<string, string>; verifiers?: readonly IdentityVerifier[] } = {}): Promise<IdentityTestApp> {
  let skew = Date.UTC(2026, 0, 15, 4, 0, 0) - Date.now();
  const clock = () => Date.now() + skew;
  let identity: Identity | undefined;
  const verifiers = options.verifiers === undefined ? {} : { verifiers: options.verifiers };
  const base = await createTestApp(kind, { ...testEnv, ...options.env }, {
    clock,
    identity: async (parts) => (identity = await openIdentity({ ...parts, clock, ...verifiers })),
  });
  const { app } = base;
  if (identity === undefined) throw new Error('the test app did not build its identity');
  const built = identity;
  // The development sink matches numbers by a keyed hash only it can compute (no number in clear).
  const lastSms = (phone: string) => (built.sms as Partial<DevelopmentSmsSink>).latest?.(phone);
  return {
    ...base,
    app,
    identity,
    advance(ms) {
      skew += ms;
    },
    lastSms,
    smsCode(phone) {
      const code = /\d{6}/.exec(lastSms(phone)?.text ?? '')?.[0];
      if (code === undefined) throw new Error('no SMS code sent');
      return code;
    },
    close: () => base.close(),
  };
}

/**
 * A new operator of `role` logged in as a person (password + TOTP, the session approvals require), on a
 * fresh TOTP step: the headers to call the operator API with.
 */
export async function operatorSession(t: IdentityTestApp, role: OperatorRole): Promise<Record<string, string>> {
  const access = t.app.context.access;
  const parts = { store: t.store, totpSecrets: access.totpSecrets, policy: access.enrolmentPolicy };
  const operator = await enrolledTestOperator(parts, role, t.identity.clock());
  t.advance(30_000);
  const totp = totpCodeAt(operator.totpSecret, t.identity.clock());
  const payload = { name: operator.name, password: operator.password, totp };
  const response = await t.app.inject({ method: 'POST', url: '/v1/operator-sessions', payload });
  if (response.statusCode !== 201) throw new Error(`operator login refused: ${response.body}`);
  return { authorization: `Bearer ${(response.json() as { token: string }).token}` };
}

let sequence = 0;

/** A valid resident ID number for someone born on `birth` (YYYYMMDD). */
export function residentIdNumber(birth = '19900307', region = '110101'): string {
  sequence = (sequence + 1) % 1000;
  const first17 = `${region}${birth}${String(sequence).padStart(3, '0')}`;
  return `${first17}${checkCharacter(first17)}`;
}

let phoneSequence = 0;
export function phoneNumber(): string {
  phoneSequence += 1;
  return `+86139${String(process.pid % 10000).padStart(4, '0')}${String(phoneSequence % 10000).padStart(4, '0')}`;
}

export const browserDevice = { installId: 'install-a', platform: 'Linux x86_64', screen: '1920x1080', timezone: 'Asia/Shanghai' };

export interface RegisteredCustomer {
  readonly phone: string;
  readonly idNumber: string;
  readonly password: string;
  readonly customerId: string;
  readonly accessToken: string;
  readonly refreshToken: string;
  readonly deviceId: string;
}

export async function registerThroughApi(t: IdentityTestApp, overrides: { phone?: string; idNumber?: string; device?: Record<string, string> } = {}): Promise<RegisteredCustomer> {
  const phone = overrides.phone ?? phoneNumber();
  const idNumber = overrides.idNumber ?? residentIdNumber();
  const password = 'correct horse battery staple 安付';
  const sent = await t.app.inject({ method: 'POST', url: '/v1/sms-codes', payload: { phone, purpose: 'registration' } });
  if (sent.statusCode !== 202) throw new Error(`sms-codes ${sent.statusCode} ${sent.body}`);
  const response = await t.app.inject({
    method: 'POST', url: '/v1/customers',
    payload: { phone, smsCodeId: sent.json().codeId, smsCode: t.smsCode(phone), name: '张三', idNumber, password, device: overrides.device ?? browserDevice },
  });
  if (response.statusCode !== 201) throw new Error(`register ${response.statusCode} ${response.body}`);
  const body = response.json();
  return { phone, idNumber, password, customerId: body.customerId, accessToken: body.session.accessToken, refreshToken: body.session.refreshToken, deviceId: body.session.deviceId };
}

export interface SecuredDevice {
  readonly privateKey: PrivateKey;
  readonly certificate: string;
  readonly totpSecret: string;
}

/** In the registration session: certify a device key made here, then turn on an authenticator. */
export async function secureRegisteredDevice(
  t: IdentityTestApp,
  registered: RegisteredCustomer,
  profileName: ProfileName = 'intl',
): Promise<SecuredDevice> {
  const profile = cryptoProfile(profileName);
  const keyPair = profile.generateSigningKeyPair();
  const headers = { authorization: `Bearer ${registered.accessToken}` };
  const expect = async (url: string, status: number, payload?: object) => {
    const body = payload === undefined ? {} : { payload };
    const response = await t.app.inject({ method: 'POST', url, headers, ...body });
    if (response.statusCode !== status) throw new Error(`${url}: ${response.statusCode} ${response.body}`);
    return (response.body === '' ? {} : response.json()) as Record<string, unknown>;
  };
  const publicKey = profile.exportPublicKey(keyPair.publicKey);
  const certified = await expect('/v1/me/device-certificate', 201, { publicKey });
  const { secret } = (await expect('/v1/me/totp', 201)) as { secret: string };
  await expect('/v1/me/totp/confirm', 204, { code: totpCode(secret, t.identity.clock()) });
  return { privateKey: keyPair.privateKey, certificate: String(certified.certificate), totpSecret: secret };
}
