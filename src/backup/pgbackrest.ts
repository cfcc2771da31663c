/* eslint-disable security/detect-non-literal-fs-filename -- paths come from operator configuration */
// PostgreSQL backups through pgBackRest (Debian's package): full, differential and incremental
// backups with WAL archiving and point-in-time restore, into an encrypted repository and a second
// one. Anfu writes the configuration, runs pgBackRest as the database's OS user, and reads its JSON.
// The repository cipher is AES-256-CBC (the only one pgBackRest has), keyed by a pass derived from
// the KEK; under the `gm` profile that is the one place AES protects data at rest, and the manifests
// Anfu keeps beside it are MAC'd with HMAC-SM3 under the KEK (docs/OPERATIONS.md says what protects what).
import { execFile } from 'node:child_process';
import { chownSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import type { Kek } from '../crypto/index.ts';
import { BackupError } from './errors.ts';

const run = promisify(execFile);

export interface PgBackRestSetup {
  /** Folder holding pgbackrest.conf (and the cipher include, mode 0600, owned by the database user). */
  readonly configDir: string;
  readonly stanza: string;
  /** Repository paths: the first is primary, a second gets every backup and WAL segment too. */
  readonly repoPaths: readonly string[];
  readonly pgDataDir: string;
  readonly pgPort: number;
  readonly pgSocketDir: string;
  /** The OS user that owns the data directory; pgBackRest runs as it. */
  readonly osUser: string;
  readonly retentionFull: number;
}

export function cipherPassOf(kek: Kek): string {
  return kek.wrappingKeyBytes('sha256', 'pgbackrest-repository-cipher').toString('base64');
}

export function configPathOf(setup: PgBackRestSetup): string {
  return join(setup.configDir, 'pgbackrest.conf');
}

/** The archive_command PostgreSQL must run so every WAL segment reaches the repositories. */
export function archiveCommandOf(setup: PgBackRestSetup): string {
  return `pgbackrest --config=${configPathOf(setup)} --stanza=${setup.stanza} archive-push %p`;
}

function ownerIds(path: string): { uid: number; gid: number } {
  const stat = statSync(path);
  return { uid: stat.uid, gid: stat.gid };
}

/** Writes the configuration; the cipher pass goes only into a 0600 file owned by the database user. */
export function writePgBackRestConfig(setup: PgBackRestSetup, kek: Kek): void {
  const owner = ownerIds(setup.pgDataDir);
  // Folders made on the way must let the database user through (a recursive 0700 would lock it out).
  mkdirSync(dirname(setup.configDir), { recursive: true, mode: 0o755 });
  mkdirSync(setup.configDir, { recursive: true, mode: 0o700 });
  const repos = setup.repoPaths.map((path, i) => {
    mkdirSync(path, { recursive: true, mode: 0o750 });
    chownSync(path, owner.uid, owner.gid);
    const n = i + 1;
    return [
      `repo${n}-path=${path}`,
      `repo${n}-cipher-type=aes-256-cbc`,
      `repo${n}-cipher-pass=${cipherPassOf(kek)}`,
      `repo${n}-retention-full=${setup.retentionFull}`,
    ].join('\n');
  });
  const text = [
    '[global]',
    ...repos,
    'start-fast=y',
    'compress-type=gz',
    'compress-level=3',
    'log-level-console=warn',
    'log-level-file=off',
    'archive-async=n',
    // Its own lock folder: the default /tmp/pgbackrest is shared by every stanza named `anfu` on the host.
    `lock-path=${join(setup.configDir, 'lock')}`,
    '',
    `[${setup.stanza}]`,
    `pg1-path=${setup.pgDataDir}`,
    `pg1-port=${setup.pgPort}`,
    `pg1-socket-path=${setup.pgSocketDir}`,
    '',
  ].join('\n');
  const path = configPathOf(setup);
  writeFileSync(path, text, { mode: 0o600 });
  chownSync(path, owner.uid, owner.gid);
  chownSync(setup.configDir, owner.uid, owner.gid);
}

export async function pgbackrest(
  setup: PgBackRestSetup,
  args: readonly string[],
  timeoutMs = 600_000,
): Promise<{ stdout: string; stderr: string }> {
  const command = ['pgbackrest', `--config=${configPathOf(setup)}`, `--stanza=${setup.stanza}`, ...args];
  const asUser = process.getuid?.() === 0 ? ['runuser', '-u', setup.osUser, '--', ...command] : command;
  try {
    return await run(asUser[0] ?? 'pgbackrest', asUser.slice(1), { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
  } catch (error) {
    const e = error as { stderr?: string; stdout?: string; code?: number | string };
    const said = `${e.stderr ?? ''}${e.stdout ?? ''}`.trim().split('\n').slice(-3).join(' | ');
    if (e.code === 'ENOENT')
      throw new BackupError('backup_target_unusable', 'pgbackrest is not installed (apt-get install pgbackrest)');
    throw new BackupError('backup_target_unusable', `pgbackrest ${args.at(-1) ?? ''} failed: ${said}`);
  }
}

export async function createStanza(setup: PgBackRestSetup): Promise<void> {
  await pgbackrest(setup, ['stanza-create']);
  await pgbackrest(setup, ['check']);
}

export type PgBackupKind = 'full' | 'diff' | 'incr';

export interface PgBackupInfo {
  readonly label: string;
  readonly type: PgBackupKind;
  readonly startedAt: number;
  readonly stoppedAt: number;
  readonly prior: string | null;
  readonly sizeBytes: number;
  readonly repoSizeBytes: number;
  /** Key/value notes pgBackRest keeps with the backup (Anfu's restore point and fingerprint). */
  readonly annotation: Readonly<Record<string, string>>;
}

/** Takes a backup in every repository (pgBackRest writes one repository per run). */
export async function pgBackup(setup: PgBackRestSetup, kind: PgBackupKind): Promise<PgBackupInfo> {
  for (let repo = 1; repo <= setup.repoPaths.length; repo += 1)
    await pgbackrest(setup, [`--repo=${repo}`, `--type=${kind}`, 'backup']);
  const latest = (await pgBackupList(setup)).at(-1);
  if (latest === undefined) throw new BackupError('backup_not_found', 'pgbackrest reported no backup after taking one');
  return latest;
}

interface InfoBackup {
  label: string;
  type: PgBackupKind;
  prior: string | null;
  database?: { repo?: { key?: number } };
  timestamp: { start: number; stop: number };
  info: { size: number; repository: { delta: number } };
  annotation?: Record<string, string>;
}

/** The backups of the primary repository, oldest first. */
export async function pgBackupList(setup: PgBackRestSetup): Promise<PgBackupInfo[]> {
  const { stdout } = await pgbackrest(setup, ['--repo=1', '--output=json', 'info']);
  const stanzas = JSON.parse(stdout) as Array<{ backup?: InfoBackup[] }>;
  return (stanzas[0]?.backup ?? []).map((b) => ({
    label: b.label,
    type: b.type,
    prior: b.prior,
    startedAt: b.timestamp.start * 1000,
    stoppedAt: b.timestamp.stop * 1000,
    sizeBytes: b.info.size,
    repoSizeBytes: b.info.repository.delta,
    annotation: b.annotation ?? {},
  }));
}

/**
 * pgBackRest's `verify` exits 0 even when it reports damage, so its output is read: any line that
 * names an invalid, missing or checksum-failed file is a problem.
 */
export async function pgVerify(setup: PgBackRestSetup): Promise<string[]> {
  const problems: string[] = [];
  for (let repo = 1; repo <= setup.repoPaths.length; repo += 1) {
    const { stdout, stderr } = await pgbackrest(setup, [`--repo=${repo}`, '--log-level-console=info', 'verify']);
    for (const line of `${stdout}\n${stderr}`.split('\n')) {
      if (/invalid|missing|checksum|error|corrupt/i.test(line) && !/:\s*0\b|errors?=0|no error/i.test(line))
        problems.push(`repo${repo}: ${line.trim()}`);
    }
  }
  return problems;
}

/** A backup (to its end, or replayed on to a named restore point made after it) or a point in time. */
export type PgRestorePoint = { readonly label: string; readonly restorePoint?: string } | { readonly at: number };

/** Restores into a new, empty data directory (never the live one), to a backup or a point in time. */
export async function pgRestore(
  setup: PgBackRestSetup,
  point: PgRestorePoint,
  intoDataDir: string,
  now: number,
): Promise<PgBackupInfo> {
  const backups = await pgBackupList(setup);
  let chosen: PgBackupInfo | undefined;
  if ('label' in point) chosen = backups.find((b) => b.label === point.label);
  else {
    if (point.at > now) throw new BackupError('backup_not_found', 'the requested time is in the future');
    chosen = backups.filter((b) => b.stoppedAt <= point.at).at(-1);
  }
  if (chosen === undefined)
    throw new BackupError('backup_not_found', 'no backup ends at or before the requested point');
  mkdirSync(intoDataDir, { recursive: true, mode: 0o700 });
  const owner = ownerIds(setup.pgDataDir);
  chownSync(intoDataDir, owner.uid, owner.gid);
  const target =
    'label' in point
      ? point.restorePoint === undefined
        ? ['--type=immediate', `--set=${chosen.label}`]
        : ['--type=name', `--target=${point.restorePoint}`, `--set=${chosen.label}`]
      : [
          '--type=time',
          `--target=${new Date(point.at).toISOString().replace('T', ' ').replace('Z', '+00')}`,
          `--set=${chosen.label}`,
        ];
  await pgbackrest(setup, [
    `--pg1-path=${intoDataDir}`,
    '--target-action=promote',
    '--archive-mode=off',
    ...target,
    'restore',
  ]);
  return chosen;
}
