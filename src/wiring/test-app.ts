// Test support, the one way tests build the app: the real app on a real store (SQLite file or
// PostgreSQL schema), driven in-process with app.inject(), with an operator token already issued and
// the log captured. Options give a test its own clock, identity or payments' view of identity.
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { OperatorRole } from '../access/index.ts';
import type { CaseKindRegistration } from '../cases/index.ts';
import { enrolledTestOperator, testOperatorToken } from './test-operators.ts';
import { loadConfig, type Config } from '../config.ts';
import { loadKek, type Keyring } from '../crypto/index.ts';
import type { App } from '../http/app.ts';
import type {
  ApplicantScreening, FactorChangeRisk, IdNumberBlocked, Identity, FailedAttemptRisk, RegistrationRating,
} from '../identity/index.ts';
import { decideLogin, type LoginRiskDecider } from '../risk/index.ts';
import { identityRiskPorts, type IdentityRiskPorts } from './identity-risk.ts';
import { registrationRating } from './aml-rating.ts';
import { applicantScreeningOf } from './sanctions-screening.ts';
import { Ledger } from '../ledger/index.ts';
import type { PaymentIdentity } from '../payments/index.ts';
import type { Store } from '../store/index.ts';
import { withTestStore, type StoreKind } from '../store/testing.ts';
import { composeApp } from './app.ts';
import { openPlatformKeyring } from './platform-keyring.ts';

export interface TestApp {
  readonly app: App;
  readonly store: Store;
  readonly ledger: Ledger;
  readonly config: Config;
  /** The app's one keyring; its KEK is the config's ANFU_KEK (random per app unless the test gives one). */
  readonly keyring: Keyring;
  /** A bearer token for an operator of the given role (administrator by default). */
  readonly token: string;
  /** Every log line the app wrote. */
  readonly logs: string[];
  tokenFor(role: OperatorRole): Promise<string>;
  close(): Promise<void>;
}

export interface TestAppOptions {
  /** Payments' view of identity; default: the app's real identity. */
  readonly paymentIdentity?: PaymentIdentity;
  /** The app's clock (default Date.now); the keyring uses it too when `clockedKeyring` is set. */
  readonly clock?: () => number;
  readonly clockedKeyring?: boolean;
  /** Builds the app's identity (a test's own verification sources, clock). */
  readonly identity?: (parts: {
    store: Store; config: Config; keyring: Keyring; screenApplicant: ApplicantScreening;
    loginRisk: LoginRiskDecider; factorChangeRisk: FactorChangeRisk; idNumberBlocked: IdNumberBlocked;
    rateRegistered: RegistrationRating;
    failedAttemptRisk: FailedAttemptRisk;
  }) => Promise<Identity>;
  /** Prefix of the data directory's name. */
  readonly dataDirPrefix?: string;
  /** Case kinds the test wires in besides the app's own. */
  readonly caseKinds?: readonly CaseKindRegistration[];
}

/** A random KEK per test app (in the config, so every reopen on the same store gets the same one),
 * unless the test names its own. */
export function testKekEnv(env: Record<string, string>): Record<string, string> {
  if (env.ANFU_KEK !== undefined || env.ANFU_KEK_FILE !== undefined) return {};
  return { ANFU_KEK: randomBytes(32).toString('base64') };
}

function logSink(logs: string[]): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      logs.push(chunk.toString('utf8'));
      callback();
    },
  });
}

export async function createTestApp(
  kind: StoreKind,
  env: Record<string, string> = {},
  options: TestAppOptions = {},
): Promise<TestApp> {
  const { store, release } = await withTestStore(kind);
  const dataDir = mkdtempSync(join(tmpdir(), options.dataDirPrefix ?? 'anfu-app-'));
  // Request-rate limits are generous unless a test sets its own: tests send many requests from one address.
  const limits = { ANFU_RATE_LIMIT_PER_MINUTE: '1000000', ANFU_CUSTOMER_RATE_LIMIT_PER_MINUTE: '1000000' };
  // ANFU_TEST_VERIFY_WORKERS runs the app's signature checks on a worker pool (the suite with it on and off).
  const verifyWorkers = process.env.ANFU_TEST_VERIFY_WORKERS;
  const pool = verifyWorkers === undefined ? {} : { ANFU_VERIFY_WORKERS: verifyWorkers };
  const config = loadConfig({
    ANFU_ENV: 'test', ANFU_LOG_LEVEL: 'info', ANFU_DATA_DIR: dataDir, ...limits, ...pool, ...testKekEnv(env), ...env,
  });
  const clock = options.clock ?? Date.now;
  const keyringClock = options.clockedKeyring === true ? { clock } : {};
  const keyring = await openPlatformKeyring({ store, config, kek: loadKek(config), ...keyringClock });
  const ledger = new Ledger({ store });
  const logs: string[] = [];
  // A test's own identity screens applicants through the app's sanctions context, bound once it exists.
  // Its login and factor-change decisions likewise go to the app's risk engine once it exists.
  const binding: { screen?: ApplicantScreening; risk?: IdentityRiskPorts } = {};
  const screenApplicant: ApplicantScreening = (applicant) => binding.screen?.(applicant) ?? Promise.resolve();
  const loginRisk: LoginRiskDecider = (features, now, subject) =>
    binding.risk === undefined ? decideLogin(features, now) : binding.risk.loginRisk(features, now, subject);
  const factorChangeRisk: FactorChangeRisk = (change) =>
    binding.risk?.factorChangeRisk(change) ?? Promise.resolve('allow');
  const idNumberBlocked: IdNumberBlocked = (hashes) => binding.risk?.idNumberBlocked(hashes) ?? Promise.resolve(false);
  const rateRegistered = registrationRating;
  const failedAttemptRisk: FailedAttemptRisk = (tx, failure, now) =>
    binding.risk?.failedAttemptRisk(tx, failure, now) ?? Promise.resolve();
  const parts = {
    store, config, keyring, screenApplicant, loginRisk, factorChangeRisk, idNumberBlocked, rateRegistered,
    failedAttemptRisk,
  };
  const identity = options.identity === undefined ? undefined : await options.identity(parts);
  const app = await composeApp({
    config, store, ledger, keyring, logStream: logSink(logs), paymentIdentity: options.paymentIdentity, clock,
    ...(identity === undefined ? {} : { identity }),
    ...(options.caseKinds === undefined ? {} : { caseKinds: options.caseKinds }),
  });
  await app.ready();
  binding.screen = applicantScreeningOf(app.context.sanctions);
  binding.risk = identityRiskPorts(app.context.risk, store, clock);
  // Each token belongs to an operator of that role, enrolled through the real enrolment path.
  const tokenFor = async (role: OperatorRole) => {
    const access = app.context.access;
    const operator = await enrolledTestOperator({ store, totpSecrets: access.totpSecrets, policy: access.enrolmentPolicy }, role, clock());
    return testOperatorToken(store, operator.id, access.tokenDaysMax, clock());
  };
  const token = await tokenFor('administrator');
  return {
    app,
    store,
    ledger,
    config,
    keyring,
    token,
    logs,
    tokenFor,
    async close() {
      await app.close();
      await ledger.close();
      await release();
    },
  };
}
