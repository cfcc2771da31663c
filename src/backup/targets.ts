/* eslint-disable security/detect-non-literal-fs-filename -- target directories come from operator configuration; file names are checked */
// Where backups are kept. A target stores named files; a file becomes visible under its name only
// when it is complete (written as `.partial`, fsynced, renamed), and a backup is complete only when
// its manifest is, which is written last. A killed backup therefore leaves `.partial` files that no
// listing counts and the next run removes. The directory target is the one built; the interface is
// what a remote object store would implement.
import { closeSync, copyFileSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { BackupError } from './errors.ts';

export interface BackupTarget {
  readonly name: string;
  /** A local path to write `file` to before `commit` makes it visible. */
  stagingPath(file: string): string;
  commit(file: string): void;
  /** Copies a committed file of another target into this one (staged, then committed). */
  copyFrom(source: BackupTarget, file: string): void;
  /** A local path to read a committed file from, or undefined when this target lacks it. */
  pathOf(file: string): string | undefined;
  list(): string[];
  remove(file: string): void;
  /** Removes files a killed backup left behind. */
  removeStaged(): void;
}

const fileName = /^[A-Za-z0-9_.-]{1,200}$/;

function checkedName(file: string): string {
  if (!fileName.test(file) || file.endsWith('.partial')) throw new Error(`bad backup file name ${JSON.stringify(file)}`);
  return file;
}

function fsyncPath(path: string): void {
  const fd = openSync(path, 'r');
  try { fsyncSync(fd); } finally { closeSync(fd); }
}

export function directoryTarget(name: string, dir: string): BackupTarget {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const probe = join(dir, '.write-probe.partial');
    closeSync(openSync(probe, 'w', 0o600));
    rmSync(probe);
  } catch (error) {
    throw new BackupError('backup_target_unusable', `${name} target ${dir}: ${(error as NodeJS.ErrnoException).code ?? 'cannot write'}`);
  }
  const target: BackupTarget = {
    name,
    stagingPath: (file) => join(dir, `${checkedName(file)}.partial`),
    commit(file) {
      const staged = target.stagingPath(file);
      fsyncPath(staged);
      renameSync(staged, join(dir, checkedName(file)));
      fsyncPath(dir);
    },
    copyFrom(source, file) {
      const from = source.pathOf(file);
      if (from === undefined) throw new BackupError('backup_chain_broken', `${file} is missing on target ${source.name}`);
      copyFileSync(from, target.stagingPath(file));
      target.commit(file);
    },
    pathOf(file) {
      const path = join(dir, checkedName(file));
      try {
        return statSync(path).isFile() ? path : undefined;
      } catch {
        return undefined;
      }
    },
    list: () => readdirSync(dir).filter((f) => fileName.test(f) && !f.endsWith('.partial')).sort(),
    remove: (file) => rmSync(join(dir, checkedName(file)), { force: true }),
    removeStaged() {
      for (const f of readdirSync(dir)) if (f.endsWith('.partial')) rmSync(join(dir, f), { force: true });
    },
  };
  return target;
}

export function readTargetFile(target: BackupTarget, file: string): string | undefined {
  const path = target.pathOf(file);
  return path === undefined ? undefined : readFileSync(path, 'utf8');
}
