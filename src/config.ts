// One typed configuration, read from the environment and command-line flags (flags win), validated
// before anything starts. A bad value stops start-up with a message naming the setting.
import { resolve } from 'node:path';
import { inspect } from 'node:util';
import { currencyCodes } from './money/index.ts';

/** A secret setting: prints as [redacted] through JSON, util.inspect, template strings and loggers. */
export class SecretValue {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  reveal(): string {
    return this.#value;
  }
  toJSON(): string {
    return '[redacted]';
  }
  toString(): string {
    return '[redacted]';
  }
  [inspect.custom](): string {
    return '[redacted]';
  }
}

export interface Config {
  readonly environment: 'development' | 'production' | 'test';
  readonly dataDir: string;
  readonly host: string;
  readonly port: number;
  /** A postgres:// URL selects PostgreSQL; undefined means the embedded SQLite file. */
  readonly databaseUrl: string | undefined;
  readonly sqlitePath: string;
  /** SQLite: write on the event loop's connection ('inline') or on a writer thread's own ('worker'). */
  readonly sqliteWriter: 'inline' | 'worker';
  readonly databasePoolSize: number;
  /** PostgreSQL: how long a ledger batch keeps trying while the database fails over. */
  readonly databaseFailoverWaitMs: number;
  /** PostgreSQL: refuse writes (and /ready) unless the leader has a synchronous standby. */
  readonly databaseRequireSyncStandby: boolean;
  readonly tlsCertFile: string | undefined;
  readonly tlsKeyFile: string | undefined;
  /** Serve plain HTTP (only behind a TLS-terminating proxy; refused in production). */
  readonly insecureHttp: boolean;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  readonly cryptoProfile: 'intl' | 'gm';
  /** File holding the key-encryption key (base64 of 32 bytes, or the 32 raw bytes). */
  readonly kekFile: string | undefined;
  /** The key-encryption key itself (base64 of 32 bytes), for secret stores that inject environment variables. */
  readonly kek: SecretValue | undefined;
  /** The KEK being replaced, set only while `anfu keys rotate-kek` moves data keys to the new one. */
  readonly kekPreviousFile: string | undefined;
  readonly kekPrevious: SecretValue | undefined;
  /** CA certificate (PEM) that merchant client certificates must chain to, or 'platform' for the platform CA. */
  readonly mtlsCaFile: string | undefined;
  /** Largest single amount accepted, in minor units. */
  readonly amountMaxMinor: bigint;
  /** Currencies money may move in (ISO 4217 codes the money table knows); anything else is refused up front. */
  readonly currencies: readonly string[];
  readonly transferBatchMax: number;
  readonly holdTimeoutMsDefault: number;
  readonly holdTimeoutMsMax: number;
  readonly bodyLimitBytes: number;
  readonly rateLimitPerMinute: number;
  readonly trustProxy: boolean;
  /** Operator access (src/access): session lifetimes, lockout, maker–checker, security signals. */
  readonly operatorSessionIdleMs: number;
  readonly operatorSessionAbsoluteMs: number;
  readonly operatorLoginFailuresMax: number;
  readonly operatorLockoutMs: number;
  readonly credentialStuffingAccountsMax: number;
  readonly proposalTtlMs: number;
  /** The business calendar case SLA clocks count in (src/cases/calendar.ts). */
  readonly casesCalendar: CasesCalendarSetting;
  /** Longest lifetime of an operator API token; a token asks for at most this (default 90 days). */
  readonly operatorTokenTtlDaysMax: number;
  /** How long an operator enrolment code stays usable. */
  readonly operatorEnrolmentTtlMs: number;
  readonly apiErrorsMax: number;
  readonly apiErrorWindowMs: number;
  /** Where security alerts are POSTed; https, or http to a loopback address. */
  readonly securityWebhookUrl: string | undefined;
  /** How often the audit checkpointer signs the log's Merkle root, when the log has grown (docs/audit.md). */
  readonly auditCheckpointIntervalMs: number;
  /** Scheduled clearing runs (docs/banks.md): every active partner's batch every this often; 0 = off. */
  readonly clearingRunIntervalMs: number;
  /** A statement uploaded over the operator API is streamed and refused past this many bytes. */
  readonly statementBytesMax: number;
  /** An instruction held by a partner's net debit cap this long opens a case (it never waits unseen). */
  readonly clearingHoldMaxMs: number;
  /** Repeated refusals from one source are counted, not audited one by one, within windows of this length. */
  readonly auditRefusalWindowMs: number;
  /** Customer identity (src/identity): argon2id cost, token lifetimes, throttling, SMS, WebAuthn. */
  readonly argon2MemoryKib: number;
  readonly argon2TimeCost: number;
  readonly argon2Parallelism: number;
  readonly customerAccessTokenTtlMs: number;
  readonly customerRefreshTokenTtlMs: number;
  readonly customerLoginFailuresMax: number;
  readonly customerLockoutMs: number;
  readonly loginIpFailuresMax: number;
  /** Customer-side controls (issue 9): step-up bounds, factor changes, throttles of public surfaces. */
  readonly paymentStepUpFailuresMax: number;
  readonly stepUpFailuresPerDayMax: number;
  readonly stepUpFreshMs: number;
  readonly factorChangeCoolingOffMs: number;
  readonly factorChangeChallengeMinor: bigint;
  /** How often each process looks for a newly approved risk rule set (docs/risk.md). */
  readonly riskPollMs: number;
  readonly payeeLookupsPerHourMax: number;
  readonly collectRequestsPerDayMax: number;
  readonly customerRateLimitPerMinute: number;
  readonly smsCodeTtlMs: number;
  readonly smsCodeAttemptsMax: number;
  readonly smsResendIntervalMs: number;
  /** The development SMS sink (no gateway configured): JSON lines, numbers masked and keyed-hashed. */
  readonly smsSinkFile: string;
  readonly webauthnRpId: string;
  /** Expected WebAuthn origin; undefined = https://<rp id>:<listening port>. */
  readonly webauthnOrigin: string | undefined;
  /** Merchant webhooks (src/events): retry back-off, attempts before dead-lettering, per-attempt timeout, parallel attempts. */
  readonly webhookRetryBaseMs: number;
  readonly webhookRetryMaxMs: number;
  readonly webhookAttemptsMax: number;
  readonly webhookTimeoutMs: number;
  readonly webhookConcurrencyMax: number;
  /** In production, allow webhook URLs that resolve to loopback or private addresses (https is still required). */
  readonly webhookAllowPrivateTargets: boolean;
  /** Payments (src/payments): signed-instruction freshness, R6.2 limits (minor units), refunds, merchant requests. */
  readonly instructionWindowMs: number;
  /** Worker threads that check instruction signatures and device certificates; 0 checks them on the event loop. */
  readonly verifyWorkers: number;
  readonly limitClassOneLifetimeMinor: bigint;
  readonly limitClassTwoYearMinor: bigint;
  readonly limitClassThreeYearMinor: bigint;
  readonly limitDayCertificateMinor: bigint;
  readonly limitDayTwoFactorsMinor: bigint;
  readonly limitDayWeakMinor: bigint;
  /** R4.4: the share of the day limits a payer rated medium / high may use (percent). */
  readonly limitDayMediumRiskPercent: number;
  readonly limitDayHighRiskPercent: number;
  readonly refundApprovalMinor: bigint;
  readonly merchantRequestWindowMs: number;
  readonly merchantFeeBpsDefault: number;
  readonly orderTtlMsMax: number;
  /** How long a challenged payment waits for its step-up before it expires and gives its reservations back. */
  readonly challengeTtlMs: number;
  /** Past this age a withdrawal whose bank outcome is still unknown is listed for operations (maker–checker). */
  readonly withdrawalOutcomeUnknownAfterMs: number;
  /** The card link (src/banks, ISO 8583) for top-ups and withdrawals; card funding is off while the port is unset. */
  readonly cardLinkHost: string;
  readonly cardLinkPort: number | undefined;
  readonly cardLinkTerminalId: string;
  readonly cardLinkMerchantId: string;
  /** The partner bank's code in `bank_settlement:<BANK>:<CURRENCY>`. */
  readonly cardLinkBank: string;
  readonly cardLinkResponseTimeoutMs: number;
  /** Providers (src/providers, docs/providers.md): SMS gateway, identity verification; unset = development ones. */
  readonly smsGatewayUrl: string | undefined;
  readonly smsGatewayKeyId: string | undefined;
  readonly smsGatewaySecret: SecretValue | undefined;
  /** Anfu's delivery-receipt route as the gateway reaches it (https://…/v1/providers/sms/receipts). */
  readonly smsReceiptUrl: string | undefined;
  readonly identityProviderUrl: string | undefined;
  readonly identityProviderKeyId: string | undefined;
  readonly identityProviderSecret: SecretValue | undefined;
  readonly providerTimeoutMs: number;
  /** Funding limits (docs/payments.md "Funding limits"), besides R6.2 for withdrawals. */
  readonly topUpTransactionMaxMinor: bigint;
  readonly topUpDayMaxMinor: bigint;
  readonly withdrawalTransactionMaxMinor: bigint;
  readonly withdrawalDayMaxMinor: bigint;
  readonly fundingChallengeTtlMs: number;
  /** A payment, top-up or withdrawal held for a risk review fails (its hold voided) unless decided within this. */
  readonly reviewTtlMs: number;
  /** The AML monitors' thresholds per customer risk level, in percent (undefined: AML's defaults). */
  readonly amlMonitorLevelFactors: AmlLevelFactorsSetting | undefined;
  /** Card binding (docs/banks.md "Account verification"). */
  readonly cardBindAttemptsPerDayMax: number;
  readonly cardBindingTtlMs: number;
  readonly cardBindOtpAttemptsMax: number;
  /** Operations (issue 14): assessment thresholds and the server's backup schedule (docs/OPERATIONS.md). */
  readonly keyRotationDays: number;
  readonly backupMaxAgeHours: number;
  readonly backupTestMaxAgeDays: number;
  readonly tokenExpiryWarningDays: number;
  readonly incidentOpenMaxHours: number;
  readonly backupDir: string;
  readonly backupSecondDir: string | undefined;
  /** Intervals of the scheduled backups in the server; 0 = not scheduled. */
  readonly backupFullIntervalMs: number;
  readonly backupIncrementalIntervalMs: number;
  readonly backupDifferentialIntervalMs: number;
  readonly backupTestIntervalMs: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

type Source = Readonly<Record<string, string | undefined>>;

/** The shape of src/cases' BusinessCalendar, read here so the configuration imports no capability. */
export interface CasesCalendarSetting {
  readonly timeZone: string;
  readonly workdays: readonly number[];
  readonly opens: string;
  readonly closes: string;
  readonly holidays: readonly string[];
  readonly extraWorkdays: readonly string[];
}

interface Reader {
  problems: string[];
  get(name: string): string | undefined;
}

/** The shape of src/aml's LevelFactorsPercent, read here so the configuration imports no capability. */
export type AmlLevelFactorsSetting = Readonly<Record<'medium' | 'high', Readonly<Record<AmlTunedMonitor, number>>>>;
type AmlTunedMonitor = 'structuring' | 'rapid_in_out' | 'fan';
const amlTunedMonitors: readonly AmlTunedMonitor[] = ['structuring', 'rapid_in_out', 'fan'];

export type AmlLevelFactorsCheck =
  | { readonly ok: true; readonly factors: AmlLevelFactorsSetting }
  | { readonly ok: false; readonly problems: string[] };

/** What is wrong with one level's factors (`/level/monitor` paths), or nothing. */
function amlLevelProblems(level: string, entry: unknown): string[] {
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry))
    return [`/${level} is not an object of monitors`];
  const factors = entry as Record<string, unknown>;
  const problems = Object.keys(factors)
    .filter((key) => !(amlTunedMonitors as readonly string[]).includes(key))
    .map((key) => `/${level}/${key} is not a tuned monitor (${amlTunedMonitors.join(', ')})`);
  for (const monitor of amlTunedMonitors) {
    const percent = factors[monitor];
    if (typeof percent !== 'number' || !Number.isInteger(percent) || percent < 1 || percent > 100)
      problems.push(`/${level}/${monitor} must be a whole percentage from 1 to 100`);
  }
  return problems;
}

