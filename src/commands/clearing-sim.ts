// `anfu clearing-sim`: the clearing-house / settlement-bank simulator as its own process (ISO 20022
// over loopback HTTP, src/clearing/sim). Prints {"msg":"listening","port":…} once it accepts
// requests; SIGHUP re-reads the rules file; SIGTERM/SIGINT stop it. Refused under ANFU_ENV=production.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { SimBank, parseSimRules, startClearingSim } from '../clearing/index.ts';

export const clearingSimUsage = `usage: anfu clearing-sim --rules FILE [--port N] [--date YYYY-MM-DD]

  --rules FILE   JSON: { "account", "currency", "opening", "rules": [{ "match": {…}, "action": … }] } (docs/banks.md)
  --port N       HTTP port on 127.0.0.1 (default 8620; 0 picks a free one)
  --date D       the bank's business date (default today, UTC)
`;

function readRules(file: string): ReturnType<typeof parseSimRules> {
  // eslint-disable-next-line security/detect-non-literal-fs-filename -- the operator names the rules file
  return parseSimRules(JSON.parse(readFileSync(file, 'utf8')) as unknown);
}

export async function clearingSimCommand(args: string[]): Promise<number> {
  const env = process.env;
  if (env.ANFU_ENV === 'production' || (env.ANFU_ENV === undefined && env.NODE_ENV === 'production')) {
    process.stderr.write(
      'anfu clearing-sim: refused with ANFU_ENV=production — the simulator is for development and tests only\n',
    );
    return 2;
  }
  let values: { rules?: string; port?: string; date?: string; help?: boolean };
  let bank: SimBank;
  try {
    values = parseArgs({
      args,
      options: {
        rules: { type: 'string' },
        port: { type: 'string' },
        date: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }).values;
    if (values.help === true) {
      process.stdout.write(clearingSimUsage);
      return 0;
    }
    if (values.rules === undefined) throw new RangeError('--rules FILE is required');
    const date = values.date ?? new Date().toISOString().slice(0, 10);
    if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) throw new RangeError('--date wants YYYY-MM-DD');
    bank = new SimBank(readRules(values.rules), date);
  } catch (error) {
    process.stderr.write(
      `anfu clearing-sim: ${error instanceof Error ? error.message : String(error)}\n\n${clearingSimUsage}`,
    );
    return 2;
  }
  const log = (msg: string, extra: Record<string, unknown> = {}): void =>
    void process.stdout.write(`${JSON.stringify({ service: 'clearing-sim', msg, ...extra })}\n`);
  const port = values.port === undefined ? 8620 : Number(values.port);
  const sim = await startClearingSim({ port, bank, log });
  log('listening', { port: sim.port });
  const rulesFile = values.rules;
  process.on('SIGHUP', () => {
    try {
      bank.configure(readRules(rulesFile));
      log('rules reloaded');
    } catch (error) {
      log('rules not reloaded, the previous rules stay', {
        error: error instanceof Error ? error.message : String(error),
      });
    }
  });
  return new Promise((resolve) => {
    const stop = (): void => void sim.close().then(() => resolve(0));
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
}
