/* eslint-disable security/detect-non-literal-fs-filename -- test support writes into its own temporary folder */
// Test support: a throw-away PostgreSQL 15 cluster from Debian's binaries, owned by the `postgres` OS
// user, on a loopback port, with extra settings (WAL archiving for pgBackRest). Never the machine's own.
import { execFile } from 'node:child_process';
import { appendFileSync, chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { asDatabaseUser, postgresBinDir, startCluster, stopCluster } from '../pg-cluster.ts';

export { postgresBinDir };

const run = promisify(execFile);

export interface ScratchPostgres {
  readonly root: string;
  readonly dataDir: string;
  readonly socketDir: string;
  readonly port: number;
  url(database: string): string;
  start(dataDir?: string, port?: number): Promise<void>;
  stop(dataDir?: string): Promise<void>;
  psql(sql: string, port?: number): Promise<string>;
  remove(): Promise<void>;
}


/** initdb (trust on loopback), then `settings` appended to postgresql.conf; not started yet. */
export async function initScratchPostgres(port: number): Promise<ScratchPostgres> {
  if (postgresBinDir() === undefined) throw new Error('PostgreSQL binaries are not installed');
  const root = mkdtempSync(join(tmpdir(), 'anfu-pg-'));
  const uid = Number((await run('id', ['-u', 'postgres'])).stdout.trim());
  const gid = Number((await run('id', ['-g', 'postgres'])).stdout.trim());
  chownSync(root, uid, gid);
  const dataDir = join(root, 'data');
  await asDatabaseUser('postgres', 'initdb', [
    '-D',
    dataDir,
    '--auth=trust',
    '--username=postgres',
    '-E',
    'UTF8',
    '--no-instructions',
  ]);
  appendFileSync(
    dataDir + '/postgresql.conf',
    [
      '',
      `port = ${port}`,
      "listen_addresses = '127.0.0.1'",
      `unix_socket_directories = '${root}'`,
      'shared_buffers = 32MB',
      'max_connections = 40',
      'fsync = on',
      'wal_level = replica',
      'max_wal_senders = 3',
      '',
    ].join('\n'),
  );
  const pg: ScratchPostgres = {
    root,
    dataDir,
    socketDir: root,
    port,
    url: (database) => `postgres://postgres@127.0.0.1:${port}/${database}`,
    async start(dir = dataDir, p = port) {
      const logFile = join(root, `log-${p}.txt`);
      await startCluster({ osUser: 'postgres', dataDir: dir, port: p, socketDir: root, logFile });
    },
    stop: (dir = dataDir) => stopCluster('postgres', dir),
    psql: (sql, p = port) =>
      asDatabaseUser('postgres', 'psql', [
        '-h',
        root,
        '-p',
        String(p),
        '-U',
        'postgres',
        '-d',
        'postgres',
        '-XAtc',
        sql,
      ]),
    async remove() {
      rmSync(root, { recursive: true, force: true });
    },
  };
  return pg;
}
