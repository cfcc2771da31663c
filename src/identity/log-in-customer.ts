// Customer login with password, throttling and risk-based step-up (R3.2, R3.6). The reply to a wrong
// password, an unknown phone number and a disabled account is the same `login_failed`, after the same
// argon2id work, and all three count toward the same throttles. A correct password then meets the
// login risk rules: allow (a session with one factor), challenge (which factors may complete it), or deny.
// Lockout is keyed so a stranger cannot lock the owner out: failures from devices the account does not
// know share one lock per phone number (and one per address), while each known device has its own; a
// known device keeps working while the number is locked for strangers, with a second factor asked.
// Failures against many numbers from one address are credential stuffing: an event, and the address is
// locked.
import { raiseSecurityEvent } from '../access/index.ts';
import { AnfuError } from '../errors.ts';
import { newId } from '../ids.ts';
import { networksOf, type LoginRiskDecision } from '../risk/index.ts';
import { auditCustomer } from './customer-audit.ts';
import { deviceFingerprint, deviceLabel, type DeviceAttributes } from './device-fingerprint.ts';
import type { Identity, RequestMeta } from './identity.ts';
import {
  addressThrottlePolicy,
  afterFailure,
  phoneThrottlePolicy,
  throttleDecision,
  type ThrottleState,
} from './login-throttle.ts';
import { recordNotice } from './notices.ts';
import { dummyHash, hashPassword, needsRehash, verifyPassword } from './password-hashing.ts';
import { parsePhoneNumber } from './phone-number.ts';
import { createSession, type IssuedSession } from './sessions.ts';
import { distinctFailedSubjectsFrom, insertLoginFailureSource } from './step-up-store.ts';
import type { Tx } from '../store/index.ts';
import {
  clearThrottle,
  customerWhere,
  devicesOf,
  insertChallenge,
  insertDevice,
  insertLoginHistory,
  loginHistorySummary,
  passkeysOf,
  saveThrottleState,
  throttleStates,
  touchDevice,
  unusedRecoveryCodes,
  updateCustomer,
  type CustomerRow,
  type DeviceRow,
} from './store.ts';
import { randomBytes } from 'node:crypto';

export const loginChallengeTtlMs = 5 * 60_000;

export type LoginResult =
  | { readonly kind: 'session'; readonly session: IssuedSession }
  | {
      readonly kind: 'challenge';
      readonly challengeId: string;
      readonly factors: readonly string[];
      readonly reasons: readonly string[];
      readonly expiresAt: number;
      readonly nonce: string;
    };

interface Subjects {
  /** Unknown devices: the phone number's shared lock; a known device: its own. */
  readonly phone: string;
  /** The client address, for unknown devices only (an owner's device is not locked out by a neighbour behind the same NAT). */
  readonly address: string | undefined;
  /** The lock that strangers' failures build on this phone number (read to ask known devices for a second factor). */
  readonly strangers: string;
  readonly phoneIndexHex: string;
  /** The device fingerprint (hex): what risk counts failed logins of a device by. */
  readonly fingerprintHex: string;
}

/** The minutes within which failures against distinct phone numbers from one address count as stuffing. */
const stuffingWindowMs = 10 * 60_000;

async function subjectsOf(
  identity: Identity,
  phone: string,
  customer: CustomerRow | undefined,
  device: DeviceAttributes,
  meta: RequestMeta,
): Promise<Subjects> {
  const phoneIndexHex = (await identity.protection.phoneIndex(phone)).toString('hex');
  const strangers = `phone:${phoneIndexHex}`;
  const fingerprint = deviceFingerprint(identity.profile, device, meta.userAgent);
  const known =
    customer === undefined
      ? undefined
      : (await devicesOf(identity.store, customer.id)).find(
          (d) => d.status === 'active' && d.fingerprintHash.equals(fingerprint),
        );
  const fingerprintHex = fingerprint.toString('hex');
  if (known !== undefined)
    return { phone: `${strangers}:device:${known.id}`, address: undefined, strangers, phoneIndexHex, fingerprintHex };
  const address = meta.ip === null ? undefined : `ip:${meta.ip}`;
  return { phone: strangers, address, strangers, phoneIndexHex, fingerprintHex };
}