/**
 * An AML level-factors table (ANFU_AML_MONITOR_LEVEL_FACTORS, or one proposed at run time under maker–checker,
 * src/aml/level-factors.ts): for `medium` and `high`, the percentage of each tuned monitor's threshold a
 * customer of that level is watched at (1..100: thresholds only go down), high never above medium. A
 * malformed table is refused whole, with one problem per `/level/monitor` path.
 */
export function checkAmlLevelFactors(document: unknown): AmlLevelFactorsCheck {
  if (document === null || typeof document !== 'object' || Array.isArray(document))
    return { ok: false, problems: ['must be an object with the levels medium and high'] };
  const given = document as Record<string, unknown>;
  const problems = [
    ...Object.keys(given).filter((k) => k !== 'medium' && k !== 'high').map((k) => `/${k} is not a tunable level`),
    ...amlLevelProblems('medium', given.medium),
    ...amlLevelProblems('high', given.high),
  ];
  const table = given as AmlLevelFactorsSetting;
  if (problems.length === 0) {
    for (const monitor of amlTunedMonitors)
      if (table.high[monitor] > table.medium[monitor]) problems.push(`/high/${monitor} is above /medium/${monitor}`);
  }
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, factors: { medium: { ...table.medium }, high: { ...table.high } } };
}

/** ANFU_AML_MONITOR_LEVEL_FACTORS (JSON, checkAmlLevelFactors): the start value. Unset: AML's defaults. */
function amlLevelFactors(reader: Reader): AmlLevelFactorsSetting | undefined {
  const name = 'ANFU_AML_MONITOR_LEVEL_FACTORS';
  const text = reader.get(name);
  if (text === undefined) return undefined;
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    reader.problems.push(`${name} is not JSON`);
    return undefined;
  }
  const checked = checkAmlLevelFactors(document);
  if (checked.ok) return checked.factors;
  for (const problem of checked.problems)
    reader.problems.push(problem.startsWith('/') ? `${name}: ${problem}` : `${name} ${problem}`);
  return undefined;
}

function integer(reader: Reader, name: string, fallback: number, min: number, max: number): number {
  const text = reader.get(name);
  if (text === undefined) return fallback;
  if (!/^[0-9]{1,15}$/.test(text) || Number(text) < min || Number(text) > max) {
    reader.problems.push(`${name} must be an integer from ${min} to ${max} (got '${text.slice(0, 40)}')`);
    return fallback;
  }
  return Number(text);
}

function oneOf<T extends string>(reader: Reader, name: string, allowed: readonly T[], fallback: T): T {
  const text = reader.get(name);
  if (text === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(text)) {
    reader.problems.push(`${name} must be one of ${allowed.join(', ')} (got '${text.slice(0, 40)}')`);
    return fallback;
  }
  return text as T;
}

function flag(reader: Reader, name: string): boolean {
  const text = reader.get(name);
  if (text === undefined) return false;
  if (text === 'true' || text === '1') return true;
  if (text === 'false' || text === '0') return false;
  reader.problems.push(`${name} must be true or false (got '${text.slice(0, 40)}')`);
  return false;
}

function minorUnits(reader: Reader, name: string, fallback: bigint): bigint {
  const text = reader.get(name);
  if (text === undefined) return fallback;
  if (!/^[0-9]{1,18}$/.test(text)) {
    reader.problems.push(
      `${name} must be a non-negative integer of minor units below 10^18 (got '${text.slice(0, 40)}')`,
    );
    return fallback;
  }
  return BigInt(text);
}

function databaseUrlOf(reader: Reader): string | undefined {
  const url = reader.get('ANFU_DATABASE_URL');
  if (url === undefined || url === '') return undefined;
  if (!/^postgres(ql)?:\/\//.test(url)) {
    reader.problems.push('ANFU_DATABASE_URL must be a postgres:// URL (leave it unset for the embedded SQLite store)');
    return undefined;
  }
  try {
    new URL(url);
  } catch {
    reader.problems.push('ANFU_DATABASE_URL is not a valid URL');
    return undefined;
  }
  return url;
}

