/* eslint-disable security/detect-non-literal-fs-filename -- paths under the operator's cluster directory */
// The cluster is built from Debian's own packages; they are installed when missing (once, as root).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { postgresBinDir } from './config-files.ts';

/** A tool the cluster runs and the Debian package that provides it. */
export const clusterTools: ReadonlyArray<{ readonly command: string; readonly debianPackage: string }> = [
  { command: 'etcd', debianPackage: 'etcd-server' },
  { command: 'patroni', debianPackage: 'patroni' },
  { command: 'patronictl', debianPackage: 'patroni' },
  { command: 'haproxy', debianPackage: 'haproxy' },
  { command: `${postgresBinDir}/postgres`, debianPackage: 'postgresql-15' },
];

function present(command: string): boolean {
  if (command.startsWith('/')) return existsSync(command);
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

/** The Debian packages whose tools are missing on this machine. */
export function missingPackages(): string[] {
  return [...new Set(clusterTools.filter((tool) => !present(tool.command)).map((tool) => tool.debianPackage))];
}

export function installMissingTools(say: (line: string) => void): void {
  const missing = missingPackages();
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0) throw new Error(`missing Debian packages (install as root): ${missing.join(' ')}`);
  say(`installing ${missing.join(' ')} from Debian`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { stdio: 'inherit', env });
  const still = missingPackages();
  if (still.length > 0) throw new Error(`still missing after apt-get install: ${still.join(' ')}`);
}
