// `anfu cluster up [--api-nodes N] | down [--keep-data] | status`.
import { parseArgs } from 'node:util';
import { migrate, openStore } from '../store/index.ts';
import { clusterDown, clusterStatus, clusterUp } from '../cluster/index.ts';
import { apiUrlOf, primaryUrlOf, topologyOf, type Topology } from '../cluster/index.ts';

const print = (line: string) => process.stdout.write(`${line}\n`);

const usage = `usage: anfu cluster up [--api-nodes 1|2|3] [--dir DIR] [--port-offset N]
         etcd, 3 × PostgreSQL 15 under Patroni (synchronous, strict), haproxy, API nodes; installs what is missing
       anfu cluster down [--dir DIR] [--keep-data]
       anfu cluster status [--dir DIR]`;

/** Migrates the new database. No credential is minted: operators are bootstrapped with an enrolment code. */
export async function prepareDatabase(databaseUrl: string): Promise<void> {
  const store = openStore({ databaseUrl, sqlitePath: '' });
  try {
    await migrate(store);
  } finally {
    await store.close();
  }
}

async function up(topology: Topology): Promise<number> {
  await clusterUp(topology, { say: print, prepare: prepareDatabase });
  print(`Anfu API behind haproxy: ${apiUrlOf(topology)}`);
  print(`PostgreSQL writes: 127.0.0.1:${topology.primaryPort}   reads: 127.0.0.1:${topology.replicaPort}`);
  print('First administrator (prints a one-time enrolment code; docs/OPERATIONS.md):');
  print(`  ANFU_DATABASE_URL=${primaryUrlOf(topology)} anfu operators create-admin --name NAME`);
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