function datesOf(reader: Reader, name: string): string[] {
  const text = reader.get(name) ?? '';
  const dates = text.split(',').map((d) => d.trim()).filter((d) => d !== '');
  if (dates.some((d) => !/^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$/.test(d))) {
    reader.problems.push(`${name} must be a comma-separated list of YYYY-MM-DD dates`);
  }
  return dates;
}

function casesCalendarOf(reader: Reader): CasesCalendarSetting {
  const timeZone = reader.get('ANFU_CASES_TIME_ZONE') ?? 'Asia/Shanghai';
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
  } catch {
    reader.problems.push(`ANFU_CASES_TIME_ZONE must be an IANA time zone (got '${timeZone.slice(0, 40)}')`);
  }
  const hours = reader.get('ANFU_CASES_HOURS') ?? '09:00-18:00';
  const match = /^([01][0-9]|2[0-3]):([0-5][0-9])-([01][0-9]|2[0-3]):([0-5][0-9])$/.exec(hours);
  if (match === null || `${match[1]}${match[2]}` >= `${match[3]}${match[4]}`) {
    reader.problems.push(`ANFU_CASES_HOURS must be HH:MM-HH:MM, opening before closing (got '${hours.slice(0, 40)}')`);
  }
  const days = (reader.get('ANFU_CASES_WORKDAYS') ?? '1,2,3,4,5').split(',').map((d) => Number(d.trim()));
  if (days.some((d) => !Number.isInteger(d) || d < 1 || d > 7)) {
    reader.problems.push('ANFU_CASES_WORKDAYS must list ISO weekdays 1 (Monday) to 7 (Sunday)');
  }
  const [opens, closes] = match === null ? ['09:00', '18:00'] : [`${match[1]}:${match[2]}`, `${match[3]}:${match[4]}`];
  return {
    timeZone, workdays: days, opens, closes,
    holidays: datesOf(reader, 'ANFU_CASES_HOLIDAYS'), extraWorkdays: datesOf(reader, 'ANFU_CASES_EXTRA_WORKDAYS'),
  };
}

function webhookUrlOf(reader: Reader): string | undefined {
  const text = reader.get('ANFU_SECURITY_WEBHOOK_URL');
  if (text === undefined || text === '') return undefined;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    reader.problems.push('ANFU_SECURITY_WEBHOOK_URL is not a valid URL');
    return undefined;
  }
  const loopback = ['127.0.0.1', '[::1]', 'localhost'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback))
    reader.problems.push('ANFU_SECURITY_WEBHOOK_URL must be https (plain http only to a loopback address)');
  return text;
}

type OperationsSettings = Pick<
  Config,
  | 'keyRotationDays' | 'backupMaxAgeHours' | 'backupTestMaxAgeDays' | 'tokenExpiryWarningDays' | 'incidentOpenMaxHours'
  | 'backupDir' | 'backupSecondDir' | 'backupFullIntervalMs' | 'backupIncrementalIntervalMs'
  | 'backupDifferentialIntervalMs' | 'backupTestIntervalMs'
>;

/** Issue 14's settings: what the self-assessment holds the platform to, and when the server backs up. */
function operationsSettingsOf(reader: Reader, dataDir: string): OperationsSettings {
  const day = 24 * 3600_000;
  const interval = (name: string) => integer(reader, name, 0, 0, 31 * day);
  const second = reader.get('ANFU_BACKUP_SECOND_DIR');
  return {
    keyRotationDays: integer(reader, 'ANFU_KEY_ROTATION_DAYS', 365, 1, 3650),
    backupMaxAgeHours: integer(reader, 'ANFU_BACKUP_MAX_AGE_HOURS', 26, 1, 24 * 90),
    backupTestMaxAgeDays: integer(reader, 'ANFU_BACKUP_TEST_MAX_AGE_DAYS', 7, 1, 365),
    tokenExpiryWarningDays: integer(reader, 'ANFU_TOKEN_EXPIRY_WARNING_DAYS', 14, 1, 365),
    incidentOpenMaxHours: integer(reader, 'ANFU_INCIDENT_OPEN_MAX_HOURS', 72, 1, 24 * 365),
    backupDir: resolve(reader.get('ANFU_BACKUP_DIR') ?? resolve(dataDir, 'backups')),
    backupSecondDir: second === undefined ? undefined : resolve(second),
    backupFullIntervalMs: interval('ANFU_BACKUP_FULL_INTERVAL_MS'),
    backupIncrementalIntervalMs: interval('ANFU_BACKUP_INCREMENTAL_INTERVAL_MS'),
    backupDifferentialIntervalMs: interval('ANFU_BACKUP_DIFFERENTIAL_INTERVAL_MS'),
    backupTestIntervalMs: interval('ANFU_BACKUP_TEST_INTERVAL_MS'),
  };
}

type ProviderSettings = Pick<
  Config,
  | 'smsGatewayUrl'
  | 'smsGatewayKeyId'
  | 'smsGatewaySecret'
  | 'smsReceiptUrl'
  | 'identityProviderUrl'
  | 'identityProviderKeyId'
  | 'identityProviderSecret'
  | 'providerTimeoutMs'
>;

/** A provider URL; production wants https to a host that is not loopback (where `anfu provider-sim` listens). */
function providerUrlOf(reader: Reader, name: string, production: boolean): string | undefined {
  const text = reader.get(name);
  if (text === undefined || text === '') return undefined;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    reader.problems.push(`${name} is not a valid URL`);
    return undefined;
  }
  const problem = (text: string) => reader.problems.push(`${name} ${text}`);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') problem('must be an http(s) URL');
  if (url.username !== '' || url.password !== '') problem('must not carry credentials (use _KEY_ID and _SECRET)');
  const loopback = /^(127\.|localhost$|\[::1\]$|\[::ffff:127\.)/i.test(url.hostname) || url.hostname === '0.0.0.0';
  if (production && loopback) {
    problem('points to a loopback address: the provider simulator is refused in production; configure the provider');
  } else if (production && url.protocol !== 'https:') problem('must be https in production');
  return text;
}

interface ProviderAccess {
  readonly url: string | undefined;
  readonly keyId: string | undefined;
  readonly secret: SecretValue | undefined;
}

/** One provider: URL, key id and secret go together; production requires all three. */
function providerOf(reader: Reader, prefix: string, production: boolean, what: string): ProviderAccess {
  const url = providerUrlOf(reader, `${prefix}_URL`, production);
  const keyId = reader.get(`${prefix}_KEY_ID`);
  const secret = reader.get(`${prefix}_SECRET`);
  const problem = (text: string) => reader.problems.push(text);
  if (url === undefined && reader.get(`${prefix}_URL`) === undefined && production) {
    problem(
      `production needs ${what}: set ${prefix}_URL (https), ${prefix}_KEY_ID and ${prefix}_SECRET ` +
        '(docs/providers.md); development stand-ins are refused',
    );
  }
  if (url !== undefined && (keyId === undefined || secret === undefined)) {
    problem(`${prefix}_URL needs ${prefix}_KEY_ID and ${prefix}_SECRET`);
  }
  if (keyId !== undefined && !/^[A-Za-z0-9_.-]{1,64}$/.test(keyId)) {
    problem(`${prefix}_KEY_ID is 1 to 64 characters [A-Za-z0-9_.-]`);
  }
  const secretMin = production ? 32 : 16;
  if (secret !== undefined && secret.length < secretMin) {
    problem(`${prefix}_SECRET must be at least ${secretMin} characters`);
  }
  return { url, keyId, secret: secret === undefined ? undefined : new SecretValue(secret) };
}