async function refuseIfThrottled(
  identity: Identity,
  subjects: Subjects,
  meta: RequestMeta,
  now: number,
): Promise<Map<string, ThrottleState>> {
  const states = await throttleStates(identity.store, [
    ...new Set([subjects.phone, subjects.strangers, ...(subjects.address === undefined ? [] : [subjects.address])]),
  ]);
  const binding = [subjects.phone, ...(subjects.address === undefined ? [] : [subjects.address])];
  const waits = binding.map((subject) => throttleDecision(states.get(subject), now)).filter((d) => !d.allowed);
  if (waits.length === 0) return states;
  const retryAfterMs = Math.max(...waits.map((d) => (d.allowed ? 0 : d.retryAfterMs)));
  await identity.store.transaction((tx) =>
    auditCustomer(
      tx,
      null,
      meta,
      [{ action: 'customer.login', target: null, outcome: 'denied', details: { reason: 'throttled' } }],
      now,
    ),
  );
  throw new AnfuError('login_throttled', undefined, { retryAfterSeconds: Math.ceil(retryAfterMs / 1000) });
}

/** The failure in the phone number's (or known device's) throttle and, for unknown devices, the address's. */
async function throttleFailure(
  identity: Identity,
  tx: Tx,
  subjects: Subjects,
  states: Map<string, ThrottleState>,
  now: number,
): Promise<{ phone: ReturnType<typeof afterFailure>; addressLocked: boolean }> {
  const { config } = identity;
  const phone = afterFailure(
    states.get(subjects.phone),
    now,
    phoneThrottlePolicy(config.customerLoginFailuresMax, config.customerLockoutMs),
  );
  await saveThrottleState(tx, subjects.phone, phone);
  if (subjects.address === undefined) return { phone, addressLocked: false };
  const address = afterFailure(
    states.get(subjects.address),
    now,
    addressThrottlePolicy(config.loginIpFailuresMax, config.customerLockoutMs),
  );
  await saveThrottleState(tx, subjects.address, address);
  return { phone, addressLocked: address.locked };
}

async function recordFailure(
  identity: Identity,
  customer: CustomerRow | undefined,
  subjects: Subjects,
  states: Map<string, ThrottleState>,
  meta: RequestMeta,
  now: number,
): Promise<void> {
  const { config } = identity;
  await identity.store.transaction(async (tx) => {
    const { phone, addressLocked } = await throttleFailure(identity, tx, subjects, states, now);
    await identity.failedAttemptRisk?.(
      tx,
      { attempt: 'login', customerId: customer?.id ?? null, deviceKey: subjects.fingerprintHex, ip: meta.ip },
      now,
    );
    if (customer !== undefined)
      await insertLoginHistory(tx, {
        customerId: customer.id,
        deviceId: null,
        ip: meta.ip,
        network: null,
        outcome: 'failure',
        at: now,
      });
    const knownDevice = subjects.phone !== subjects.strangers;
    await auditCustomer(
      tx,
      customer?.id ?? null,
      meta,
      [
        {
          action: 'customer.login',
          target: customer?.id ?? null,
          outcome: 'failure',
          details: { reason: 'bad_credentials', failures: phone.failures, knownDevice },
        },
      ],
      now,
    );
    if (phone.locked || addressLocked) {
      await raiseSecurityEvent(
        tx,
        {
          type: 'brute_force',
          source: meta.ip,
          subject: customer?.id ?? 'unregistered-phone',
          details: { channel: 'customer_login', failures: phone.failures, addressLocked, knownDevice },
          quietMs: config.customerLockoutMs,
        },
        now,
      );
    }
    if (subjects.address !== undefined) await detectStuffing(identity, tx, subjects, meta, now);
  });
}

