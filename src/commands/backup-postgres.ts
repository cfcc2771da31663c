// `anfu backup` and `anfu restore` on a PostgreSQL store: pgBackRest does the work (src/backup/pgbackrest.ts).
// Where the database lives comes from the environment, since only the database host knows it:
// ANFU_PG_DATA_DIR (required), ANFU_PG_SOCKET_DIR (default /var/run/postgresql), ANFU_PG_OS_USER
// (default postgres); the port is the database URL's.
import { join } from 'node:path';
import type { Config } from '../config.ts';
import { loadKek } from '../crypto/index.ts';
import {
  BackupError, archiveCommandOf, createStanza, pgBackup, pgBackupList, pgRestore, pgVerify, writePgBackRestConfig,
  type PgBackRestSetup, type PgBackupKind,
} from '../backup/index.ts';

const print = (text: string): void => void process.stdout.write(`${text}\n`);
const kinds: Readonly<Record<string, PgBackupKind>> = { full: 'full', incremental: 'incr', differential: 'diff' };

export function postgresSetup(config: Config, values: { dir?: string; 'second-dir'?: string }): PgBackRestSetup {
  const dataDir = process.env.ANFU_PG_DATA_DIR;
  if (dataDir === undefined || dataDir === '') throw new BackupError('backup_target_unusable', 'set ANFU_PG_DATA_DIR to the PostgreSQL data directory');
  const port = Number(new URL(config.databaseUrl ?? 'postgres://x').port || 5432);
  const primary = values.dir ?? join(config.dataDir, 'backups', 'pgbackrest');
  return {
    configDir: join(primary, 'config'), stanza: 'anfu', repoPaths: [join(primary, 'repo'), ...(values['second-dir'] === undefined ? [] : [values['second-dir']])],
    pgDataDir: dataDir, pgPort: port, pgSocketDir: process.env.ANFU_PG_SOCKET_DIR ?? '/var/run/postgresql',
    osUser: process.env.ANFU_PG_OS_USER ?? 'postgres', retentionFull: 2,
  };
}

/** `anfu backup setup|full|incremental|differential|list|verify` on PostgreSQL. */
export async function postgresBackup(config: Config, action: string, values: { dir?: string; 'second-dir'?: string }): Promise<number> {
  const setup = postgresSetup(config, values);
  if (action === 'setup') {
    writePgBackRestConfig(setup, loadKek(config));
    print(`pgBackRest configured in ${setup.configDir}. Add to postgresql.conf, restart, then run \`anfu backup check\`:`);
    print(`  wal_level = replica\n  archive_mode = on\n  archive_command = '${archiveCommandOf(setup)}'`);
    return 0;
  }
  if (action === 'check') {
    await createStanza(setup);
    print('stanza created and WAL archiving checked');
    return 0;
  }
  const kind = kinds[action];
  if (kind !== undefined) {
    print(JSON.stringify(await pgBackup(setup, kind), null, 2));
    return 0;
  }
  if (action === 'list') {
    for (const b of await pgBackupList(setup)) print(`${b.label}  ${b.type.padEnd(5)} ${new Date(b.stoppedAt).toISOString()}  prior ${b.prior ?? '-'}`);
    return 0;
  }
  if (action === 'verify') {
    const problems = await pgVerify(setup);
    print(JSON.stringify({ ok: problems.length === 0, problems }, null, 2));
    return problems.length === 0 ? 0 : 1;
  }
  return 2;
}

/** `anfu restore --into NEW_DATA_DIR [--to TIME|LABEL]` on PostgreSQL: a new data directory, never the live one. */
export async function postgresRestore(config: Config, values: { dir?: string; 'second-dir'?: string; into?: string; to?: string }): Promise<number> {
  const setup = postgresSetup(config, values);
  const into = values.into ?? '';
  const to = values.to;
  const latest = (await pgBackupList(setup)).at(-1)?.label ?? '';
  const point = to === undefined ? { label: latest } : /^\d{8}-\d{6}F/.test(to) ? { label: to } : { at: Date.parse(to) };
  if ('at' in point && !Number.isFinite(point.at)) throw new BackupError('backup_not_found', `--to ${JSON.stringify(to)} is neither a time nor a backup label`);
  const chosen = await pgRestore(setup, point, into, Date.now());
  print(`restored from ${chosen.label} into ${into}: start PostgreSQL on it, then run \`anfu verify\` and \`anfu verify-audit\` against it`);
  return 0;
}