function providerSettingsOf(reader: Reader, production: boolean): ProviderSettings {
  const sms = providerOf(reader, 'ANFU_SMS_GATEWAY', production, 'an SMS gateway');
  const identity = providerOf(reader, 'ANFU_IDENTITY_PROVIDER', production, 'an identity-verification provider');
  const receiptUrl = providerUrlOf(reader, 'ANFU_SMS_RECEIPT_URL', false);
  if (production && receiptUrl !== undefined && !receiptUrl.startsWith('https:')) {
    reader.problems.push('ANFU_SMS_RECEIPT_URL must be https in production');
  }
  return {
    smsGatewayUrl: sms.url,
    smsGatewayKeyId: sms.keyId,
    smsGatewaySecret: sms.secret,
    smsReceiptUrl: receiptUrl,
    identityProviderUrl: identity.url,
    identityProviderKeyId: identity.keyId,
    identityProviderSecret: identity.secret,
    providerTimeoutMs: integer(reader, 'ANFU_PROVIDER_TIMEOUT_MS', 5_000, 100, 60_000),
  };
}

/** Builds the configuration from environment variables, overridden by flags (`--port 9443` ≙ ANFU_PORT). */
export function loadConfig(env: Source = process.env, flags: Source = {}): Config {
  const reader: Reader = { problems: [], get: (name) => flags[name] ?? env[name] };
  const environment = oneOf(
    reader,
    'ANFU_ENV',
    ['development', 'production', 'test'],
    env.NODE_ENV === 'production' ? 'production' : 'development',
  );
  const dataDir = resolve(reader.get('ANFU_DATA_DIR') ?? './data');
  const host = reader.get('ANFU_HOST') ?? '127.0.0.1';
  if (!/^[0-9a-zA-Z.:-]{1,253}$/.test(host))
    reader.problems.push(`ANFU_HOST is not a host name or address (got '${host.slice(0, 40)}')`);
  const tlsCertFile = reader.get('ANFU_TLS_CERT_FILE');
  const tlsKeyFile = reader.get('ANFU_TLS_KEY_FILE');
  if ((tlsCertFile === undefined) !== (tlsKeyFile === undefined))
    reader.problems.push('ANFU_TLS_CERT_FILE and ANFU_TLS_KEY_FILE go together');
  const insecureHttp = flag(reader, 'ANFU_INSECURE_HTTP');
  if (insecureHttp && environment === 'production')
    reader.problems.push('ANFU_INSECURE_HTTP is refused in production: serve HTTPS');
  const kekFile = reader.get('ANFU_KEK_FILE');
  const kekText = reader.get('ANFU_KEK');
  if (kekFile !== undefined && kekText !== undefined) reader.problems.push('set ANFU_KEK_FILE or ANFU_KEK, not both');
  const kekPreviousFile = reader.get('ANFU_KEK_PREVIOUS_FILE');
  const kekPreviousText = reader.get('ANFU_KEK_PREVIOUS');
  if (kekPreviousFile !== undefined && kekPreviousText !== undefined)
    reader.problems.push('set ANFU_KEK_PREVIOUS_FILE or ANFU_KEK_PREVIOUS, not both');
  const currencies = (reader.get('ANFU_CURRENCIES') ?? 'CNY').split(',').map((code) => code.trim());
  if (currencies.some((code) => !currencyCodes.includes(code)))
    reader.problems.push(`ANFU_CURRENCIES lists codes from ${currencyCodes.join(', ')}, comma-separated`);
  const amountMax = reader.get('ANFU_AMOUNT_MAX_MINOR') ?? '100000000000';
  if (!/^[1-9][0-9]{0,17}$/.test(amountMax))
    reader.problems.push('ANFU_AMOUNT_MAX_MINOR must be a positive integer of minor units below 10^18');
  const config: Config = {
    environment,
    dataDir,
    host,
    port: integer(reader, 'ANFU_PORT', 8443, 0, 65535),
    databaseUrl: databaseUrlOf(reader),
    sqlitePath: resolve(dataDir, 'anfu.db'),
    sqliteWriter: oneOf(reader, 'ANFU_SQLITE_WRITER', ['inline', 'worker'], 'inline'),
    databasePoolSize: integer(reader, 'ANFU_DATABASE_POOL_SIZE', 16, 1, 500),
    databaseFailoverWaitMs: integer(reader, 'ANFU_DATABASE_FAILOVER_WAIT_MS', 40_000, 0, 300_000),
    databaseRequireSyncStandby: flag(reader, 'ANFU_DATABASE_REQUIRE_SYNC_STANDBY'),
    tlsCertFile,
    tlsKeyFile,
    insecureHttp,
    logLevel: oneOf(reader, 'ANFU_LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info'),
    cryptoProfile: oneOf(reader, 'ANFU_CRYPTO_PROFILE', ['intl', 'gm'], 'intl'),
    kekFile: kekFile === undefined ? undefined : resolve(kekFile),
    kek: kekText === undefined ? undefined : new SecretValue(kekText),
    kekPreviousFile: kekPreviousFile === undefined ? undefined : resolve(kekPreviousFile),
    kekPrevious: kekPreviousText === undefined ? undefined : new SecretValue(kekPreviousText),
    mtlsCaFile: reader.get('ANFU_MTLS_CA_FILE'),
    amountMaxMinor: /^[1-9][0-9]{0,17}$/.test(amountMax) ? BigInt(amountMax) : 1n,
    currencies,
    transferBatchMax: integer(reader, 'ANFU_TRANSFER_BATCH_MAX', 2000, 1, 100_000),
    holdTimeoutMsDefault: integer(
      reader,
      'ANFU_HOLD_TIMEOUT_MS_DEFAULT',
      7 * 24 * 3600 * 1000,
      1000,
      90 * 24 * 3600 * 1000,
    ),
    holdTimeoutMsMax: integer(reader, 'ANFU_HOLD_TIMEOUT_MS_MAX', 30 * 24 * 3600 * 1000, 1000, 365 * 24 * 3600 * 1000),
    bodyLimitBytes: integer(reader, 'ANFU_BODY_LIMIT_BYTES', 64 * 1024, 1024, 16 * 1024 * 1024),
    rateLimitPerMinute: integer(reader, 'ANFU_RATE_LIMIT_PER_MINUTE', 600, 1, 10_000_000),
    trustProxy: flag(reader, 'ANFU_TRUST_PROXY'),
    operatorSessionIdleMs: integer(reader, 'ANFU_OPERATOR_SESSION_IDLE_MS', 15 * 60_000, 60_000, 15 * 60_000),
    operatorSessionAbsoluteMs: integer(
      reader,
      'ANFU_OPERATOR_SESSION_ABSOLUTE_MS',
      8 * 3600_000,
      60_000,
      24 * 3600_000,
    ),
    operatorLoginFailuresMax: integer(reader, 'ANFU_OPERATOR_LOGIN_FAILURES_MAX', 10, 1, 10),
    operatorLockoutMs: integer(reader, 'ANFU_OPERATOR_LOCKOUT_MS', 30 * 60_000, 30 * 60_000, 24 * 3600_000),
    credentialStuffingAccountsMax: integer(reader, 'ANFU_CREDENTIAL_STUFFING_ACCOUNTS_MAX', 5, 2, 1000),
    proposalTtlMs: integer(reader, 'ANFU_PROPOSAL_TTL_MS', 24 * 3600_000, 60_000, 30 * 24 * 3600_000),
    casesCalendar: casesCalendarOf(reader),
    operatorTokenTtlDaysMax: integer(reader, 'ANFU_OPERATOR_TOKEN_TTL_DAYS_MAX', 90, 1, 365),
    operatorEnrolmentTtlMs: integer(
      reader,
      'ANFU_OPERATOR_ENROLMENT_TTL_MS',
      72 * 3600_000,
      10 * 60_000,
      7 * 24 * 3600_000,
    ),
    apiErrorsMax: integer(reader, 'ANFU_API_ERRORS_MAX', 500, 1, 10_000_000),
    apiErrorWindowMs: integer(reader, 'ANFU_API_ERROR_WINDOW_MS', 60_000, 1000, 3600_000),
    securityWebhookUrl: webhookUrlOf(reader),
    auditCheckpointIntervalMs: integer(reader, 'ANFU_AUDIT_CHECKPOINT_INTERVAL_MS', 60_000, 1000, 24 * 3600_000),
    clearingRunIntervalMs: integer(
      reader, 'ANFU_CLEARING_RUN_INTERVAL_MS', environment === 'production' ? 3600_000 : 0, 0, 24 * 3600_000,
    ),
    statementBytesMax: integer(reader, 'ANFU_STATEMENT_BYTES_MAX', 512 * 1024 * 1024, 1024, 512 * 1024 * 1024),
    clearingHoldMaxMs: integer(reader, 'ANFU_CLEARING_HOLD_MAX_MS', 24 * 3600_000, 60_000, 30 * 24 * 3600_000),
    auditRefusalWindowMs: integer(reader, 'ANFU_AUDIT_REFUSAL_WINDOW_MS', 60_000, 1000, 3600_000),
    argon2MemoryKib: integer(reader, 'ANFU_ARGON2_MEMORY_KIB', 19_456, 1024, 4_194_304),
    argon2TimeCost: integer(reader, 'ANFU_ARGON2_TIME_COST', 2, 1, 100),
    argon2Parallelism: integer(reader, 'ANFU_ARGON2_PARALLELISM', 1, 1, 64),
    customerAccessTokenTtlMs: integer(reader, 'ANFU_CUSTOMER_ACCESS_TOKEN_TTL_MS', 5 * 60_000, 10_000, 60 * 60_000),
    customerRefreshTokenTtlMs: integer(
      reader,
      'ANFU_CUSTOMER_REFRESH_TOKEN_TTL_MS',
      30 * 24 * 3600_000,
      60_000,
      90 * 24 * 3600_000,
    ),
    customerLoginFailuresMax: integer(reader, 'ANFU_CUSTOMER_LOGIN_FAILURES_MAX', 10, 3, 100),
    customerLockoutMs: integer(reader, 'ANFU_CUSTOMER_LOCKOUT_MS', 30 * 60_000, 60_000, 24 * 3600_000),
    loginIpFailuresMax: integer(reader, 'ANFU_LOGIN_IP_FAILURES_MAX', 100, 5, 1_000_000),
    paymentStepUpFailuresMax: integer(reader, 'ANFU_PAYMENT_STEP_UP_ATTEMPTS_MAX', 5, 1, 10),
    stepUpFailuresPerDayMax: integer(reader, 'ANFU_STEP_UP_FAILURES_PER_DAY_MAX', 10, 1, 100),
    stepUpFreshMs: integer(reader, 'ANFU_STEP_UP_FRESH_MS', 10 * 60_000, 60_000, 60 * 60_000),
    factorChangeCoolingOffMs: integer(
      reader,
      'ANFU_FACTOR_CHANGE_COOLING_OFF_MS',
      24 * 3600_000,
      0,
      30 * 24 * 3600_000,
    ),
    factorChangeChallengeMinor: minorUnits(reader, 'ANFU_FACTOR_CHANGE_CHALLENGE_MINOR', 100_000n),
    riskPollMs: integer(reader, 'ANFU_RISK_POLL_MS', 1000, 50, 60_000),
    payeeLookupsPerHourMax: integer(reader, 'ANFU_PAYEE_LOOKUPS_PER_HOUR_MAX', 20, 1, 10_000),
    collectRequestsPerDayMax: integer(reader, 'ANFU_COLLECT_REQUESTS_PER_DAY_MAX', 20, 1, 10_000),
    customerRateLimitPerMinute: integer(reader, 'ANFU_CUSTOMER_RATE_LIMIT_PER_MINUTE', 120, 1, 1_000_000),
    smsCodeTtlMs: integer(reader, 'ANFU_SMS_CODE_TTL_MS', 5 * 60_000, 30_000, 15 * 60_000),
    smsCodeAttemptsMax: integer(reader, 'ANFU_SMS_CODE_ATTEMPTS_MAX', 5, 1, 10),
    smsResendIntervalMs: integer(reader, 'ANFU_SMS_RESEND_INTERVAL_MS', 60_000, 0, 3600_000),
    smsSinkFile: resolve(reader.get('ANFU_SMS_SINK_FILE') ?? resolve(dataDir, 'sms-outbox.jsonl')),
    webauthnRpId: reader.get('ANFU_WEBAUTHN_RP_ID') ?? 'localhost',
    webauthnOrigin: reader.get('ANFU_WEBAUTHN_ORIGIN'),
    webhookRetryBaseMs: integer(reader, 'ANFU_WEBHOOK_RETRY_BASE_MS', 30_000, 10, 3600_000),
    webhookRetryMaxMs: integer(reader, 'ANFU_WEBHOOK_RETRY_MAX_MS', 6 * 3600_000, 10, 7 * 24 * 3600_000),
    webhookAttemptsMax: integer(reader, 'ANFU_WEBHOOK_ATTEMPTS_MAX', 12, 1, 100),
    webhookTimeoutMs: integer(reader, 'ANFU_WEBHOOK_TIMEOUT_MS', 10_000, 100, 120_000),
    webhookConcurrencyMax: integer(reader, 'ANFU_WEBHOOK_CONCURRENCY_MAX', 16, 1, 1000),
    webhookAllowPrivateTargets: flag(reader, 'ANFU_WEBHOOK_ALLOW_PRIVATE_TARGETS'),
    instructionWindowMs: integer(reader, 'ANFU_INSTRUCTION_WINDOW_MS', 5 * 60_000, 1000, 3600_000),
    // SM2 verification is BigInt code of ours, ~7 ms more CPU a payment: two threads paid in the payments bench
    // (docs/benchmarks.md, 2026-12-04); for intl (OpenSSL's P-256) only p99 fell, so intl stays inline.
    verifyWorkers: integer(reader, 'ANFU_VERIFY_WORKERS', reader.get('ANFU_CRYPTO_PROFILE') === 'gm' ? 2 : 0, 0, 16),
    limitClassOneLifetimeMinor: minorUnits(reader, 'ANFU_LIMIT_CLASS_I_LIFETIME_MINOR', 100_000n),
    limitClassTwoYearMinor: minorUnits(reader, 'ANFU_LIMIT_CLASS_II_YEAR_MINOR', 10_000_000n),
    limitClassThreeYearMinor: minorUnits(reader, 'ANFU_LIMIT_CLASS_III_YEAR_MINOR', 20_000_000n),
    limitDayCertificateMinor: minorUnits(reader, 'ANFU_LIMIT_DAY_CERTIFICATE_MINOR', 5_000_000n),
    limitDayTwoFactorsMinor: minorUnits(reader, 'ANFU_LIMIT_DAY_TWO_FACTORS_MINOR', 500_000n),
    limitDayWeakMinor: minorUnits(reader, 'ANFU_LIMIT_DAY_WEAK_MINOR', 100_000n),
    limitDayMediumRiskPercent: integer(reader, 'ANFU_LIMIT_DAY_MEDIUM_RISK_PERCENT', 100, 1, 100),
    limitDayHighRiskPercent: integer(reader, 'ANFU_LIMIT_DAY_HIGH_RISK_PERCENT', 50, 1, 100),
    refundApprovalMinor: minorUnits(reader, 'ANFU_REFUND_APPROVAL_MINOR', 1_000_000n),
    merchantRequestWindowMs: integer(reader, 'ANFU_MERCHANT_REQUEST_WINDOW_MS', 5 * 60_000, 1000, 3600_000),
    merchantFeeBpsDefault: integer(reader, 'ANFU_MERCHANT_FEE_BPS_DEFAULT', 60, 0, 10_000),
    orderTtlMsMax: integer(reader, 'ANFU_ORDER_TTL_MS_MAX', 24 * 3600_000, 60_000, 30 * 24 * 3600_000),
    challengeTtlMs: integer(reader, 'ANFU_CHALLENGE_TTL_MS', 10 * 60_000, 60_000, 24 * 3600_000),
    withdrawalOutcomeUnknownAfterMs: integer(
      reader,
      'ANFU_WITHDRAWAL_OUTCOME_UNKNOWN_AFTER_MS',
      24 * 3600_000,
      60_000,
      30 * 24 * 3600_000,
    ),
    cardLinkHost: reader.get('ANFU_CARD_LINK_HOST') ?? '127.0.0.1',
    cardLinkPort:
      reader.get('ANFU_CARD_LINK_PORT') === undefined
        ? undefined
        : integer(reader, 'ANFU_CARD_LINK_PORT', 8583, 1, 65_535),
    cardLinkTerminalId: reader.get('ANFU_CARD_LINK_TERMINAL_ID') ?? 'ANFU0001',
    cardLinkMerchantId: reader.get('ANFU_CARD_LINK_MERCHANT_ID') ?? 'ANFUTOPUP000001',
    cardLinkBank: reader.get('ANFU_CARD_LINK_BANK') ?? 'SIMBANK',
    cardLinkResponseTimeoutMs: integer(reader, 'ANFU_CARD_LINK_RESPONSE_TIMEOUT_MS', 3_000, 100, 60_000),
    ...providerSettingsOf(reader, environment === 'production'),
    topUpTransactionMaxMinor: minorUnits(reader, 'ANFU_TOP_UP_TRANSACTION_MAX_MINOR', 5_000_000n),
    topUpDayMaxMinor: minorUnits(reader, 'ANFU_TOP_UP_DAY_MAX_MINOR', 20_000_000n),
    withdrawalTransactionMaxMinor: minorUnits(reader, 'ANFU_WITHDRAWAL_TRANSACTION_MAX_MINOR', 5_000_000n),
    withdrawalDayMaxMinor: minorUnits(reader, 'ANFU_WITHDRAWAL_DAY_MAX_MINOR', 20_000_000n),
    fundingChallengeTtlMs: integer(reader, 'ANFU_FUNDING_CHALLENGE_TTL_MS', 15 * 60_000, 60_000, 24 * 3600_000),
    reviewTtlMs: integer(reader, 'ANFU_REVIEW_TTL_MS', 24 * 3600_000, 60_000, 30 * 24 * 3600_000),
    amlMonitorLevelFactors: amlLevelFactors(reader),
    cardBindAttemptsPerDayMax: integer(reader, 'ANFU_CARD_BIND_ATTEMPTS_PER_DAY_MAX', 5, 1, 100),
    cardBindingTtlMs: integer(reader, 'ANFU_CARD_BINDING_TTL_MS', 5 * 60_000, 60_000, 30 * 60_000),
    cardBindOtpAttemptsMax: integer(reader, 'ANFU_CARD_BIND_OTP_ATTEMPTS_MAX', 3, 1, 10),
    ...operationsSettingsOf(reader, dataDir),
  };
  if (!/^[ -~]{1,8}$/.test(config.cardLinkTerminalId))
    reader.problems.push('ANFU_CARD_LINK_TERMINAL_ID is 1 to 8 printable ASCII characters');
  if (!/^[ -~]{1,15}$/.test(config.cardLinkMerchantId))
    reader.problems.push('ANFU_CARD_LINK_MERCHANT_ID is 1 to 15 printable ASCII characters');
  if (!/^[A-Z0-9]{2,16}$/.test(config.cardLinkBank))
    reader.problems.push('ANFU_CARD_LINK_BANK is 2 to 16 capital letters or digits');
  if (config.webhookRetryBaseMs > config.webhookRetryMaxMs)
    reader.problems.push('ANFU_WEBHOOK_RETRY_BASE_MS exceeds ANFU_WEBHOOK_RETRY_MAX_MS');
  if (config.holdTimeoutMsDefault > config.holdTimeoutMsMax)
    reader.problems.push('ANFU_HOLD_TIMEOUT_MS_DEFAULT exceeds ANFU_HOLD_TIMEOUT_MS_MAX');
  if (environment === 'production' && config.argon2MemoryKib < 19_456)
    reader.problems.push('ANFU_ARGON2_MEMORY_KIB below 19456 (OWASP minimum for argon2id) is refused in production');
  if (!/^[a-z0-9.-]{1,253}$/.test(config.webauthnRpId)) reader.problems.push('ANFU_WEBAUTHN_RP_ID must be a host name');
  if (
    config.webauthnOrigin !== undefined &&
    !/^https:\/\/[a-z0-9.-]{1,253}(?::[0-9]{1,5}|)$/.test(config.webauthnOrigin)
  )
    reader.problems.push('ANFU_WEBAUTHN_ORIGIN must be an https origin such as https://pay.example.com');
  if (reader.problems.length > 0) throw new ConfigError(reader.problems);
  return config;
}

