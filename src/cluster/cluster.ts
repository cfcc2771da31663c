/* eslint-disable security/detect-non-literal-fs-filename -- paths under the operator's cluster directory */
// `anfu cluster up|down|status`: etcd, three PostgreSQL 15 under Patroni (synchronous, strict),
// haproxy in front of them and of the Anfu API processes — all on loopback, data under one directory.
import { chownSync, mkdirSync, rmSync, writeFileSync, chmodSync, existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { haproxyConfigOf, patroniConfigOf } from './config-files.ts';
import { installMissingTools } from './install-tools.ts';
import { healthy, membersOf, postmasterPidOf, primariesOf, streamingFrom, type Member } from './patroni.ts';
import { isAlive, pidOf, runningProcesses, sleep, startProcess, stopProcess, userIds } from './processes.ts';
import { portsOf, primaryUrlOf, type ApiNode, type Topology } from './topology.ts';

const anfuBin = fileURLToPath(new URL('../../bin/anfu.js', import.meta.url));
const startTimeoutMs = 120_000;

export type Say = (line: string) => void;

/** A process the wait depends on has ended: waiting longer is pointless. */
class PatroniExited extends Error {
  constructor(name: string) {
    super(`patroni ${name} exited; see logs/${name}.log in the cluster directory`);
  }
}

/** Polls `check` until it returns a value, or fails after `timeoutMs` naming what it waited for. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = startTimeoutMs,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch((error: unknown) => {
      if (error instanceof PatroniExited) throw error;
      return undefined;
    });
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}`);
    await sleep(250);
  }
}

/** PostgreSQL runs as `postgres`: every folder above the cluster directory must let it pass. */
function assertReachable(dir: string): void {
  for (let parent = dirname(dir); parent !== dirname(parent); parent = dirname(parent)) {
    if ((statSync(parent).mode & 0o001) === 0) {
      throw new Error(`${parent} is closed to other users; the postgres user cannot reach ${dir}`);
    }
  }
}

function prepareDirectories(topology: Topology): void {
  assertReachable(topology.dir);
  for (const sub of ['pids', 'logs', 'etcd', 'api']) {
    mkdirSync(join(topology.dir, sub), { recursive: true, mode: 0o755 });
  }
  chmodSync(topology.dir, 0o755);
  const postgres = userIds('postgres');
  chownSync(join(topology.dir, 'logs'), postgres.uid, postgres.gid);
  for (const node of topology.databases) {
    mkdirSync(node.dir, { recursive: true, mode: 0o700 });
    chownSync(node.dir, postgres.uid, postgres.gid);
    const file = join(node.dir, 'patroni.yml');
    writeFileSync(file, patroniConfigOf(topology, node), { mode: 0o600 });
    chownSync(file, postgres.uid, postgres.gid);
  }
  writeFileSync(join(topology.dir, 'haproxy.cfg'), haproxyConfigOf(topology));
}

function startEtcd(topology: Topology): void {
  const client = `http://127.0.0.1:${topology.etcdClientPort}`;
  const peer = `http://127.0.0.1:${topology.etcdPeerPort}`;
  startProcess({
    name: 'etcd', command: 'etcd', dir: topology.dir,
    args: ['--name', 'anfu-etcd', '--data-dir', join(topology.dir, 'etcd'),
      '--listen-client-urls', client, '--advertise-client-urls', client,
      '--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer, '--initial-cluster', `anfu-etcd=${peer}`,
      '--quota-backend-bytes', String(64 * 1024 * 1024), '--log-level', 'warn',
      // Patroni speaks etcd's v2 protocol here (config-files.ts says why).
      '--enable-v2=true'],
  });
}

export function startPatroni(topology: Topology, index: number): void {
  const node = topology.databases[index];
  if (node === undefined) throw new Error(`no database node ${index}`);
  startProcess({
    name: node.name, command: 'patroni', args: [join(node.dir, 'patroni.yml')], dir: topology.dir, user: 'postgres',
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: node.dir },
  });
}

/** The leader, once every member runs and streams from it, a synchronous standby among them. */
async function clusterHealthy(topology: Topology, count: number): Promise<Member | undefined> {
  const members = await membersOf(topology);
  if (members.length < count || !members.every(healthy)) return undefined;
  const leader = members.find((m) => m.role === 'leader');
  const node = topology.databases.find((n) => n.name === leader?.name);
  if (leader === undefined || node === undefined) return undefined;
  // Patroni may call a replica 'running' that cannot follow: the leader's own view decides.
  const { streaming, synchronous } = await streamingFrom(node);
  return streaming.length === count - 1 && synchronous.length > 0 ? leader : undefined;
}

