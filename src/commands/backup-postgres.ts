// `anfu backup` and `anfu restore` on a PostgreSQL store: pgBackRest does the work (src/backup/pgbackrest.ts).
// Where the database lives comes from the environment, since only the database host knows it:
// ANFU_PG_DATA_DIR (required), ANFU_PG_SOCKET_DIR (default /var/run/postgresql), ANFU_PG_OS_USER
// (default postgres), ANFU_PG_SCRATCH_DIR (where `backup test` makes its scratch data directory; default
// the OS temporary directory); the port is the database URL's.
import { join } from 'node:path';
import type { Config } from '../config.ts';
import { loadKek } from '../crypto/index.ts';
import { openStore } from '../store/index.ts';
import {
  BackupError,
  archiveCommandOf,
  createStanza,
  markPgBackup,
  pgBackup,
  pgBackupList,
  pgRestore,
  pgRestoreTest,
  pgVerify,
  writePgBackRestConfig,
  type PgBackRestSetup,
  type PgBackupKind,
} from '../backup/index.ts';

const print = (text: string): void => void process.stdout.write(`${text}\n`);
const kinds: Readonly<Record<string, PgBackupKind>> = { full: 'full', incremental: 'incr', differential: 'diff' };

export function postgresSetup(config: Config, values: Targets): PgBackRestSetup {
  const dataDir = process.env.ANFU_PG_DATA_DIR;
  if (dataDir === undefined || dataDir === '') {
    throw new BackupError('backup_target_unusable', 'set ANFU_PG_DATA_DIR to the PostgreSQL data directory');
  }
  const port = Number(new URL(config.databaseUrl ?? 'postgres://x').port || 5432);
  const primary = values.dir ?? join(config.dataDir, 'backups', 'pgbackrest');
  return {
    configDir: join(primary, 'config'),
    stanza: 'anfu',
    repoPaths: [join(primary, 'repo'), ...(values['second-dir'] === undefined ? [] : [values['second-dir']])],
    pgDataDir: dataDir,
    pgPort: port,
    pgSocketDir: process.env.ANFU_PG_SOCKET_DIR ?? '/var/run/postgresql',
    osUser: process.env.ANFU_PG_OS_USER ?? 'postgres',
    retentionFull: 2,
  };
}

/** The database name in the URL (the restored scratch cluster holds it under the same name). */
export function databaseNameOf(url: string | undefined): string {
  return decodeURIComponent(new URL(url ?? 'postgres://x/postgres').pathname.slice(1)) || 'postgres';
}

export function scratchRootOf(): { scratchRoot?: string } {
  const dir = process.env.ANFU_PG_SCRATCH_DIR;
  return dir === undefined || dir === '' ? {} : { scratchRoot: dir };
}

/** `anfu backup setup|full|incremental|differential|list|verify|test` on PostgreSQL. */
type Targets = { dir?: string; 'second-dir'?: string };

/** What the CLI around us provides: the audit key, and a way to record the outcome in the audit log. */
export interface PostgresCli {
  publicKeyPem(): Promise<string>;
  audited(action: string, ok: boolean, details: Record<string, unknown>): Promise<void>;
}

async function backupAndMark(config: Config, setup: PgBackRestSetup, kind: PgBackupKind): Promise<unknown> {
  const info = await pgBackup(setup, kind);
  const store = openStore({ databaseUrl: config.databaseUrl, sqlitePath: '' });
  try {
    return { ...info, fingerprint: await markPgBackup(setup, store, info.label) };
  } finally {
    await store.close();
  }
}

async function restoreTest(config: Config, setup: PgBackRestSetup, cli: PostgresCli): Promise<number> {
  const interactive = process.stderr.isTTY;
  const report = await pgRestoreTest({
    setup,
    database: databaseNameOf(config.databaseUrl),
    publicKeyPem: await cli.publicKeyPem(),
    ...scratchRootOf(),
    ...(interactive
      ? {
          progress: (step: string, done: number, total: number) =>
            process.stderr.write(`\r${step} ${done}/${total}   `),
        }
      : {}),
  });
  await cli.audited('backup.test', report.ok, {
    backupId: report.backupId,
    restore: 'pgbackrest restore into a scratch cluster',
    restorePoint: report.restorePoint,
    problems: report.problems,
  });
  print(JSON.stringify(report, null, 2));
  return report.ok ? 0 : 1;
}

export async function postgresBackup(
  config: Config,
  action: string,
  values: Targets,
  cli: PostgresCli,
): Promise<number> {
  const setup = postgresSetup(config, values);
  if (action === 'setup') {
    writePgBackRestConfig(setup, loadKek(config));
    print(`pgBackRest configured in ${setup.configDir}.`);
    print('Add to postgresql.conf, restart PostgreSQL, then run `anfu backup check`:');
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
    print(JSON.stringify(await backupAndMark(config, setup, kind), null, 2));
    return 0;
  }
  if (action === 'list') {
    for (const b of await pgBackupList(setup)) {
      print(`${b.label}  ${b.type.padEnd(5)} ${new Date(b.stoppedAt).toISOString()}  prior ${b.prior ?? '-'}`);
    }
    return 0;
  }
  if (action === 'test') return restoreTest(config, setup, cli);
  if (action === 'verify') {
    const problems = await pgVerify(setup);
    print(JSON.stringify({ ok: problems.length === 0, problems }, null, 2));
    return problems.length === 0 ? 0 : 1;
  }
  return 2;
}

/** `anfu restore --into NEW_DATA_DIR [--to TIME|LABEL]` on PostgreSQL: a new data directory, never the live one. */
type RestoreValues = Targets & { into?: string; to?: string };

export async function postgresRestore(config: Config, values: RestoreValues): Promise<number> {
  const setup = postgresSetup(config, values);
  const into = values.into ?? '';
  const to = values.to;
  const latest = (await pgBackupList(setup)).at(-1)?.label ?? '';
  const isLabel = to !== undefined && /^\d{8}-\d{6}F/.test(to);
  const point = to === undefined ? { label: latest } : isLabel ? { label: to } : { at: Date.parse(to) };
  if ('at' in point && !Number.isFinite(point.at)) {
    throw new BackupError('backup_not_found', `--to ${JSON.stringify(to)} is neither a time nor a backup label`);
  }
  const chosen = await pgRestore(setup, point, into, Date.now());
  print(`restored from ${chosen.label} into ${into}`);
  print('start PostgreSQL on it (another port), then run `anfu verify` and `anfu verify-audit` against it');
  return 0;
}
