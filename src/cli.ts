// The `anfu` command: serve, migrate, demo, verify, tokens, config, bench.
import { parseArgs } from 'node:util';
import { loadConfig, settings, ConfigError, type Config } from './config.ts';
import { migrate, openStore, type Store } from './store/index.ts';
import { Ledger } from './ledger/index.ts';
import { issueApiToken, operatorRoles, type OperatorRole } from './access/index.ts';
import { describeDemo, seedDemo } from './demo/seed.ts';
import { serve } from './serve.ts';
import { backupCommand } from './backup/backup-command.ts';
import { auditFlagOptions, auditProofCommand, exportAuditCommand, verifyAuditCommand } from './audit/audit-command.ts';
import { bankSimCommand } from './banks/index.ts';
import { keysCommand } from './crypto/keys-command.ts';
import { proveInstructionCommand } from './payments/prove-instruction-command.ts';
import { operatorsCommand } from './access/operators-command.ts';

const usage = `anfu — secure electronic payment platform

usage: anfu <command> [options]

commands:
  serve [--demo]            run the HTTPS API (migrations applied first; --demo seeds demo data once)
  migrate                   apply database migrations and exit
  demo                      seed the demo data (once) and print the account ids
  verify                    prove the ledger: journal sums to balances, money conserved per currency
  tokens create --name N --role R   issue an operator API token (printed once)
  operators create-admin --name N [--force]   create an administrator (password + TOTP printed once)
  keys list | rotate --purpose P | rewrap [--purpose P]   data keys: list, rotate, re-encrypt and retire
  config                    print the configuration reference
  verify-audit --file F --public-key P   verify an exported audit log offline (no --file: the live database)
  export-audit --out F [--public-key-out P]   export the audit log with checkpoints and public key
  audit-proof --seq N [--tree-size M] | --first A --second B   inclusion or consistency proof
  bench <ledger|crypto|…> [--store sqlite|postgres] [--json]   run a benchmark, print JSON
  bank-sim [--port N] [--rules FILE] …   run the card-issuing bank simulator (ISO 8583 on 127.0.0.1)
  prove-instruction PAYMENT_ID [DIR]   export a signed payment instruction for an offline openssl check
  backup full|incremental|differential|list|test|prune …   encrypted SQLite backups (anfu backup --help)
  restore --into FILE [--to TIME|BACKUP_ID]   rebuild a database from backups into a new file, then verify it

options (each also an environment variable, see 'anfu config'):
  --data-dir DIR  --host HOST  --port PORT  --database-url URL  --log-level LEVEL
`;

const flagOptions = {
  'data-dir': { type: 'string' },
  host: { type: 'string' },
  port: { type: 'string' },
  'database-url': { type: 'string' },
  'log-level': { type: 'string' },
  demo: { type: 'boolean' },
  name: { type: 'string' },
  role: { type: 'string' },
  force: { type: 'boolean' },
  purpose: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  ...auditFlagOptions,
} as const;

function configFrom(values: Record<string, unknown>): Config {
  const flags: Record<string, string | undefined> = {};
  const map: Record<string, string> = { 'data-dir': 'ANFU_DATA_DIR', host: 'ANFU_HOST', port: 'ANFU_PORT', 'database-url': 'ANFU_DATABASE_URL', 'log-level': 'ANFU_LOG_LEVEL' };
  for (const [flag, env] of Object.entries(map)) if (typeof values[flag] === 'string') flags[env] = values[flag] as string;
  return loadConfig(process.env, flags);
}

async function withStore<T>(config: Config, work: (store: Store) => Promise<T>): Promise<T> {
  const store = openStore({ databaseUrl: config.databaseUrl, sqlitePath: config.sqlitePath, poolSize: config.databasePoolSize });
  try {
    await migrate(store);
    return await work(store);
  } finally {
    await store.close();
  }
}

