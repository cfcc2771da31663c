// Scale-out of the API over the replicated cluster: transfers per second with one, two and three
// Anfu processes writing to the one Patroni leader (synchronous replication: every commit waits for
// a standby's flush). The load goes straight to the first N API nodes, spread evenly; 32 clients in
// all, each transfer with its own idempotency key. On a small machine the load generator, three
// PostgreSQL, Patroni, etcd, haproxy and the API processes share the same cores: read per core.
// Usage: anfu bench cluster [--seconds 15] [--json]    (root; installs patroni etcd-server haproxy when missing)
import { chmodSync, mkdtempSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { clusterOperatorToken } from '../src/cluster/testing/operator-token.ts';
import { clusterDown, clusterUp, primaryUrlOf, topologyOf, type Topology } from '../src/cluster/index.ts';
import { startLoad } from '../src/cluster/drill-load.ts';
import { migrate, openStore } from '../src/store/index.ts';

const clients = 32;

function option(args: readonly string[], name: string): string | undefined {
  const index = args.indexOf(`--${name}`);
  return index === -1 ? undefined : args[index + 1];
}

async function post(url: string, token: string, body: unknown, key?: string): Promise<Record<string, unknown>> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...(key === undefined ? {} : { 'idempotency-key': key }) },
    body: JSON.stringify(body),
  });
  if (response.status !== 200 && response.status !== 201) throw new Error(`${url}: ${response.status}`);
  return (await response.json()) as Record<string, unknown>;
}

async function wallets(baseUrl: string, token: string, count: number): Promise<string[]> {
  const bank = await post(`${baseUrl}/v1/accounts`, token, { kind: 'bank_settlement', currency: 'CNY', name: 'bench bank' });
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const wallet = await post(`${baseUrl}/v1/accounts`, token, { kind: 'suspense', currency: 'CNY', name: `bench ${i}` });
    await post(`${baseUrl}/v1/fundings`, token, { bankAccountId: bank.id, accountId: wallet.id, amount: '10000000.00', currency: 'CNY' }, `bench-fund-${i}`);
    ids.push(String(wallet.id));
  }
  return ids;
}

async function measure(topology: Topology, nodes: number, token: string, accountIds: string[], seconds: number) {
  const runs = topology.apiNodes.slice(0, nodes).map((node, i) => startLoad({
    baseUrl: `http://127.0.0.1:${node.port}`, token, accountIds, currency: 'CNY', workers: clients / nodes, keyPrefix: `bench-${nodes}-${i}`,
    settleTimeoutMs: 30_000, requestTimeoutMs: 30_000, requestsMax: 1_000_000,
  }));
  const started = Date.now();
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  await Promise.all(runs.map((r) => r.stop()));
  const elapsedS = (Date.now() - started) / 1000;
  const records = runs.flatMap((r) => r.records);
  const acknowledged = records.filter((r) => r.outcome === 'acknowledged');
  const latencies = acknowledged.map((r) => r.settledAtMs - r.sentAtMs).sort((a, b) => a - b);
  return {
    api_nodes: nodes,
    transfers_per_s: Math.round(acknowledged.length / elapsedS),
    p50_ms: latencies[Math.floor(latencies.length / 2)] ?? null,
    p99_ms: latencies[Math.floor(latencies.length * 0.99)] ?? null,
    not_acknowledged: records.length - acknowledged.length,
  };
}

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const seconds = Number(option(args, 'seconds') ?? 15);
  const parent = mkdtempSync(join(tmpdir(), 'anfu-bench-cluster-'));
  chmodSync(parent, 0o755);
  const topology = topologyOf({ dir: join(parent, 'cluster'), apiNodeCount: 3, portOffset: 200 });
  try {
    await clusterUp(topology, { say: () => undefined, prepare: async (url) => {
      const store = openStore({ databaseUrl: url, sqlitePath: '' });
      await migrate(store).finally(() => store.close());
    } });
    const store = openStore({ databaseUrl: primaryUrlOf(topology), sqlitePath: '', poolSize: 1 });
    const issued = await clusterOperatorToken(topology, store).finally(() => store.close());
    const first = topology.apiNodes[0];
    if (first === undefined) throw new Error('no API node');
    const accountIds = await wallets(`http://127.0.0.1:${first.port}`, issued.token, 64);
    const results = [];
    for (const nodes of [1, 2, 3]) results.push(await measure(topology, nodes, issued.token, accountIds, seconds));
    return { cores: cpus().length, clients, seconds, synchronous_replication: 'strict, 1 standby', results };
  } finally {
    await clusterDown(topology);
  }
}
