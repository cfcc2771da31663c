// Where each process of the local high-availability cluster listens and keeps its data. Loopback
// ports in ranges the machine's own services do not use (its PostgreSQL stays on 5432, untouched).
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export interface DatabaseNode {
  readonly name: string;
  readonly postgresPort: number;
  readonly restPort: number;
  readonly dir: string;
}

export interface ApiNode {
  readonly name: string;
  readonly port: number;
}

export interface Topology {
  readonly dir: string;
  readonly scope: string;
  readonly etcdClientPort: number;
  readonly etcdPeerPort: number;
  readonly databases: readonly DatabaseNode[];
  /** haproxy: writes go to the leader only, reads to the replicas, HTTP to the API nodes. */
  readonly primaryPort: number;
  readonly replicaPort: number;
  readonly apiPort: number;
  readonly apiNodes: readonly ApiNode[];
  readonly databaseName: string;
}

export interface TopologyOptions {
  readonly dir?: string | undefined;
  /** API processes behind haproxy (1 to 3). */
  readonly apiNodeCount?: number | undefined;
  /** Added to every port, so a test cluster never meets one started by hand. */
  readonly portOffset?: number | undefined;
}

const apiNodeCountMax = 3;

export function topologyOf(options: TopologyOptions = {}): Topology {
  const dir = resolve(options.dir ?? process.env.ANFU_CLUSTER_DIR ?? join(tmpdir(), 'anfu-cluster'));
  const apiNodeCount = options.apiNodeCount ?? 2;
  if (!Number.isInteger(apiNodeCount) || apiNodeCount < 1 || apiNodeCount > apiNodeCountMax) {
    throw new Error(`a cluster has 1 to ${apiNodeCountMax} API nodes`);
  }
  const offset = options.portOffset ?? 0;
  if (!Number.isInteger(offset) || offset < 0 || offset > 1000) throw new Error('the port offset is 0 to 1000');
  return {
    dir,
    scope: 'anfu',
    etcdClientPort: 12379 + offset,
    etcdPeerPort: 12380 + offset,
    databases: [0, 1, 2].map((i) => ({
      name: `pg${i + 1}`, postgresPort: 15432 + offset + i, restPort: 18008 + offset + i, dir: join(dir, `pg${i + 1}`),
    })),
    primaryPort: 15500 + offset,
    replicaPort: 15501 + offset,
    apiPort: 18440 + offset,
    apiNodes: Array.from({ length: apiNodeCount }, (_, i) => ({ name: `api${i + 1}`, port: 18441 + offset + i })),
    databaseName: 'anfu',
  };
}

/** Every loopback port the cluster listens on. */
export function portsOf(topology: Topology): number[] {
  return [
    topology.etcdClientPort, topology.etcdPeerPort, ...topology.databases.flatMap((d) => [d.postgresPort, d.restPort]),
    topology.primaryPort, topology.replicaPort, topology.apiPort, ...topology.apiNodes.map((n) => n.port),
  ];
}

/** The URL the API nodes use: haproxy's leader-only port, so a write never reaches a replica. */
export function primaryUrlOf(topology: Topology): string {
  return `postgres://postgres@127.0.0.1:${topology.primaryPort}/${topology.databaseName}`;
}

export function apiUrlOf(topology: Topology): string {
  return `http://127.0.0.1:${topology.apiPort}`;
}