export function waitForHealthyCluster(topology: Topology, timeoutMs = startTimeoutMs): Promise<Member> {
  const what = 'every member streaming from the leader, a synchronous standby among them';
  return waitFor(what, () => clusterHealthy(topology, topology.databases.length), timeoutMs);
}

async function createDatabase(topology: Topology): Promise<void> {
  const client = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${topology.primaryPort}/postgres` });
  // An error after the query (haproxy cutting the session) must not become an uncaught exception.
  client.on('error', () => undefined);
  await client.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [topology.databaseName]);
    if (exists.rowCount === 0) await client.query(`CREATE DATABASE ${topology.databaseName}`);
  } finally {
    await client.end();
  }
}

/** The environment of an API node: the leader through haproxy, one shared data directory (keys, signer). */
export function apiEnvironment(topology: Topology, node: ApiNode): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    ANFU_ENV: 'development',
    ANFU_DATABASE_URL: primaryUrlOf(topology),
    ANFU_DATABASE_POOL_SIZE: '8',
    ANFU_DATABASE_REQUIRE_SYNC_STANDBY: 'true',
    ANFU_DATA_DIR: join(topology.dir, 'api'),
    ANFU_HOST: '127.0.0.1',
    ANFU_PORT: String(node.port),
    ANFU_INSECURE_HTTP: '1',
    ANFU_LOG_LEVEL: 'warn',
    ANFU_RATE_LIMIT_PER_MINUTE: '10000000',
    ANFU_API_ERRORS_MAX: '10000000',
  };
}

export function startApiNode(topology: Topology, node: ApiNode): void {
  const env = apiEnvironment(topology, node);
  startProcess({ name: node.name, command: process.execPath, args: [anfuBin, 'serve'], dir: topology.dir, env });
}

export async function apiNodeReady(node: ApiNode): Promise<boolean> {
  try {
    const response = await fetch(`http://127.0.0.1:${node.port}/ready`, { signal: AbortSignal.timeout(2_000) });
    await response.body?.cancel();
    return response.status === 200;
  } catch {
    return false;
  }
}

export function waitForApiNode(node: ApiNode, timeoutMs = startTimeoutMs): Promise<true> {
  return waitFor(`API node ${node.name} ready`, async () => ((await apiNodeReady(node)) ? true : undefined), timeoutMs);
}

async function etcdHealthy(topology: Topology): Promise<true | undefined> {
  const url = `http://127.0.0.1:${topology.etcdClientPort}/health`;
  const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
  const body = (await response.json()) as { health?: string };
  return body.health === 'true' ? true : undefined;
}

async function primaryAnswers(topology: Topology): Promise<true | undefined> {
  const connectionString = `postgres://postgres@127.0.0.1:${topology.primaryPort}/postgres`;
  const client = new pg.Client({ connectionString, connectionTimeoutMillis: 2_000 });
  // An error after the query (haproxy cutting the session) must not become an uncaught exception.
  client.on('error', () => undefined);
  await client.connect();
  try {
    const row = await client.query<{ recovery: boolean }>('SELECT pg_is_in_recovery() AS recovery');
    return row.rows[0]?.recovery === false ? true : undefined;
  } finally {
    await client.end();
  }
}

/**
 * haproxy counts a server as up until its first checks fail, so a replica may answer the write
 * port for a second or two after start: wait until several connections in a row reach the leader.
 */
async function onlyLeaderBehindWritePort(topology: Topology): Promise<true | undefined> {
  const inRowMin = topology.databases.length * 2;
  for (let i = 0; i < inRowMin; i++) if ((await primaryAnswers(topology)) === undefined) return undefined;
  return true;
}

export interface ClusterUpOptions {
  readonly say: Say;
  /** Runs once the database exists and before the API nodes start (migrations, a first token). */
  readonly prepare?: (databaseUrl: string) => Promise<void>;
  /** Install missing Debian packages (the command does; a test that requires the tools does not). */
  readonly install?: boolean;
}

