// `anfu migrate`, `anfu verify`, `anfu tokens create` and `anfu config`: the commands that work on
// the store (or the settings) directly, without a running server.
import { issueApiToken, operatorRoles, type OperatorRole } from '../access/index.ts';
import { settings, type Config } from '../config.ts';
import { migrate } from '../store/index.ts';
import { jsonOf, withLedger, withStore } from './with-store.ts';

export async function migrateCommand(config: Config): Promise<number> {
  const report = await withStore(config, (store) => migrate(store));
  const current = `schema is current (version ${report.current})`;
  console.log(report.applied.length === 0 ? current : `applied: ${report.applied.join(', ')}`);
  return 0;
}

export async function verifyCommand(config: Config): Promise<number> {
  const report = await withLedger(config, (ledger) => ledger.verify());
  console.log(jsonOf(report, 2));
  return report.ok ? 0 : 1;
}

export async function tokensCommand(
  config: () => Config,
  args: readonly string[],
  values: Record<string, unknown>,
): Promise<number> {
  if (args[0] !== 'create' || typeof values.name !== 'string' || !operatorRoles.includes(values.role as OperatorRole)) {
    console.error(`usage: anfu tokens create --name NAME --role ${operatorRoles.join('|')}`);
    return 2;
  }
  const input = { name: values.name, role: values.role as OperatorRole };
  const issued = await withStore(config(), (store) => issueApiToken(store, input, Date.now()));
  console.log(`token ${issued.id} (shown once, store it safely):\n${issued.token}`);
  return 0;
}

export function configCommand(): number {
  for (const [name, fallback, meaning] of settings) console.log(`${name.padEnd(40)} ${fallback.padEnd(14)} ${meaning}`);
  return 0;
}
