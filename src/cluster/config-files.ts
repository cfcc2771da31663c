// The configuration files of the cluster's processes, as pure functions of the topology (tested
// without starting anything). Patroni reads YAML, and JSON is YAML: no YAML library needed.
import { join } from 'node:path';
import type { DatabaseNode, Topology } from './topology.ts';

export const postgresBinDir = '/usr/lib/postgresql/15/bin';

/** PostgreSQL's settings on every node (Patroni writes them). */
const postgresParameters = {
  // Small on purpose: three instances share a small machine.
  shared_buffers: '32MB',
  max_connections: 60,
  max_wal_senders: 8,
  max_replication_slots: 8,
  wal_level: 'replica',
  wal_log_hints: 'on',
  hot_standby: 'on',
  synchronous_commit: 'on',
  max_worker_processes: 4,
  // A replica re-pointed at a new leader retries its stream after this (default 5 s): in the
  // drills the new leader's commits waited ~7 s for its first synchronous standby (strict mode).
  wal_retrieve_retry_interval: '1s',
  work_mem: '2MB',
  maintenance_work_mem: '16MB',
};

/**
 * Patroni's settings for one node. Synchronous mode, strict: a commit is acknowledged only after a
 * standby has flushed it, and with no standby left the leader stops acknowledging rather than
 * carrying on alone — for money, an acknowledged write that one crash can erase is worse than a
 * pause. Failure detection is quicker than Patroni's defaults (ttl 15 s, not 30 s) so a leader
 * crash costs well under 30 s of writes; ttl ≥ loop_wait + 2 × retry_timeout, as Patroni requires.
 */
export function patroniConfigOf(topology: Topology, node: DatabaseNode): string {
  const config = {
    scope: topology.scope,
    name: node.name,
    // ERROR: at WARNING Patroni logs a traceback each time haproxy closes a health check.
    log: { level: 'ERROR', dir: node.dir, file_num: 2, file_size: 5_000_000 },
    restapi: { listen: `127.0.0.1:${node.restPort}`, connect_address: `127.0.0.1:${node.restPort}` },
    // etcd's v2 protocol, not etcd3: Debian 12's Patroni 3.0.2 renews the leader key over etcd3 with an
    // unconditional put, so a leader that froze past its ttl takes the key back from the leader elected
    // meanwhile on waking, and that leader's acknowledged commits are lost (fixed upstream in Patroni
    // 3.0.3, patroni/patroni#2689; the freeze drill caught it). Over v2 the renewal is a compare-and-swap
    // on the holder's name, so the woken node fails it and demotes. Back to etcd3 once Patroni ≥ 3.0.3.
    etcd: { hosts: `127.0.0.1:${topology.etcdClientPort}` },
    bootstrap: {
      dcs: {
        ttl: 15,
        // 1 s, not 2: a new leader names its synchronous standby on its next loop, and until then
        // (strict mode) its commits wait — the loop is most of a planned switchover's write pause.
        loop_wait: 1,
        retry_timeout: 5,
        maximum_lag_on_failover: 1_048_576,
        // A leader whose PostgreSQL crashed is replaced at once by its synchronous standby (which
        // has every acknowledged commit) instead of being restarted in place for minutes.
        primary_start_timeout: 0,
        synchronous_mode: true,
        synchronous_mode_strict: true,
        postgresql: {
          use_pg_rewind: true,
          use_slots: true,
          parameters: postgresParameters,
        },
      },
      initdb: [{ encoding: 'UTF8' }, 'data-checksums'],
    },
    postgresql: {
      listen: `127.0.0.1:${node.postgresPort}`,
      connect_address: `127.0.0.1:${node.postgresPort}`,
      data_dir: join(node.dir, 'data'),
      bin_dir: postgresBinDir,
      pgpass: join(node.dir, 'pgpass'),
      // Loopback only, no password: the drill machine. Production uses scram-sha-256 over TLS (docs/OPERATIONS.md).
      pg_hba: [
        'local all all trust',
        'host replication replicator 127.0.0.1/32 trust',
        'host all all 127.0.0.1/32 trust',
      ],
      authentication: {
        superuser: { username: 'postgres', password: 'postgres' },
        replication: { username: 'replicator', password: 'replicator' },
      },
      parameters: { unix_socket_directories: node.dir },
    },
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}

/**
 * haproxy routes by Patroni's REST health checks: the write port reaches only the node whose
 * `/primary` answers 200, the read port only nodes whose `/replica` does. When a node stops being
 * the primary its sessions are cut (`on-marked-down shutdown-sessions`), so no client keeps writing
 * to a demoted leader. The API port spreads HTTP over the Anfu processes whose `/ready` answers.
 * Checks are quick while a server changes state (`fastinter`, `downinter`) and the write port
 * takes a new leader on its first good check (`rise 1`): Patroni answers 200 on `/primary` only
 * for the holder of the leader key, and a write sent to a node that is no longer it fails there
 * (read-only, or its commit waits for a standby), so speed here costs no safety.
 */
export function haproxyConfigOf(topology: Topology): string {
  const databaseServers = topology.databases
    .map((node) => `  server ${node.name} 127.0.0.1:${node.postgresPort} check port ${node.restPort}`)
    .join('\n');
  const apiServers = topology.apiNodes.map((node) => `  server ${node.name} 127.0.0.1:${node.port} check`).join('\n');
  return `global
  maxconn 400
  log stdout format raw local0 warning

defaults
  mode tcp
  log global
  timeout connect 3s
  timeout client 30m
  timeout server 30m
  timeout check 2s

listen primary
  bind 127.0.0.1:${topology.primaryPort}
  option httpchk GET /primary
  http-check expect status 200
  default-server inter 500ms fastinter 200ms downinter 500ms fall 2 rise 1 on-marked-down shutdown-sessions
${databaseServers}

listen replicas
  bind 127.0.0.1:${topology.replicaPort}
  balance roundrobin
  option httpchk GET /replica
  http-check expect status 200
  default-server inter 1s fall 2 rise 2 on-marked-down shutdown-sessions
${databaseServers}

listen api
  bind 127.0.0.1:${topology.apiPort}
  mode http
  balance roundrobin
  timeout client 60s
  timeout server 60s
  option httpchk GET /ready
  http-check expect status 200
  retries 2
  option redispatch
  default-server inter 1s fastinter 250ms downinter 250ms fall 2 rise 1
${apiServers}
`;
}
