// One typed configuration, read from the environment and command-line flags (flags win), validated
// before anything starts. A bad value stops start-up with a message naming the setting.
import { resolve } from 'node:path';

export interface Config {
  readonly environment: 'development' | 'production' | 'test';
  readonly dataDir: string;
  readonly host: string;
  readonly port: number;
  /** A postgres:// URL selects PostgreSQL; undefined means the embedded SQLite file. */
  readonly databaseUrl: string | undefined;
  readonly sqlitePath: string;
  readonly databasePoolSize: number;
  readonly tlsCertFile: string | undefined;
  readonly tlsKeyFile: string | undefined;
  /** Serve plain HTTP (only behind a TLS-terminating proxy; refused in production). */
  readonly insecureHttp: boolean;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  readonly cryptoProfile: 'intl' | 'gm';
  /** Largest single amount accepted, in minor units. */
  readonly amountMaxMinor: bigint;
  readonly transferBatchMax: number;
  readonly holdTimeoutMsDefault: number;
  readonly holdTimeoutMsMax: number;
  readonly bodyLimitBytes: number;
  readonly rateLimitPerMinute: number;
  readonly trustProxy: boolean;
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

type Source = Readonly<Record<string, string | undefined>>;

interface Reader {
  problems: string[];
  get(name: string): string | undefined;
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

function databaseUrlOf(reader: Reader): string | undefined {
  const url = reader.get('ANFU_DATABASE_URL');
  if (url === undefined || url === '') return undefined;
  if (!/^postgres(ql)?:\/\//.test(url)) {
    reader.problems.push("ANFU_DATABASE_URL must be a postgres:// URL (leave it unset for the embedded SQLite store)");
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

/** Builds the configuration from environment variables, overridden by flags (`--port 9443` ≙ ANFU_PORT). */
export function loadConfig(env: Source = process.env, flags: Source = {}): Config {
  const reader: Reader = { problems: [], get: (name) => flags[name] ?? env[name] };
  const environment = oneOf(reader, 'ANFU_ENV', ['development', 'production', 'test'], env.NODE_ENV === 'production' ? 'production' : 'development');
  const dataDir = resolve(reader.get('ANFU_DATA_DIR') ?? './data');
  const host = reader.get('ANFU_HOST') ?? '127.0.0.1';
  if (!/^[0-9a-zA-Z.:-]{1,253}$/.test(host)) reader.problems.push(`ANFU_HOST is not a host name or address (got '${host.slice(0, 40)}')`);
  const tlsCertFile = reader.get('ANFU_TLS_CERT_FILE');
  const tlsKeyFile = reader.get('ANFU_TLS_KEY_FILE');
  if ((tlsCertFile === undefined) !== (tlsKeyFile === undefined)) reader.problems.push('ANFU_TLS_CERT_FILE and ANFU_TLS_KEY_FILE go together');
  const insecureHttp = flag(reader, 'ANFU_INSECURE_HTTP');
  if (insecureHttp && environment === 'production') reader.problems.push('ANFU_INSECURE_HTTP is refused in production: serve HTTPS');
  const amountMax = reader.get('ANFU_AMOUNT_MAX_MINOR') ?? '100000000000';
  if (!/^[1-9][0-9]{0,17}$/.test(amountMax)) reader.problems.push('ANFU_AMOUNT_MAX_MINOR must be a positive integer of minor units below 10^18');
  const config: Config = {
    environment,
    dataDir,
    host,
    port: integer(reader, 'ANFU_PORT', 8443, 0, 65535),
    databaseUrl: databaseUrlOf(reader),
    sqlitePath: resolve(dataDir, 'anfu.db'),
    databasePoolSize: integer(reader, 'ANFU_DATABASE_POOL_SIZE', 16, 1, 500),
    tlsCertFile,
    tlsKeyFile,
    insecureHttp,
    logLevel: oneOf(reader, 'ANFU_LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info'),
    cryptoProfile: oneOf(reader, 'ANFU_CRYPTO_PROFILE', ['intl', 'gm'], 'intl'),
    amountMaxMinor: /^[1-9][0-9]{0,17}$/.test(amountMax) ? BigInt(amountMax) : 1n,
    transferBatchMax: integer(reader, 'ANFU_TRANSFER_BATCH_MAX', 2000, 1, 100_000),
    holdTimeoutMsDefault: integer(reader, 'ANFU_HOLD_TIMEOUT_MS_DEFAULT', 7 * 24 * 3600 * 1000, 1000, 90 * 24 * 3600 * 1000),
    holdTimeoutMsMax: integer(reader, 'ANFU_HOLD_TIMEOUT_MS_MAX', 30 * 24 * 3600 * 1000, 1000, 365 * 24 * 3600 * 1000),
    bodyLimitBytes: integer(reader, 'ANFU_BODY_LIMIT_BYTES', 64 * 1024, 1024, 16 * 1024 * 1024),
    rateLimitPerMinute: integer(reader, 'ANFU_RATE_LIMIT_PER_MINUTE', 60_000, 1, 10_000_000),
    trustProxy: flag(reader, 'ANFU_TRUST_PROXY'),
  };
  if (config.holdTimeoutMsDefault > config.holdTimeoutMsMax) reader.problems.push('ANFU_HOLD_TIMEOUT_MS_DEFAULT exceeds ANFU_HOLD_TIMEOUT_MS_MAX');
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
  ['ANFU_DATABASE_POOL_SIZE', '16', 'PostgreSQL connections per process'],
  ['ANFU_TLS_CERT_FILE / ANFU_TLS_KEY_FILE', '(unset)', 'PEM certificate and key; unset = a development certificate generated on first start'],
  ['ANFU_INSECURE_HTTP', 'false', 'plain HTTP behind a TLS proxy (refused in production)'],
  ['ANFU_LOG_LEVEL', 'info', 'pino log level'],
  ['ANFU_CRYPTO_PROFILE', 'intl', 'intl (P-256, AES-GCM, SHA-256) or gm (SM2, SM4, SM3)'],
  ['ANFU_AMOUNT_MAX_MINOR', '100000000000', 'largest single amount in minor units (1,000,000,000.00 CNY)'],
  ['ANFU_TRANSFER_BATCH_MAX', '2000', 'most transfers in one group commit'],
  ['ANFU_HOLD_TIMEOUT_MS_DEFAULT', '604800000', 'how long a hold lasts unless the request says (7 days)'],
  ['ANFU_HOLD_TIMEOUT_MS_MAX', '2592000000', 'the longest hold a request may ask for (30 days)'],
  ['ANFU_BODY_LIMIT_BYTES', '65536', 'largest request body'],
  ['ANFU_RATE_LIMIT_PER_MINUTE', '60000', 'requests per minute per client address'],
  ['ANFU_TRUST_PROXY', 'false', 'take the client address from X-Forwarded-For'],
];
