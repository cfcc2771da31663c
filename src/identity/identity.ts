// The identity capability's wiring: everything its use cases need, built once at start-up from the
// store and configuration (tests swap the SMS sender and the verification sources).
import { randomBytes } from 'node:crypto';
import type { Config } from '../config.ts';
import { cryptoProfile, type CryptoProfile, type Keyring } from '../crypto/index.ts';
import type { Store, Tx } from '../store/index.ts';
import { accessTokenCodec, type AccessTokenCodec } from './access-token.ts';
import { openDeviceCa, type DeviceCa } from './device-ca.ts';
import { developmentVerifiers, type IdentityVerifier } from './identity-verification.ts';
import type { Argon2Cost } from './password-hashing.ts';
import { personalDataProtection, type PersonalDataProtection } from './personal-data.ts';
import { fileSmsSender, type SmsSender } from './sms-sender.ts';
import { decideLogin, type LoginRiskDecider } from '../risk/index.ts';

export interface Identity {
  readonly store: Store;
  readonly config: Config;
  readonly clock: () => number;
  readonly profile: CryptoProfile;
  readonly protection: PersonalDataProtection;
  readonly sms: SmsSender;
  readonly verifiers: readonly IdentityVerifier[];
  readonly tokens: AccessTokenCodec;
  readonly ca: DeviceCa;
  readonly argon2: Argon2Cost;
  /** Decides a login's risk from its features (the rule set when the app runs the engine). */
  readonly loginRisk: LoginRiskDecider;
  /** Sanctions screening of an applicant before the wallet is opened (wired in; throws to refuse). */
  readonly screenApplicant?: ApplicantScreening | undefined;
  /** The running rule set's decision on a factor change, stored and audited (wired in; none = allow). */
  readonly factorChangeRisk?: FactorChangeRisk | undefined;
  /** Whether risk's block list holds one of these ID-number blind indexes (hex; wired in; none = no). */
  readonly idNumberBlocked?: IdNumberBlocked | undefined;
  /** AML's first money-laundering risk rating of a new customer, in the registration's transaction (wired in). */
  readonly rateRegistered?: RegistrationRating | undefined;
  /** Counts a failed login or step-up for the risk rules, in the failure's tx (wired in; none = not counted). */
  readonly failedAttemptRisk?: FailedAttemptRisk | undefined;
  /** Loads the token key and device CA through the keyring (once); `protection`, `tokens` and `ca` need it. */
  ready(): Promise<void>;
}

/** The applicant as screening sees it: the legal name, the birth date (YYYY-MM-DD), China as nationality. */
export type ApplicantScreening = (applicant: {
  registrationId: string;
  name: string;
  birthDate: string;
}) => Promise<void>;

/**
 * A factor change as the risk rules see it (event `factor_change`): the port decides, stores the
 * decision with its snapshot, score and rules hit, audits it and opens a review case; identity acts on
 * the answer (deny refuses, challenge asks a fresh step-up, review lets the change go on).
 */
export type FactorChangeRisk = (change: {
  readonly customerId: string;
  readonly deviceId: string;
  readonly change: string;
  readonly ip: string | null;
  /** `idNumberHash`: hex of the ID-number blind index (what the risk `id` list holds). */
  readonly customer: { readonly createdAt: number; readonly accountClass: string; readonly idNumberHash: string };
  readonly deviceCreatedAt: number | undefined;
  readonly factorChangedAt: number | undefined;
}) => Promise<'allow' | 'challenge' | 'review' | 'deny'>;

/**
 * A failed attempt as the risk rules count it, called in the transaction that records the failure, so
 * every API process counts into the same rows: `login` — a wrong password (or an unknown or disabled
 * account) or a wrong answer to a login challenge (`customer.failed_logins_1h`, `device.failed_logins_1h`,
 * …); `step_up` — a signed-in customer's wrong second factor (`customer.failed_step_ups_1h`, …).
 */
export type FailedAttemptRisk = (
  tx: Tx,
  failure: {
    readonly attempt: 'login' | 'step_up';
    /** Null when the phone number is no customer's. */
    readonly customerId: string | null;
    /** The device fingerprint (hex): the same browser is one device across accounts. */
    readonly deviceKey: string | null;
    readonly ip: string | null;
  },
  now: number,
) => Promise<void>;