/** Like operator stuffing (src/access): failures against `credentialStuffingAccountsMax` numbers from one address. */
async function detectStuffing(
  identity: Identity,
  tx: Tx,
  subjects: Subjects,
  meta: RequestMeta,
  now: number,
): Promise<void> {
  const source = meta.ip ?? 'unknown';
  await insertLoginFailureSource(tx, source, subjects.phoneIndexHex, now);
  const accounts = await distinctFailedSubjectsFrom(tx, source, now - stuffingWindowMs);
  if (accounts < identity.config.credentialStuffingAccountsMax || subjects.address === undefined) return;
  const lockedUntil = now + identity.config.customerLockoutMs;
  await saveThrottleState(tx, subjects.address, { failures: accounts, lastFailureAt: now, blockedUntil: lockedUntil });
  const raised = await raiseSecurityEvent(
    tx,
    {
      type: 'credential_stuffing',
      source,
      details: {
        channel: 'customer_login',
        accounts,
        windowMs: stuffingWindowMs,
        addressLockedMs: identity.config.customerLockoutMs,
      },
      quietMs: stuffingWindowMs,
    },
    now,
  );
  if (raised !== undefined)
    await auditCustomer(
      tx,
      null,
      meta,
      [
        {
          action: 'customer.login.source_lock',
          target: null,
          outcome: 'success',
          details: { reason: 'credential_stuffing', accounts },
        },
      ],
      now,
    );
}

/** The second factors this customer could complete a challenge with, under the risk decision. */
async function acceptableFactors(
  identity: Identity,
  customer: CustomerRow,
  device: DeviceRow | undefined,
  risk: LoginRiskDecision,
): Promise<string[]> {
  const strong: string[] = [];
  if (customer.totpState === 'active') strong.push('totp');
  if ((await passkeysOf(identity.store, customer.id)).length > 0) strong.push('passkey');
  if (device?.certificatePem !== null && device?.certificatePem !== undefined && device.status === 'active')
    strong.push('device_signature');
  const recovery = (await unusedRecoveryCodes(identity.store, customer.id)) > 0 ? ['recovery_code'] : [];
  if (risk.factorStrength === 'strong' && strong.length > 0) return [...strong, ...recovery];
  return ['sms', ...strong, ...recovery];
}

async function assessLogin(
  identity: Identity,
  customer: CustomerRow,
  device: DeviceAttributes,
  meta: RequestMeta,
  now: number,
  lockedForStrangers: boolean,
) {
  const fingerprint = deviceFingerprint(identity.profile, device, meta.userAgent);
  const known = (await devicesOf(identity.store, customer.id)).find(
    (d) => d.status === 'active' && d.fingerprintHash.equals(fingerprint),
  );
  const history = await loginHistorySummary(identity.store, customer.id, now);
  const networks = networksOf(meta.ip);
  const seen = [...history.networks].map((text) => text.split(' '));
  const risk = await identity.loginRisk(
    {
      newDevice: known === undefined,
      newNetwork: networks !== undefined && !seen.some(([network]) => network === networks.network),
      newRegion: networks !== undefined && !seen.some(([, region]) => region === networks.region),
      // Strangers' failures are answered by a second factor on a known device, not by refusing its owner.
      recentFailures: lockedForStrangers ? 0 : history.failures24h,
      attemptsLastHour: lockedForStrangers ? 0 : history.attemptsLastHour,
      lockedForStrangers,
    },
    now,
    {
      customerId: customer.id, ip: meta.ip, deviceKey: fingerprint.toString('hex'),
      customer: {
        createdAt: customer.createdAt, accountClass: customer.accountClass,
        idNumberHash: customer.idNumberIndex.toString('hex'),
      },
    },
  );
  return { fingerprint, known, networks, risk, factors: await acceptableFactors(identity, customer, known, risk) };
}

type Assessment = Awaited<ReturnType<typeof assessLogin>>;