/** Brings the whole topology up from nothing; refuses when a cluster already runs in the directory. */
export async function clusterUp(topology: Topology, options: ClusterUpOptions): Promise<void> {
  const { say } = options;
  if (runningProcesses(topology.dir).size > 0) {
    throw new Error(`a cluster already runs in ${topology.dir}: run 'anfu cluster down' first`);
  }
  // Another cluster on these ports (a second drill run, one started by hand) would answer in place of
  // this one's processes: refuse rather than drill against the wrong database and keys.
  const busy = await busyPorts(portsOf(topology));
  if (busy.length > 0) throw new Error(`ports ${busy.join(', ')} are in use: another cluster runs on this port offset`);
  if (options.install !== false) installMissingTools(say);
  removeClusterDirectory(topology);
  prepareDirectories(topology);
  startEtcd(topology);
  await waitFor('etcd', () => etcdHealthy(topology));
  say('etcd is up');
  startPatroni(topology, 0);
  await waitFor('the first PostgreSQL to become leader', async () => {
    if (pidOf(topology.dir, 'pg1') === undefined) throw new PatroniExited('pg1');
    return (await primariesOf(topology)).length === 1 ? true : undefined;
  });
  for (let i = 1; i < topology.databases.length; i++) startPatroni(topology, i);
  const leader = await waitForHealthyCluster(topology);
  say(`PostgreSQL under Patroni: leader ${leader.name}, synchronous standby present`);
  const haproxyArgs = ['-f', join(topology.dir, 'haproxy.cfg'), '-db'];
  startProcess({ name: 'haproxy', command: 'haproxy', args: haproxyArgs, dir: topology.dir });
  await waitFor('haproxy to reach the leader only', () => onlyLeaderBehindWritePort(topology));
  await createDatabase(topology);
  await options.prepare?.(primaryUrlOf(topology));
  const [first, ...others] = topology.apiNodes;
  // The first node creates the shared development key material; the others then find it.
  if (first !== undefined) {
    startApiNode(topology, first);
    await waitForApiNode(first);
  }
  for (const node of others) startApiNode(topology, node);
  for (const node of others) await waitForApiNode(node);
  say(`${topology.apiNodes.length} API nodes ready behind haproxy`);
}

async function busyPorts(ports: readonly number[]): Promise<number[]> {
  const inUse = await Promise.all(ports.map((port) => new Promise<boolean>((done) => {
    const server = createServer();
    server.once('error', () => done(true));
    server.listen(port, '127.0.0.1', () => server.close(() => done(false)));
  })));
  return ports.filter((_, i) => inUse[i]);
}

/** Only a directory this module made (it has a pids/ folder) is ever deleted. */
function removeClusterDirectory(topology: Topology): void {
  if (existsSync(join(topology.dir, 'pids'))) rmSync(topology.dir, { recursive: true, force: true });
  else if (existsSync(topology.dir)) {
    throw new Error(`${topology.dir} exists and is not a cluster directory; choose another ANFU_CLUSTER_DIR`);
  }
}

/** Stops everything the directory's pid files name (API nodes first, etcd last); removes the data unless kept. */
export async function clusterDown(topology: Topology, options: { keepData?: boolean } = {}): Promise<void> {
  for (const node of topology.apiNodes) await stopProcess(topology.dir, node.name, 5_000);
  for (const name of runningProcesses(topology.dir).keys()) {
    if (name.startsWith('api')) await stopProcess(topology.dir, name, 5_000);
  }
  await stopProcess(topology.dir, 'haproxy', 2_000);
  await Promise.all(topology.databases.map((node) => stopProcess(topology.dir, node.name, 15_000)));
  // A postmaster Patroni could not stop (frozen, orphaned) is ended by its pid file.
  for (const node of topology.databases) {
    const pid = postmasterPidOf(node);
    if (pid !== undefined && isAlive(pid)) {
      process.kill(pid, 'SIGCONT');
      process.kill(pid, 'SIGKILL');
    }
  }
  await stopProcess(topology.dir, 'etcd', 5_000);
  if (options.keepData !== true) removeClusterDirectory(topology);
}

export interface ClusterStatus {
  readonly members: Member[];
  readonly primaries: string[];
  readonly haproxy: boolean;
  readonly etcd: boolean;
  readonly apiNodes: Array<{ name: string; ready: boolean }>;
}

export async function clusterStatus(topology: Topology): Promise<ClusterStatus> {
  return {
    members: await membersOf(topology),
    primaries: (await primariesOf(topology)).map((node) => node.name),
    haproxy: pidOf(topology.dir, 'haproxy') !== undefined,
    etcd: (await etcdHealthy(topology).catch(() => undefined)) === true,
    apiNodes: await Promise.all(
      topology.apiNodes.map(async (node) => ({ name: node.name, ready: await apiNodeReady(node) })),
    ),
  };
}
