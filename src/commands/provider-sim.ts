// `anfu provider-sim`: the SMS gateway and identity-verification provider as one separate process on
// 127.0.0.1 (development and tests). Prints one JSON log line {"msg":"listening","port":…} once it
// accepts connections; SIGHUP re-reads the rules file; SIGTERM or SIGINT stop it. It refuses to
// run with ANFU_ENV=production, and Anfu in production refuses to talk to it.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import pino, { type Logger } from 'pino';
import {
  defaultProviderSimRules, parseProviderSimRules, startProviderSim, type ProviderSimRules,
} from '../providers/index.ts';

export const providerSimUsage = `usage: anfu provider-sim [options]

  --port N             HTTP port on 127.0.0.1 (ANFU_PROVIDER_SIM_PORT, default 8600; 0 picks a free one)
  --key ID=SECRET      a key the simulator accepts and signs receipts with; repeatable
                       (ANFU_PROVIDER_SIM_KEYS=ID=SECRET,ID=SECRET); at least one is required
  --rules FILE         JSON rules (ANFU_PROVIDER_SIM_RULES); SIGHUP re-reads it (docs/providers.md)
  --log-level LEVEL    info (default), warn, error, silent

Test identities by name: 测试不符 mismatch, 测试无档 no_record, 测试超时 timeout, 测试故障 unavailable.
Test-only read side: GET /_sim/sms/last?to=+86…, GET /_sim/state, PUT /_sim/rules.
`;

const options = {
  port: { type: 'string' },
  key: { type: 'string', multiple: true },
  rules: { type: 'string' },
  'log-level': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

function keysFrom(entries: readonly string[]): Map<string, string> {
  const keys = new Map<string, string>();
  for (const entry of entries) {
    const at = entry.indexOf('=');
    const id = entry.slice(0, at);
    const secret = entry.slice(at + 1);
    if (at <= 0 || !/^[A-Za-z0-9_.-]{1,64}$/.test(id) || secret.length < 16)
      throw new RangeError('--key wants ID=SECRET with a secret of at least 16 characters');
    keys.set(id, secret);
  }
  if (keys.size === 0) throw new RangeError('at least one --key ID=SECRET (or ANFU_PROVIDER_SIM_KEYS) is required');
  return keys;
}

function rulesFrom(file: string | undefined): ProviderSimRules {
  if (file === undefined) return defaultProviderSimRules;
  // eslint-disable-next-line security/detect-non-literal-fs-filename -- the developer names the rules file
  const text = readFileSync(file, 'utf8');
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    throw new RangeError(`rules file ${file} is not valid JSON`);
  }
  return parseProviderSimRules((document ?? {}) as Record<string, unknown>);
}

function portFrom(value: string | undefined): number {
  if (value === undefined || value === '') return 8600;
  if (!/^[0-9]{1,5}$/.test(value) || Number(value) > 65535)
    throw new RangeError('--port must be a port number 0..65535');
  return Number(value);
}

/** Runs until SIGTERM or SIGINT; resolves with the exit code. */
export async function providerSimCommand(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  if (env.ANFU_ENV === 'production' || (env.ANFU_ENV === undefined && env.NODE_ENV === 'production')) {
    process.stderr.write(
      'anfu provider-sim: refused with ANFU_ENV=production — the simulator is for development and tests only; ' +
        'configure the real providers (docs/providers.md)\n',
    );
    return 2;
  }
  let parsed: ReturnType<typeof parseArgs<{ args: string[]; options: typeof options; strict: true }>>['values'];
  let keys: Map<string, string>;
  let rules: ProviderSimRules;
  let log: Logger;
  let port: number;
  const rulesFile = (): string | undefined => parsed.rules ?? env.ANFU_PROVIDER_SIM_RULES;
  try {
    parsed = parseArgs({ args, options, allowPositionals: false, strict: true }).values;
    if (parsed.help === true) {
      process.stdout.write(providerSimUsage);
      return 0;
    }
    keys = keysFrom([...(parsed.key ?? []), ...(env.ANFU_PROVIDER_SIM_KEYS ?? '').split(',').filter((e) => e !== '')]);
    rules = rulesFrom(rulesFile());
    port = portFrom(parsed.port ?? env.ANFU_PROVIDER_SIM_PORT);
    const level = parsed['log-level'] ?? 'info';
    if (!['info', 'warn', 'error', 'silent'].includes(level))
      throw new RangeError('--log-level must be info, warn, error or silent');
    log = pino({ level, base: { service: 'provider-sim' } }, pino.destination({ fd: 1, sync: true }));
  } catch (error) {
    process.stderr.write(
      `anfu provider-sim: ${error instanceof Error ? error.message : String(error)}\n\n${providerSimUsage}`,
    );
    return 2;
  }
  const server = await startProviderSim({ port, keys, rules, log });
  log.info({ port: server.port }, 'listening');
  process.on('SIGHUP', () => {
    try {
      server.configure(rulesFrom(rulesFile()));
      log.info('rules reloaded');
    } catch (error) {
      log.error(
        { error: error instanceof Error ? error.message : String(error) },
        'rules not reloaded, the previous rules stay',
      );
    }
  });
  return new Promise((resolve) => {
    const stop = (): void => void server.close().then(() => resolve(0));
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
}
