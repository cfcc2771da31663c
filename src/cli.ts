// The `anfu` command: parses the flags and dispatches to one of src/commands/.
import { parseArgs } from 'node:util';
import { loadConfig, ConfigError, type Config } from './config.ts';
import { auditFlagOptions } from './commands/audit-flags.ts';

const usage = `anfu — secure electronic payment platform

usage: anfu <command> [options]

commands:
  serve [--demo]            run the HTTPS API (migrations applied first; --demo seeds demo data once)
  migrate                   apply database migrations and exit
  demo                      seed the demo data (once) and print the account ids
  verify                    prove the ledger: journal sums to balances, money conserved per currency
  tokens create --operator O --name N [--days D] | list [--all] | revoke ID|--all
                            operator API tokens: issue (printed once, expires), list, revoke
  operators create-admin --name N [--force] | enrolment-code --name N
                            bootstrap an administrator (a one-time enrolment code is printed)
  keys list | rotate --purpose P | rewrap [--purpose P]   data keys: list, rotate, re-encrypt and retire
  config                    print the configuration reference
  verify-audit --file F --public-key P   verify an exported audit log offline (no --file: the live database)
  export-audit --out F [--public-key-out P]   export the audit log with checkpoints and public key
  audit-proof --seq N [--tree-size M] | --first A --second B   inclusion or consistency proof
  bench <ledger|crypto|…> [--store sqlite|postgres] [--json]   run a benchmark, print JSON
  risk backtest --from T --to T [--version N|--file F]   replay a rule set over stored decisions
  bank-sim [--port N] [--rules FILE] …   run the card-issuing bank simulator (ISO 8583 on 127.0.0.1)
  provider-sim [--port N] --key ID=SECRET …   run the SMS gateway + identity provider simulator (HTTP, 127.0.0.1)
  clearing-sim --rules FILE [--port N]   run the clearing house / settlement bank simulator (ISO 20022, 127.0.0.1)
  clearing partners|add-partner|run|status|notifications|report …   clearing partners and runs (docs/banks.md)
  settle merchants --report MERCHANT_ID   a settlement report (runs are proposed via the API, two operators)
  reconcile --statement FILE --partner ID   import and reconcile a camt.053
  prove-instruction PAYMENT_ID [DIR]   export a signed payment instruction for an offline openssl check
  backup full|incremental|differential|list|test|prune …   encrypted SQLite backups (docs/OPERATIONS.md)
  restore --into FILE [--to TIME|BACKUP_ID]   rebuild a database from backups into a new file, then verify it
  cluster up|down|status    local HA cluster: etcd, 3 × PostgreSQL under Patroni, haproxy, API nodes
  sanctions load FILE… | search NAME   load OFAC SDN/ALT/ADD CSV or UN XML lists; search the lists in force
  sanctions rescreen | rescreens      re-screen every customer and merchant now; list the runs
  simulate [--seed N] [--events N] [--attacks N] [--json]   seeded attack traffic through the API; rule report
  aml report [--date D] | monitor | str CASE_ID   large-value report files, monitor run, suspicious-transaction report
  assess [--json|--html F]  security self-assessment (six indicators, JR/T 0122 chapters); exit 1 on a failed row
  assess attest CONTROL --statement TEXT --days N   attest a control no live check sees; assess attestations lists
  report ops --from D --to D [--granularity day|week] [--format json|csv]   operational report (R9.4)

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
  operator: { type: 'string' },
  days: { type: 'string' },
  all: { type: 'boolean' },
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

type Command = (config: () => Config, args: string[], values: Record<string, unknown>) => Promise<number>;

// Each command lives in src/commands/ and is loaded only when run (the bank simulator starts without
// the server's modules); this table only dispatches.
const serving = () => import('./commands/serve.ts');
const onStore = () => import('./commands/store-commands.ts');
const auditing = () => import('./commands/audit.ts');
const clearingCommands = () => import('./commands/clearing.ts');
const commands: Record<string, Command> = {
  serve: async (config, _args, values) => (await serving()).serveCommand(config(), values),
  migrate: async (config) => (await onStore()).migrateCommand(config()),
  demo: async (config) => (await serving()).demoCommand(config()),
  verify: async (config) => (await onStore()).verifyCommand(config()),
  tokens: async (config, args, values) => (await import('./commands/tokens.ts')).tokensCommand(config(), args, values),
  keys: async (config, args, values) => (await import('./commands/keys.ts')).keysCommand(config(), args, values),
  operators: async (config, args, values) => {
    return (await import('./commands/operators.ts')).operatorsCommand(config(), args, values);
  },
  config: async () => (await onStore()).configCommand(),
  'bank-sim': async (_config, args) => (await import('./commands/bank-sim.ts')).bankSimCommand(args),
  'provider-sim': async (_config, args) => (await import('./commands/provider-sim.ts')).providerSimCommand(args),
  'clearing-sim': async (_config, args) => (await import('./commands/clearing-sim.ts')).clearingSimCommand(args),
  clearing: async (config, args) => (await clearingCommands()).clearingCommand('clearing', config, args),
  settle: async (config, args) => (await clearingCommands()).clearingCommand('settle', config, args),
  reconcile: async (config, args) => (await clearingCommands()).clearingCommand('reconcile', config, args),
  'prove-instruction': async (config, args) => {
    return (await import('./commands/prove-instruction.ts')).proveInstructionCommand(config(), args);
  },
  'verify-audit': async (config, _args, values) => (await auditing()).verifyAuditCommand(config, values),
  'export-audit': async (config, _args, values) => (await auditing()).exportAuditCommand(config, values),
  'audit-proof': async (config, _args, values) => (await auditing()).auditProofCommand(config, values),
  bench: async (_config, args) => (await import('./commands/bench.ts')).benchCommand(args),
  backup: async (_config, args) => (await import('./commands/backup.ts')).backupCommand('backup', args),
  restore: async (_config, args) => (await import('./commands/backup.ts')).backupCommand('restore', args),
  cluster: async (_config, args) => (await import('./commands/cluster.ts')).clusterCommand(args),
  risk: async (_config, args) => (await import('./commands/risk.ts')).riskCommand(args),
  simulate: async (config, args) => (await import('./commands/simulate.ts')).simulateCommand(config(), args),
  sanctions: async (config, args) => (await import('./commands/compliance.ts')).sanctionsCommand(config(), args),
  aml: async (config, args) => (await import('./commands/compliance.ts')).amlCommand(config(), args),
  assess: async (config, args) => (await import('./commands/operations.ts')).assessCommand(config(), args),
  report: async (config, args) => (await import('./commands/operations.ts')).reportCommand(config(), args),
};

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const handler = command === undefined ? undefined : commands[command];
  if (handler === undefined || command === 'help') {
    console.log(usage);
    return command === undefined || command === 'help' ? 0 : 2;
  }
  const ownFlags = ['bench', 'bank-sim', 'provider-sim', 'backup', 'restore', 'cluster', 'assess', 'report', 'risk'];
  ownFlags.push('sanctions', 'aml', 'clearing-sim', 'clearing', 'settle', 'reconcile', 'simulate');
  if (ownFlags.includes(command ?? '')) return handler(() => loadConfig(), rest, {});
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
