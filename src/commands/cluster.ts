// `anfu cluster up [--api-nodes N] | down [--keep-data] | status`.
import { parseArgs } from 'node:util';
import { countApiTokens, issueApiToken } from '../access/index.ts';
import { migrate, openStore } from '../store/index.ts';
import { clusterDown, clusterStatus, clusterUp } from '../cluster/index.ts';
import { apiUrlOf, topologyOf, type Topology } from '../cluster/index.ts';

const print = (line: string) => process.stdout.write(`${line}\n`);

const usage = `usage: anfu cluster up [--api-nodes 1|2|3] [--dir DIR] [--port-offset N]
         etcd, 3 × PostgreSQL 15 under Patroni (synchronous, strict), haproxy, API nodes; installs what is missing
       anfu cluster down [--dir DIR] [--keep-data]
       anfu cluster status [--dir DIR]`;

/** Migrates the new database and issues the cluster's first operator token (shown once). */
export async function prepareDatabase(databaseUrl: string): Promise<string | undefined> {
  const store = openStore({ databaseUrl, sqlitePath: '' });
  try {
    await migrate(store);
    if ((await countApiTokens(store)) > 0) return undefined;
    return (await issueApiToken(store, { name: 'cluster administrator', role: 'administrator' }, Date.now())).token;
  } finally {
    await store.close();
  }
}

async function up(topology: Topology): Promise<number> {
  let token: string | undefined;
  await clusterUp(topology, { say: print, prepare: async (url) => { token = await prepareDatabase(url); } });
  print(`Anfu API behind haproxy: ${apiUrlOf(topology)}`);
  print(`PostgreSQL writes: 127.0.0.1:${topology.primaryPort}   reads: 127.0.0.1:${topology.replicaPort}`);
  if (typeof token === 'string') print(`Operator API token (shown once; store it safely):\n  ${token}`);
  return 0;
}

export async function clusterCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      'api-nodes': { type: 'string' }, dir: { type: 'string' },
      'keep-data': { type: 'boolean' }, 'port-offset': { type: 'string' },
    },
    allowPositionals: true,
    strict: true,
  });
  const apiNodeCount = values['api-nodes'] === undefined ? undefined : Number(values['api-nodes']);
  const portOffset = values['port-offset'] === undefined ? undefined : Number(values['port-offset']);
  const topology = topologyOf({ dir: values.dir, apiNodeCount, portOffset });
  switch (positionals[0]) {
    case 'up':
      return up(topology);
    case 'down':
      await clusterDown(topology, { keepData: values['keep-data'] === true });
      print('cluster stopped');
      return 0;
    case 'status': {
      const status = await clusterStatus(topology);
      print(JSON.stringify(status, null, 2));
      return status.primaries.length === 1 ? 0 : 1;
    }
    default:
      console.error(usage);
      return 2;
  }
}