/** The settings table for the README and `anfu config`: name, default, meaning. */
export const settings: ReadonlyArray<readonly [string, string, string]> = [
  ['ANFU_ENV', 'development', 'development, production or test; production refuses unsafe settings'],
  ['ANFU_DATA_DIR', './data', 'SQLite file, development TLS certificate and development keys'],
  ['ANFU_HOST', '127.0.0.1', 'address to listen on'],
  ['ANFU_PORT', '8443', 'port to listen on (HTTPS)'],
  ['ANFU_DATABASE_URL', '(unset)', 'a postgres:// URL switches to PostgreSQL; unset = embedded SQLite'],
  [
    'ANFU_SQLITE_WRITER',
    'inline',
    'SQLite: inline (writes on the event loop) or worker (writes and commits on a thread of their own)',
  ],
  ['ANFU_DATABASE_POOL_SIZE', '16', 'PostgreSQL connections per process'],
  ['ANFU_DATABASE_FAILOVER_WAIT_MS', '40000', 'PostgreSQL: how long a ledger batch keeps retrying during a failover'],
  ['ANFU_DATABASE_REQUIRE_SYNC_STANDBY', 'false', 'PostgreSQL: refuse writes and /ready without a synchronous standby'],
  [
    'ANFU_TLS_CERT_FILE / ANFU_TLS_KEY_FILE',
    '(unset)',
    'PEM certificate and key; unset = a development certificate generated on first start',
  ],
  ['ANFU_INSECURE_HTTP', 'false', 'plain HTTP behind a TLS proxy (refused in production)'],
  ['ANFU_LOG_LEVEL', 'info', 'pino log level'],
  ['ANFU_CRYPTO_PROFILE', 'intl', 'intl (P-256, AES-GCM, SHA-256) or gm (SM2, SM4, SM3)'],
  [
    'ANFU_KEK_FILE',
    '(unset)',
    'file with the key-encryption key (base64 of 32 random bytes); unset in development = <data dir>/keys/kek',
  ],
  [
    'ANFU_KEK_PREVIOUS_FILE',
    '(unset)',
    'only during a KEK rotation: the old KEK, still accepted until `anfu keys rotate-kek` has moved every data key',
  ],
  ['ANFU_KEK_PREVIOUS', '(unset)', 'the old KEK itself (base64), instead of ANFU_KEK_PREVIOUS_FILE'],
  [
    'ANFU_CURRENCIES',
    'CNY',
    'currencies money may move in, comma-separated; others are refused with currency_not_enabled',
  ],
  ['ANFU_KEK', '(unset)', 'the key-encryption key itself, base64 of 32 random bytes (instead of ANFU_KEK_FILE)'],
  [
    'ANFU_MTLS_CA_FILE',
    '(unset)',
    "CA certificate for merchant mutual TLS, or 'platform' for the platform CA under <data dir>/ca",
  ],
  ['ANFU_AMOUNT_MAX_MINOR', '100000000000', 'largest single amount in minor units (1,000,000,000.00 CNY)'],
  ['ANFU_TRANSFER_BATCH_MAX', '2000', 'most transfers in one group commit'],
  ['ANFU_HOLD_TIMEOUT_MS_DEFAULT', '604800000', 'how long a hold lasts unless the request says (7 days)'],
  ['ANFU_HOLD_TIMEOUT_MS_MAX', '2592000000', 'the longest hold a request may ask for (30 days)'],
  ['ANFU_BODY_LIMIT_BYTES', '65536', 'largest request body'],
  [
    'ANFU_RATE_LIMIT_PER_MINUTE',
    '600',
    'requests per minute per client address, counted in the database on PostgreSQL (every process shares it)',
  ],
  ['ANFU_TRUST_PROXY', 'false', 'take the client address from X-Forwarded-For'],
  [
    'ANFU_OPERATOR_SESSION_IDLE_MS',
    '900000',
    'an operator session ends after this long without use (15 min, PCI DSS 8.2.8)',
  ],
  [
    'ANFU_OPERATOR_SESSION_ABSOLUTE_MS',
    '28800000',
    'an operator session ends this long after login, used or not (8 h)',
  ],
  ['ANFU_OPERATOR_LOGIN_FAILURES_MAX', '10', 'failed logins that lock an operator account (at most 10, PCI DSS 8.3.4)'],
  ['ANFU_OPERATOR_LOCKOUT_MS', '1800000', 'how long a locked operator account stays locked (at least 30 min)'],
  [
    'ANFU_CREDENTIAL_STUFFING_ACCOUNTS_MAX',
    '5',
    'distinct accounts failing from one address in 10 min that raise a credential-stuffing event',
  ],
  ['ANFU_PROPOSAL_TTL_MS', '86400000', 'how long a maker–checker proposal waits for approval (24 h)'],
  ['ANFU_CASES_TIME_ZONE', 'Asia/Shanghai', 'the time zone of the business calendar case SLA clocks count in'],
  ['ANFU_CASES_HOURS', '09:00-18:00', 'business hours of the case calendar (local time)'],
  ['ANFU_CASES_WORKDAYS', '1,2,3,4,5', 'worked ISO weekdays of the case calendar (1 = Monday)'],
  ['ANFU_CASES_HOLIDAYS', '(none)', 'comma-separated YYYY-MM-DD public holidays the case calendar skips'],
  ['ANFU_CASES_EXTRA_WORKDAYS', '(none)', 'comma-separated YYYY-MM-DD weekend days worked instead (调休)'],
  [
    'ANFU_OPERATOR_TOKEN_TTL_DAYS_MAX',
    '90',
    'longest lifetime of an operator API token in days; a token lives 90 days or this, whichever is shorter',
  ],
  [
    'ANFU_OPERATOR_ENROLMENT_TTL_MS',
    '259200000',
    "how long a new operator's single-use enrolment code stays usable (72 h)",
  ],
  ['ANFU_API_ERRORS_MAX', '500', 'error responses within the window that raise an abnormal-error-rate event'],
  ['ANFU_API_ERROR_WINDOW_MS', '60000', 'the sliding window of the API error-rate signal'],
  ['ANFU_SECURITY_WEBHOOK_URL', '(unset)', 'security alerts are POSTed here as JSON (https; http only to loopback)'],
  [
    'ANFU_AUDIT_CHECKPOINT_INTERVAL_MS',
    '60000',
    "how often the audit log's Merkle root is signed in a checkpoint, when the log has grown",
  ],
  [
    'ANFU_AUDIT_REFUSAL_WINDOW_MS',
    '60000',
    'refusals of one kind from one address: the first per window is audited, the rest counted in one entry',
  ],
  [
    'ANFU_ARGON2_MEMORY_KIB',
    '19456',
    'argon2id memory per customer password hash in KiB (production minimum 19456); hashes are upgraded at login when it changes',
  ],
  ['ANFU_ARGON2_TIME_COST', '2', 'argon2id passes'],
  ['ANFU_ARGON2_PARALLELISM', '1', 'argon2id lanes'],
  ['ANFU_CUSTOMER_ACCESS_TOKEN_TTL_MS', '300000', 'lifetime of a customer access token (5 min); refresh tokens rotate'],
  [
    'ANFU_CUSTOMER_REFRESH_TOKEN_TTL_MS',
    '2592000000',
    'a customer session ends this long after login unless refreshed (30 days)',
  ],
  [
    'ANFU_CUSTOMER_LOGIN_FAILURES_MAX',
    '10',
    'failed logins on one phone number that lock it (delays double before that)',
  ],
  ['ANFU_CUSTOMER_LOCKOUT_MS', '1800000', 'how long a locked customer login stays locked (30 min)'],
  [
    'ANFU_LOGIN_IP_FAILURES_MAX',
    '100',
    'failed customer logins from one address that lock the address for ANFU_CUSTOMER_LOCKOUT_MS',
  ],
  [
    'ANFU_PAYMENT_STEP_UP_ATTEMPTS_MAX',
    '5',
    'step-up attempts on one challenged payment; the last wrong one fails the payment',
  ],
  [
    'ANFU_STEP_UP_FAILURES_PER_DAY_MAX',
    '10',
    'wrong payment step-up answers per customer per day before every step-up is refused',
  ],
  [
    'ANFU_STEP_UP_FRESH_MS',
    '600000',
    'how long a proven factor counts as fresh for adding, replacing or removing a factor (10 min)',
  ],
  [
    'ANFU_FACTOR_CHANGE_COOLING_OFF_MS',
    '86400000',
    'after a factor change, large payments and withdrawals are challenged this long (24 h)',
  ],
  [
    'ANFU_FACTOR_CHANGE_CHALLENGE_MINOR',
    '100000',
    'the amount from which payments and withdrawals are challenged during cooling-off (1,000 CNY)',
  ],
  ['ANFU_PAYEE_LOOKUPS_PER_HOUR_MAX', '20', 'payee lookups (by phone or wallet id) per customer per hour'],
  ['ANFU_COLLECT_REQUESTS_PER_DAY_MAX', '20', 'requests for money a customer may send per day'],
  [
    'ANFU_CUSTOMER_RATE_LIMIT_PER_MINUTE',
    '120',
    'API requests per signed-in customer per minute (all their devices and addresses)',
  ],
  [
    'ANFU_CLEARING_RUN_INTERVAL_MS',
    '0 (3600000 in production)',
    'scheduled clearing runs for every active partner; 0 turns them off (docs/banks.md)',
  ],
  [
    'ANFU_STATEMENT_BYTES_MAX',
    '536870912',
    'largest bank file (statement, status report) uploaded over the operator API; streamed, refused past it',
  ],
  [
    'ANFU_CLEARING_HOLD_MAX_MS',
    '86400000',
    'an instruction held by the net debit cap this long opens a clearing_hold case (docs/banks.md)',
  ],
  ['ANFU_SMS_CODE_TTL_MS', '300000', 'how long an SMS one-time code is valid (5 min)'],
  ['ANFU_SMS_CODE_ATTEMPTS_MAX', '5', 'wrong entries that spend an SMS code'],
  ['ANFU_SMS_RESEND_INTERVAL_MS', '60000', 'shortest interval between two SMS codes to one number for one purpose'],
  [
    'ANFU_SMS_SINK_FILE',
    '<data dir>/sms-outbox.jsonl',
    'development SMS sink (no ANFU_SMS_GATEWAY_URL): messages appended here; numbers masked and keyed-hashed',
  ],
  ['ANFU_WEBAUTHN_RP_ID', 'localhost', 'WebAuthn relying-party id (the site domain passkeys are bound to)'],
  ['ANFU_WEBAUTHN_ORIGIN', '(unset)', 'expected WebAuthn origin; unset = https://<rp id>:<listening port>'],
  [
    'ANFU_WEBHOOK_RETRY_BASE_MS',
    '30000',
    'merchant webhooks: delay ceiling before the 2nd attempt, doubled per attempt, half of it random (jitter)',
  ],
  ['ANFU_WEBHOOK_RETRY_MAX_MS', '21600000', 'merchant webhooks: longest delay between attempts (6 h)'],
  ['ANFU_WEBHOOK_ATTEMPTS_MAX', '12', 'merchant webhooks: attempts before a delivery is dead-lettered'],
  ['ANFU_WEBHOOK_TIMEOUT_MS', '10000', 'merchant webhooks: time allowed for one attempt (connect, response and body)'],
  [
    'ANFU_WEBHOOK_CONCURRENCY_MAX',
    '16',
    'merchant webhooks: attempts in flight per process (a quarter of them at most per endpoint)',
  ],
  [
    'ANFU_WEBHOOK_ALLOW_PRIVATE_TARGETS',
    'false',
    'production only: let webhook URLs reach loopback/private addresses (https is still required)',
  ],
  [
    'ANFU_INSTRUCTION_WINDOW_MS',
    '300000',
    'payments: a signed instruction whose timestamp is further than this from the server clock is stale',
  ],
  [
    'ANFU_VERIFY_WORKERS',
    '0 (intl), 2 (gm)',
    'payments: worker threads that check instruction signatures and device certificates; 0 = on the event loop',
  ],
  ['ANFU_LIMIT_CLASS_I_LIFETIME_MINOR', '100000', 'R6.2: class I balance payments since opening (1,000 CNY)'],
  ['ANFU_LIMIT_CLASS_II_YEAR_MINOR', '10000000', 'R6.2: class II balance payments per year (100,000 CNY)'],
  ['ANFU_LIMIT_CLASS_III_YEAR_MINOR', '20000000', 'R6.2: class III balance payments per year (200,000 CNY)'],
  [
    'ANFU_LIMIT_DAY_CERTIFICATE_MINOR',
    '5000000',
    'R6.2: per day with certificate/signature plus another factor (institution limit, 50,000 CNY)',
  ],
  ['ANFU_LIMIT_DAY_TWO_FACTORS_MINOR', '500000', 'R6.2: per day with two factors without a certificate (5,000 CNY)'],
  ['ANFU_LIMIT_DAY_WEAK_MINOR', '100000', 'R6.2: per day with fewer than two factors (1,000 CNY)'],
  ['ANFU_LIMIT_DAY_MEDIUM_RISK_PERCENT', '100', 'R4.4: percent of the day limits a payer rated medium risk may use'],
  ['ANFU_LIMIT_DAY_HIGH_RISK_PERCENT', '50', 'R4.4: percent of the day limits a payer rated high risk may use'],
  ['ANFU_REFUND_APPROVAL_MINOR', '1000000', 'refunds above this need maker–checker approval (10,000 CNY)'],
  [
    'ANFU_MERCHANT_REQUEST_WINDOW_MS',
    '300000',
    'merchant API: signed request timestamps older or newer than this are refused',
  ],
  ['ANFU_MERCHANT_FEE_BPS_DEFAULT', '60', 'merchant fee rate in basis points unless onboarding sets one (0.60 %)'],
  ['ANFU_ORDER_TTL_MS_MAX', '86400000', 'the longest a checkout order may stay payable'],
  [
    'ANFU_CHALLENGE_TTL_MS',
    '600000',
    'a challenged payment not stepped up within this expires and gives its reservations back',
  ],
  [
    'ANFU_WITHDRAWAL_OUTCOME_UNKNOWN_AFTER_MS',
    '86400000',
    'a withdrawal whose bank outcome is still unknown this long after its request was sent (a reviewed one: ' +
      'after its release) is listed for operations to resolve',
  ],
  ['ANFU_CARD_LINK_HOST', '127.0.0.1', 'card link (ISO 8583) host of the card-issuing bank or `anfu bank-sim`'],
  [
    'ANFU_CARD_LINK_PORT',
    '(unset)',
    'card link port; unset = card top-ups and withdrawals answer 503 card_issuer_unavailable',
  ],
  ['ANFU_CARD_LINK_TERMINAL_ID', 'ANFU0001', 'ISO 8583 field 41 (terminal id); distinct per API process'],
  ['ANFU_CARD_LINK_MERCHANT_ID', 'ANFUTOPUP000001', 'ISO 8583 field 42 (card acceptor id)'],
  [
    'ANFU_CARD_LINK_BANK',
    'SIMBANK',
    'partner bank code: top-ups and withdrawals settle through ledger account bank_settlement:<BANK>:<currency>',
  ],
  ['ANFU_CARD_LINK_RESPONSE_TIMEOUT_MS', '3000', 'card link: an authorisation unanswered this long is reversed (0400)'],
  [
    'ANFU_SMS_GATEWAY_URL',
    '(unset)',
    'SMS gateway (docs/providers.md); unset = development sink (hashed numbers); required, https, in production',
  ],
  [
    'ANFU_SMS_GATEWAY_KEY_ID / ANFU_SMS_GATEWAY_SECRET',
    '(unset)',
    'the SMS gateway key: requests and delivery receipts are signed with HMAC-SHA256 under it',
  ],
  [
    'ANFU_SMS_RECEIPT_URL',
    '(unset)',
    "Anfu's receipt route as the gateway reaches it (…/v1/providers/sms/receipts); unset = no receipts asked for",
  ],
  [
    'ANFU_IDENTITY_PROVIDER_URL',
    '(unset)',
    'identity verification (two elements; bank card four elements); unset = development stand-ins; required in production',
  ],
  [
    'ANFU_IDENTITY_PROVIDER_KEY_ID / ANFU_IDENTITY_PROVIDER_SECRET',
    '(unset)',
    'the identity provider key (HMAC-SHA256 request signing)',
  ],
  ['ANFU_PROVIDER_TIMEOUT_MS', '5000', 'time allowed for one provider request (connect, answer, body)'],
  ['ANFU_TOP_UP_TRANSACTION_MAX_MINOR', '5000000', 'largest single top-up by card (50,000 CNY)'],
  ['ANFU_TOP_UP_DAY_MAX_MINOR', '20000000', 'top-ups by card per customer per day, Beijing time (200,000 CNY)'],
  [
    'ANFU_WITHDRAWAL_TRANSACTION_MAX_MINOR',
    '5000000',
    'largest single withdrawal to a card (50,000 CNY); R6.2 limits apply as well',
  ],
  [
    'ANFU_WITHDRAWAL_DAY_MAX_MINOR',
    '20000000',
    'withdrawals per customer per day, Beijing time (200,000 CNY); R6.2 limits apply as well',
  ],
  [
    'ANFU_FUNDING_CHALLENGE_TTL_MS',
    '900000',
    'a top-up or withdrawal challenged by risk control fails unless stepped up within this',
  ],
  [
    'ANFU_REVIEW_TTL_MS',
    '86400000',
    'a payment, top-up or withdrawal held for a risk review fails (its hold voided, nothing sent to the bank) ' +
      'unless an analyst decides within this',
  ],
  [
    'ANFU_AML_MONITOR_LEVEL_FACTORS',
    '',
    'AML monitors per customer risk level, JSON {"medium": {...}, "high": {...}}, each of structuring, ' +
      'rapid_in_out, fan a percentage 1..100 of its threshold; unset: medium 75, high 50. The start value: ' +
      'operators change it at run time under four eyes (docs/aml.md)',
  ],
  [
    'ANFU_CARD_BIND_ATTEMPTS_PER_DAY_MAX',
    '5',
    'card bindings a customer may start in 24 hours, whatever their outcome',
  ],
  ['ANFU_CARD_BINDING_TTL_MS', '300000', "how long a card binding waits for the issuer's one-time code"],
  ['ANFU_CARD_BIND_OTP_ATTEMPTS_MAX', '3', 'wrong one-time codes a card binding allows before it is closed'],
  ['ANFU_KEY_ROTATION_DAYS', '365', 'assessment: an active data key older than this is overdue for rotation'],
  ['ANFU_BACKUP_MAX_AGE_HOURS', '26', 'assessment: the newest successful backup must be younger than this'],
  ['ANFU_BACKUP_TEST_MAX_AGE_DAYS', '7', 'assessment: the newest passed restore test must be younger than this'],
  ['ANFU_TOKEN_EXPIRY_WARNING_DAYS', '14', 'assessment: operator tokens expiring within this many days are listed'],
  ['ANFU_INCIDENT_OPEN_MAX_HOURS', '72', 'assessment: an incident open longer than this turns its row red'],
  ['ANFU_BACKUP_DIR', 'DATA_DIR/backups', 'where the scheduled backups are written (SQLite)'],
  ['ANFU_BACKUP_SECOND_DIR', '(unset)', 'a second backup target receiving a copy of every file'],
  ['ANFU_BACKUP_FULL_INTERVAL_MS', '0', 'the server takes a full backup this often (0 = not scheduled)'],
  ['ANFU_BACKUP_INCREMENTAL_INTERVAL_MS', '0', 'the server takes an incremental backup this often (0 = off)'],
  ['ANFU_BACKUP_DIFFERENTIAL_INTERVAL_MS', '0', 'the server takes a differential backup this often (0 = off)'],
  ['ANFU_BACKUP_TEST_INTERVAL_MS', '0', 'the server runs `backup test` (restore + verify) this often (0 = off)'],
];