/** One transaction: throttle reset, rehash, device, history, audit, and the session or challenge. */
async function persistLogin(
  identity: Identity,
  customer: CustomerRow,
  assessment: Assessment,
  input: { rehash: string | undefined; phoneSubject: string; device: DeviceAttributes },
  meta: RequestMeta,
  now: number,
): Promise<LoginResult | undefined> {
  const { rehash } = input;
  return identity.store.transaction(async (tx): Promise<LoginResult | undefined> => {
    await clearThrottle(tx, input.phoneSubject);
    if (rehash !== undefined) await updateCustomer(tx, customer.id, { password_hash: rehash }, now);
    const deviceId = assessment.known?.id ?? newId('dev', now);
    if (assessment.known === undefined)
      await insertDevice(tx, {
        id: deviceId,
        customerId: customer.id,
        fingerprintHash: assessment.fingerprint,
        label: deviceLabel(meta.userAgent, input.device),
        now,
      });
    else await touchDevice(tx, deviceId, now);
    const { risk } = assessment;
    await risk.record?.(tx, deviceId);
    const network =
      assessment.networks === undefined ? null : `${assessment.networks.network} ${assessment.networks.region}`;
    const audit = { ...meta, deviceId };
    const details = {
      decision: risk.decision,
      score: risk.score,
      reasons: risk.reasons,
      rehashed: rehash !== undefined,
    };
    if (risk.decision === 'deny') {
      await insertLoginHistory(tx, {
        customerId: customer.id,
        deviceId,
        ip: meta.ip,
        network,
        outcome: 'denied',
        at: now,
      });
      await auditCustomer(
        tx,
        customer.id,
        audit,
        [{ action: 'customer.login', target: customer.id, outcome: 'denied', details }],
        now,
      );
      return undefined;
    }
    if (risk.decision === 'challenge') {
      const challengeId = newId('lch', now);
      const nonce = randomBytes(24).toString('base64url');
      await insertChallenge(tx, {
        id: challengeId,
        customerId: customer.id,
        deviceId,
        factors: assessment.factors,
        context: { newDevice: assessment.known === undefined, reasons: risk.reasons },
        nonce,
        ip: meta.ip,
        createdAt: now,
        expiresAt: now + loginChallengeTtlMs,
      });
      await insertLoginHistory(tx, {
        customerId: customer.id,
        deviceId,
        ip: meta.ip,
        network,
        outcome: 'challenge',
        at: now,
      });
      await auditCustomer(
        tx,
        customer.id,
        audit,
        [{ action: 'customer.login', target: challengeId, outcome: 'success', details }],
        now,
      );
      return {
        kind: 'challenge' as const,
        challengeId,
        factors: assessment.factors,
        reasons: risk.reasons,
        expiresAt: now + loginChallengeTtlMs,
        nonce,
      };
    }
    await insertLoginHistory(tx, {
      customerId: customer.id,
      deviceId,
      ip: meta.ip,
      network,
      outcome: 'success',
      at: now,
    });
    const session = await createSession(
      identity,
      tx,
      { customerId: customer.id, deviceId, factors: ['password'], deviceSigned: false, ip: meta.ip },
      now,
    );
    await auditCustomer(
      tx,
      customer.id,
      audit,
      [{ action: 'customer.login', target: session.sessionId, outcome: 'success', details }],
      now,
    );
    if (assessment.known === undefined) await recordNotice(tx, customer.id, 'new_device_login', { deviceId }, now);
    return { kind: 'session' as const, session };
  });
}

export async function logInCustomer(
  identity: Identity,
  input: { phone: string; password: string; device: DeviceAttributes },
  meta: RequestMeta,
): Promise<LoginResult> {
  const now = identity.clock();
  const phone = parsePhoneNumber(input.phone);
  if (phone === undefined) throw new AnfuError('phone_number_invalid');
  const customer = await customerWhere(identity.store, await identity.protection.lookupCustomer('phone', phone));
  const subjects = await subjectsOf(identity, phone, customer, input.device, meta);
  const states = await refuseIfThrottled(identity, subjects, meta, now);
  const passwordOk = await verifyPassword(
    customer?.passwordHash ?? (await dummyHash(identity.argon2)),
    input.password.normalize('NFKC'),
  );
  if (customer === undefined || !passwordOk || customer.status !== 'active') {
    await recordFailure(identity, customer, subjects, states, meta, now);
    throw new AnfuError('login_failed');
  }
  const strangersLock = states.get(subjects.strangers);
  const lockedForStrangers =
    subjects.phone !== subjects.strangers && strangersLock !== undefined && strangersLock.blockedUntil > now;
  const assessment = await assessLogin(identity, customer, input.device, meta, now, lockedForStrangers);
  const rehash = needsRehash(customer.passwordHash, identity.argon2)
    ? await hashPassword(input.password.normalize('NFKC'), identity.argon2)
    : undefined;
  const result = await persistLogin(
    identity,
    customer,
    assessment,
    { rehash, phoneSubject: subjects.phone, device: input.device },
    meta,
    now,
  );
  if (result === undefined)
    throw new AnfuError(
      'login_denied',
      'sign-in from this device and place was refused; contact customer service if it was you',
    );
  return result;
}
