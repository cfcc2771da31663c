// A temporary PostgreSQL server started from a data directory (a pgBackRest restore, a test cluster),
// run as the database's OS user with Debian's binaries, and stopped again. Used by the restore test
// (pg-restore-test.ts) and the test clusters (testing/scratch-postgres.ts).
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The newest installed PostgreSQL's bin directory (Debian layout), or undefined. */
export function postgresBinDir(): string | undefined {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return undefined;
  const version = readdirSync(base).sort().at(-1);
  return version === undefined ? undefined : join(base, version, 'bin');
}

function binOf(tool: string): string {
  const bin = postgresBinDir();
  if (bin === undefined) throw new Error('PostgreSQL binaries are not installed (/usr/lib/postgresql)');
  return join(bin, tool);
}

/** Runs a PostgreSQL tool as `osUser` (through runuser when we are root). */
export async function asDatabaseUser(osUser: string, tool: string, args: readonly string[]): Promise<string> {
  const command = [binOf(tool), ...args];
  const asUser = process.getuid?.() === 0 ? ['runuser', '-u', osUser, '--', ...command] : command;
  const { stdout } = await run(asUser[0] ?? tool, asUser.slice(1), { timeout: 180_000 });
  return stdout;
}

/** A TCP port on 127.0.0.1 that nothing listens on right now. */
export async function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface ClusterStart {
  readonly osUser: string;
  readonly dataDir: string;
  readonly port: number;
  readonly socketDir: string;
  readonly logFile: string;
  /** Extra `-c name=value` server settings. */
  readonly settings?: Readonly<Record<string, string>>;
}

/** pg_ctl start, waiting until it accepts connections (or failing with its log's path). */
export async function startCluster(start: ClusterStart): Promise<void> {
  const settings = Object.entries(start.settings ?? {})
    .map(([name, value]) => ` -c ${name}=${value}`)
    .join('');
  await asDatabaseUser(start.osUser, 'pg_ctl', [
    '-D',
    start.dataDir,
    '-o',
    `-p ${start.port} -k ${start.socketDir}${settings}`,
    '-l',
    start.logFile,
    '-w',
    '-t',
    '120',
    'start',
  ]);
}

/** pg_ctl stop (fast); a server that is not running is not an error. */
export async function stopCluster(osUser: string, dataDir: string): Promise<void> {
  await asDatabaseUser(osUser, 'pg_ctl', ['-D', dataDir, '-m', 'fast', '-w', 'stop']).catch(() => '');
}
