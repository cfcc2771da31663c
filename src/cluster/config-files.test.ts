// The cluster's configuration says what the drills rely on: strict synchronous replication, haproxy
// routing writes only to Patroni's primary and cutting sessions of a node that stops being it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { clusterUp, haproxyConfigOf, patroniConfigOf, topologyOf } from './index.ts';
import { portsOf } from './topology.ts';

const topology = topologyOf({ dir: '/tmp/anfu-cluster-config-test', apiNodeCount: 3, portOffset: 7 });

test('Patroni runs synchronous and strict, fails over a crashed leader at once, and keeps PostgreSQL small', () => {
  for (const node of topology.databases) {
    const config = JSON.parse(patroniConfigOf(topology, node)) as {
      name: string;
      bootstrap: {
        dcs: {
          synchronous_mode: boolean; synchronous_mode_strict: boolean;
          ttl: number; loop_wait: number; retry_timeout: number;
          primary_start_timeout: number; postgresql: { parameters: Record<string, unknown> };
        };
      };
      postgresql: { listen: string; data_dir: string };
    };
    const dcs = config.bootstrap.dcs;
    assert.equal(config.name, node.name);
    assert.equal(dcs.synchronous_mode, true);
    assert.equal(dcs.synchronous_mode_strict, true);
    assert.equal(dcs.primary_start_timeout, 0);
    assert.ok(dcs.ttl >= dcs.loop_wait + 2 * dcs.retry_timeout, 'Patroni needs ttl ≥ loop_wait + 2 × retry_timeout');
    assert.equal(dcs.postgresql.parameters.shared_buffers, '32MB');
    assert.equal(dcs.postgresql.parameters.synchronous_commit, 'on');
    assert.equal(config.postgresql.listen, `127.0.0.1:${node.postgresPort}`);
    assert.ok(config.postgresql.data_dir.startsWith(topology.dir));
  }
});

test('haproxy sends writes to /primary only, reads to /replica, and cuts sessions of a node marked down', () => {
  const text = haproxyConfigOf(topology);
  const section = (name: string) => text.split(/\n(?=listen )/).find((s) => s.startsWith(`listen ${name}`)) ?? '';
  assert.match(section('primary'), /option httpchk GET \/primary\n/);
  assert.match(section('primary'), /on-marked-down shutdown-sessions/);
  assert.ok(section('primary').includes(`bind 127.0.0.1:${topology.primaryPort}\n`));
  assert.match(section('replicas'), /option httpchk GET \/replica\n/);
  assert.match(section('api'), /option httpchk GET \/ready\n/);
  for (const node of topology.databases) {
    assert.ok(section('primary').includes(`127.0.0.1:${node.postgresPort} check port ${node.restPort}`));
  }
  assert.equal(section('api').match(/server api/g)?.length, 3);
  assert.doesNotMatch(text, /0\.0\.0\.0|\*:/, 'loopback only');
});

test('a topology has 1 to 3 API nodes and ports apart from the machine PostgreSQL', () => {
  assert.throws(() => topologyOf({ apiNodeCount: 0 }));
  assert.throws(() => topologyOf({ apiNodeCount: 4 }));
  const ports = [
    topology.etcdClientPort, topology.etcdPeerPort, topology.primaryPort, topology.replicaPort, topology.apiPort,
    ...topology.databases.flatMap((n) => [n.postgresPort, n.restPort]), ...topology.apiNodes.map((n) => n.port)];
  assert.equal(new Set(ports).size, ports.length);
  assert.ok(!ports.includes(5432));
});

test('a cluster does not start on ports another one holds: it names them and touches nothing', async () => {
  const dir = `/tmp/anfu-cluster-busy-test-${process.pid}`;
  const busy = topologyOf({ dir, apiNodeCount: 1, portOffset: 333 });
  const ports = portsOf(busy);
  assert.equal(new Set(ports).size, ports.length, 'every process has its own port');
  const holder = createServer();
  await new Promise<void>((done) => holder.listen(busy.etcdClientPort, '127.0.0.1', done));
  try {
    await assert.rejects(clusterUp(busy, { say: () => undefined, install: false }), (error: Error) => {
      assert.match(error.message, /are in use: another cluster/);
      assert.ok(error.message.includes(String(busy.etcdClientPort)), error.message);
      return true;
    });
    assert.equal(existsSync(dir), false, 'no directory was made');
  } finally {
    await new Promise((done) => holder.close(done));
  }
});