/** Risk's `id` block list asked at registration, with the number's blind index under every live key. */
export type IdNumberBlocked = (idNumberHashes: readonly string[]) => Promise<boolean>;

/**
 * Rates a customer just registered, inside the registration's transaction. It is given the ID number to
 * read where the ID was issued from its shape; it must not keep the number.
 */
export type RegistrationRating = (
  tx: Tx,
  registered: { readonly customerId: string; readonly idNumber: string; readonly now: number },
) => Promise<void>;

export interface OpenIdentityOptions {
  readonly rateRegistered?: RegistrationRating | undefined;
  readonly screenApplicant?: ApplicantScreening | undefined;
  readonly failedAttemptRisk?: FailedAttemptRisk | undefined;
  readonly factorChangeRisk?: FactorChangeRisk | undefined;
  readonly idNumberBlocked?: IdNumberBlocked | undefined;
  readonly store: Store;
  readonly config: Config;
  readonly clock?: () => number;
  /** The app's one keyring: personal data and identity's keys are sealed with it. */
  readonly keyring: Keyring;
  readonly sms?: SmsSender;
  /** Identity verification sources; development ones unless given (production must give real ones). */
  readonly verifiers?: readonly IdentityVerifier[];
  /** Defer loading identity's keys until `ready()` (the app does, so start-up touches no keys). */
  readonly lazy?: boolean;
  /** The running risk rule set's login decision (src/risk RiskEngine); default: the fixed rules. */
  readonly loginRisk?: LoginRiskDecider | undefined;
}

interface IdentityKeys {
  readonly protection: PersonalDataProtection;
  readonly tokens: AccessTokenCodec;
  readonly ca: DeviceCa;
}

async function loadKeys(options: OpenIdentityOptions, profile: CryptoProfile, now: number): Promise<IdentityKeys> {
  const protection = await personalDataProtection(options.store, options.keyring);
  const tokenKey = await protection.identityKey('customer-token', async () => ({ secret: randomBytes(32).toString('base64') }));
  const tokens = accessTokenCodec(profile, profile.importSecretKey(profile.macAlgorithm, Buffer.from(tokenKey.secret, 'base64')));
  return { protection, tokens, ca: await openDeviceCa(protection, now) };
}

export async function openIdentity(options: OpenIdentityOptions): Promise<Identity> {
  const { store, config } = options;
  const clock = options.clock ?? Date.now;
  const profile = cryptoProfile(config.cryptoProfile);
  let keys: IdentityKeys | undefined;
  let loading: Promise<void> | undefined;
  const need = (): IdentityKeys => {
    if (keys === undefined) throw new Error('identity invariant: used before ready()');
    return keys;
  };
  const identity: Identity = {
    store, config, clock, profile,
    loginRisk: options.loginRisk ?? ((features, now) => decideLogin(features, now)),
    sms: options.sms ?? fileSmsSender(config.smsSinkFile, clock),
    verifiers: options.verifiers ?? developmentVerifiers,
    screenApplicant: options.screenApplicant,
    factorChangeRisk: options.factorChangeRisk,
    idNumberBlocked: options.idNumberBlocked,
    rateRegistered: options.rateRegistered,
    failedAttemptRisk: options.failedAttemptRisk,
    argon2: { memoryKib: config.argon2MemoryKib, timeCost: config.argon2TimeCost, parallelism: config.argon2Parallelism },
    get protection() {
      return need().protection;
    },
    get tokens() {
      return need().tokens;
    },
    get ca() {
      return need().ca;
    },
    ready() {
      loading ??= loadKeys(options, profile, clock()).then((loaded) => {
        keys = loaded;
      }, (error: unknown) => {
        loading = undefined;
        throw error;
      });
      return loading;
    },
  };
  if (options.lazy !== true) await identity.ready();
  return identity;
}

/** Who is acting and from where, as the audit log and the risk rules see it. */
export interface RequestMeta {
  readonly ip: string | null;
  readonly userAgent: string | null;
}
