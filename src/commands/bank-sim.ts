// `anfu bank-sim`: the card-issuing bank simulator as its own process. Prints one JSON log line
// {"msg":"listening","port":…} on stdout once it accepts connections; SIGHUP re-reads the rules
// file; SIGTERM or SIGINT stop it.
import { randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import pino, { type Logger } from 'pino';
import { declineCodes, Issuer, parseBankSimRules, startBankSim, type BankSimRules, type DeclineCode } from '../banks/index.ts';

export const bankSimUsage = `usage: anfu bank-sim [options]

  --port N                 ISO 8583 port on 127.0.0.1 (ANFU_BANK_SIM_PORT, default 8583; 0 picks a free one)
  --control-port N         HTTP control port on 127.0.0.1: GET /state, PUT /rules (ANFU_BANK_SIM_CONTROL_PORT; off when unset)
  --rules FILE             JSON rules (ANFU_BANK_SIM_RULES); SIGHUP re-reads it
  --decline SUFFIX=CODE    decline PANs ending in SUFFIX with CODE (${declineCodes.join(' ')}); repeatable
  --delay-ms N             answer every message N ms late (decided at once)
  --drop-every N           leave every Nth request unanswered (processed, answer lost)
  --unknown-cards MODE     approve (default) or decline unlisted Luhn-valid cards
  --log-level LEVEL        info (default), warn, error, silent
`;

const options = {
  port: { type: 'string' },
  'control-port': { type: 'string' },
  rules: { type: 'string' },
  decline: { type: 'string', multiple: true },
  'delay-ms': { type: 'string' },
  'drop-every': { type: 'string' },
  'unknown-cards': { type: 'string' },
  'log-level': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const authorisationAlphabet = '0123456789ABCDEFGHJKLMNPQRSTUVWXYZ';
function authorisationCode(): string {
  let code = '';
  for (let i = 0; i < 6; i += 1) code += authorisationAlphabet[randomInt(authorisationAlphabet.length)];
  return code;
}

function portFrom(value: string | undefined, name: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  if (!/^[0-9]{1,5}$/.test(value) || Number(value) > 65535) throw new RangeError(`${name} must be a port number 0..65535`);
  return Number(value);
}

function readRulesFile(file: string): Record<string, unknown> {
  // eslint-disable-next-line security/detect-non-literal-fs-filename -- the operator names the rules file
  const text = readFileSync(file, 'utf8');
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    // V8's message quotes the text around the error, which may be a card number.
    throw new RangeError(`rules file ${file} is not valid JSON`);
  }
}

/** The rules file (if any) with the command-line flags layered on top. */
function rulesFrom(values: ReturnType<typeof parse>['values'], file: string | undefined): BankSimRules {
  const document = file === undefined ? {} : readRulesFile(file);
  const declines = [...((document.declines as unknown[] | undefined) ?? [])];
  for (const entry of values.decline ?? []) {
    const [panSuffix, code] = entry.split('=');
    if (!declineCodes.includes(code as DeclineCode)) throw new RangeError(`--decline wants SUFFIX=CODE with CODE one of ${declineCodes.join(' ')}`);
    declines.push({ panSuffix, code });
  }
  const merged: Record<string, unknown> = { ...document, declines };
  if (values['delay-ms'] !== undefined) merged.delays = [...((document.delays as unknown[] | undefined) ?? []), { ms: Number(values['delay-ms']) }];
  if (values['drop-every'] !== undefined) merged.dropEvery = Number(values['drop-every']);
  if (values['unknown-cards'] !== undefined) merged.unknownCards = values['unknown-cards'];
  return parseBankSimRules(merged);
}

function parse(args: string[]) {
  return parseArgs({ args, options, allowPositionals: false, strict: true });
}

function logLevel(value: string | undefined): string {
  const level = value ?? process.env.ANFU_BANK_SIM_LOG_LEVEL ?? 'info';
  if (!['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'].includes(level)) throw new RangeError('--log-level must be info, warn, error or silent');
  return level;
}

/** Runs until SIGTERM or SIGINT; resolves with the exit code. */
export async function bankSimCommand(args: string[]): Promise<number> {
  let values: ReturnType<typeof parse>['values'];
  let rules: BankSimRules;
  let log: Logger;
  const env = process.env;
  const rulesFile = (): string | undefined => values.rules ?? env.ANFU_BANK_SIM_RULES;
  try {
    values = parse(args).values;
    if (values.help === true) {
      process.stdout.write(bankSimUsage);
      return 0;
    }
    rules = rulesFrom(values, rulesFile());
    log = pino({ level: logLevel(values['log-level']), base: { service: 'bank-sim' } }, pino.destination({ fd: 1, sync: true }));
  } catch (error) {
    process.stderr.write(`anfu bank-sim: ${error instanceof Error ? error.message : String(error)}\n\n${bankSimUsage}`);
    return 2;
  }
  const issuer = new Issuer(rules, authorisationCode);
  const port = portFrom(values.port ?? env.ANFU_BANK_SIM_PORT, '--port') ?? 8583;
  const controlPort = portFrom(values['control-port'] ?? env.ANFU_BANK_SIM_CONTROL_PORT, '--control-port');
  const server = await startBankSim({ port, controlPort, issuer, log });
  log.info({ port: server.port, controlPort: server.controlPort }, 'listening');
  process.on('SIGHUP', () => {
    try {
      server.configure(rulesFrom(values, rulesFile()));
      log.info('rules reloaded');
    } catch (error) {
      log.error({ error: error instanceof Error ? error.message : String(error) }, 'rules not reloaded, the previous rules stay');
    }
  });
  return new Promise((resolve) => {
    const stop = (): void => void server.close().then(() => resolve(0));
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
}