async function withLedger<T>(config: Config, work: (ledger: Ledger, store: Store) => Promise<T>): Promise<T> {
  return withStore(config, async (store) => {
    const ledger = new Ledger({ store, transferBatchMax: config.transferBatchMax });
    try {
      return await work(ledger, store);
    } finally {
      await ledger.close();
    }
  });
}

const commands: Record<string, (config: () => Config, args: string[], values: Record<string, unknown>) => Promise<number>> = {
  async serve(config, _args, values) {
    await serve(config(), { demo: values.demo === true });
    return -1; // keeps running
  },
  async migrate(config) {
    const report = await withStore(config(), (store) => migrate(store));
    console.log(report.applied.length === 0 ? `schema is current (version ${report.current})` : `applied: ${report.applied.join(', ')}`);
    return 0;
  },
  async demo(config) {
    // The demo registers real customers and a merchant, so it needs the whole app, not a listener.
    const running = await serve({ ...config(), port: 0, host: '127.0.0.1' }, { demo: false, quiet: true });
    try {
      console.log(describeDemo(await seedDemo(running.context)));
    } finally {
      await running.close();
    }
    return 0;
  },
  async verify(config) {
    const report = await withLedger(config(), (ledger) => ledger.verify());
    console.log(JSON.stringify(report, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2));
    return report.ok ? 0 : 1;
  },
  async tokens(config, args, values) {
    if (args[0] !== 'create' || typeof values.name !== 'string' || !operatorRoles.includes(values.role as OperatorRole)) {
      console.error(`usage: anfu tokens create --name NAME --role ${operatorRoles.join('|')}`);
      return 2;
    }
    const issued = await withStore(config(), (store) => issueApiToken(store, { name: values.name as string, role: values.role as OperatorRole }, Date.now()));
    console.log(`token ${issued.id} (shown once, store it safely):\n${issued.token}`);
    return 0;
  },
  keys: (config, args, values) => keysCommand(config(), args, values),
  operators: (config, args, values) => operatorsCommand(config(), args, values),
  async config() {
    for (const [name, fallback, meaning] of settings) console.log(`${name.padEnd(40)} ${fallback.padEnd(14)} ${meaning}`);
    return 0;
  },
  'bank-sim': (_config, args) => bankSimCommand(args),
  backup: (_config, args) => backupCommand('backup', args),
  restore: (_config, args) => backupCommand('restore', args),
  'prove-instruction': (config, args) => proveInstructionCommand(config(), args),
  'verify-audit': (config, _args, values) => verifyAuditCommand(config, values),
  'export-audit': (config, _args, values) => exportAuditCommand(config, values),
  'audit-proof': (config, _args, values) => auditProofCommand(config, values),
  async bench(_config, args) {
    const name = args[0] ?? '';
    if (!/^[a-z][a-z0-9-]{0,30}$/.test(name)) {
      console.error('usage: anfu bench <name> [options]');
      return 2;
    }
    const module = (await import(`../bench/${name}.ts`)) as { run(args: string[]): Promise<unknown> };
    const result = await module.run(args.slice(1));
    console.log(JSON.stringify(result, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), args.includes('--json') ? 0 : 2));
    return 0;
  },
};

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const handler = command === undefined ? undefined : commands[command];
  if (handler === undefined || command === 'help') {
    console.log(usage);
    return command === undefined || command === 'help' ? 0 : 2;
  }
  if (command === 'bench' || command === 'bank-sim' || command === 'backup' || command === 'restore') return handler(() => loadConfig(), rest, {});
  const { values, positionals } = parseArgs({ args: rest, options: flagOptions, allowPositionals: true, strict: true });
  if (values.help === true) {
    console.log(usage);
    return 0;
  }
  return handler(() => configFrom(values), positionals, values);
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (error: unknown) => {
    if (error instanceof ConfigError) console.error(`anfu: ${error.message}`);
    else if (error instanceof TypeError && (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) console.error(`anfu: ${error.message}\n\n${usage}`);
    else console.error(`anfu: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
