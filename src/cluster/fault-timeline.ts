// Where a failover's write outage goes: moments after the fault, in milliseconds, each observed from
// outside — the lever's command returned, Patroni (the DCS) names a new leader, haproxy's write address
// reaches a writable primary other than the old leader, and the new leader has a synchronous standby.
// With the ends of the longest gap in acknowledgements (drill-checks.ts) the drill shows per fault
// which step the write outage waited on.
import pg from 'pg';
import { sleep } from './processes.ts';
import type { DatabaseNode, Topology } from './topology.ts';
import { streamingFrom } from './patroni.ts';

export interface FaultTimeline {
  commandReturnedMs?: number;
  newLeaderInDcsMs?: number;
  writeAddressAtNewLeaderMs?: number;
  newLeaderHasSyncStandbyMs?: number;
}

const pollMs = 100;

/** The port and role of the server behind the write address now (undefined: no answer). */
async function behindWriteAddress(topology: Topology): Promise<{ port: number; writable: boolean } | undefined> {
  const connectionString = `postgres://postgres@127.0.0.1:${topology.primaryPort}/postgres`;
  const client = new pg.Client({ connectionString, connectionTimeoutMillis: 1_000, query_timeout: 1_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const row = await client.query<{ port: number; recovery: boolean }>(
      'SELECT inet_server_port() AS port, pg_is_in_recovery() AS recovery',
    );
    const first = row.rows[0];
    return first === undefined ? undefined : { port: first.port, writable: !first.recovery };
  } catch {
    return undefined;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Watches the write address from the fault on, until `stop()`: fills `writeAddressAtNewLeaderMs` and
 * `newLeaderHasSyncStandbyMs` in `timeline` (a leader other than `old`; for a fault that keeps the
 * leader, `old` is undefined and any writable primary after an unwritable spell counts).
 */
export function watchWriteAddress(
  topology: Topology, old: DatabaseNode | undefined, faultAtMs: number, timeline: FaultTimeline,
): { stop(): Promise<void> } {
  let stopped = false;
  let sawOutage = old !== undefined;
  const watching = (async () => {
    while (!stopped && timeline.newLeaderHasSyncStandbyMs === undefined) {
      const behind = await behindWriteAddress(topology);
      const fresh = behind !== undefined && behind.writable && behind.port !== old?.postgresPort;
      if (!fresh) sawOutage = true;
      if (fresh && sawOutage) {
        timeline.writeAddressAtNewLeaderMs ??= Date.now() - faultAtMs;
        const node = topology.databases.find((n) => n.postgresPort === behind.port);
        const synchronous = node === undefined ? [] : (await streamingFrom(node).catch(() => undefined))?.synchronous;
        if (synchronous !== undefined && synchronous.length > 0) {
          timeline.newLeaderHasSyncStandbyMs = Date.now() - faultAtMs;
        }
      }
      await sleep(pollMs);
    }
  })();
  return {
    async stop() {
      stopped = true;
      await watching;
    },
  };
}
