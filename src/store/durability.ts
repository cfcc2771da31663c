// Can the database behind the write address make a write durable right now? It must be the primary
// (not a replica, not read-only), and on a replicated cluster it must have a synchronous standby
// streaming from it: a leader without one would acknowledge writes that a failover erases, and a
// second node that wrongly believes it leads has no standby following it (split brain shows here).
import type { PostgresStore, Store } from './port.ts';

export interface Durability {
  /** Undefined when writes can be made durable; otherwise why not, in words for /ready and the log. */
  readonly refusal: string | undefined;
}

interface ProbeRow {
  readonly recovery: boolean;
  readonly read_only: string;
  readonly sync_commit: string;
  readonly sync_standbys: bigint;
}

/** Pure: the refusal, if any, for what the database said about itself. */
export function durabilityOf(row: ProbeRow, requireSyncStandby: boolean): Durability {
  if (row.recovery) return { refusal: 'the database is a replica: no leader behind the write address' };
  if (row.read_only === 'on') return { refusal: 'the database is read-only (it has lost or not yet taken leadership)' };
  if (!requireSyncStandby) return { refusal: undefined };
  if (row.sync_commit === 'off' || row.sync_commit === 'local') {
    return { refusal: `synchronous_commit is '${row.sync_commit}': commits do not wait for a standby` };
  }
  if (row.sync_standbys < 1n) {
    return { refusal: 'the leader has no synchronous standby: a write could be lost in a failover' };
  }
  return { refusal: undefined };
}

/** Whether the database answers a trivial query at all (readiness asks this first). */
export async function databaseAnswers(store: Store): Promise<boolean> {
  try {
    return (await store.get<{ one: unknown }>('SELECT 1 AS one')) !== undefined;
  } catch {
    return false;
  }
}

/** Asks the database (one query; pg_stat_replication needs a superuser or pg_monitor to show sync_state). */
export async function probeDurability(store: PostgresStore, requireSyncStandby: boolean): Promise<Durability> {
  const row = await store.get<ProbeRow & Record<string, unknown>>(
    `SELECT pg_is_in_recovery() AS recovery, current_setting('transaction_read_only') AS read_only,
            current_setting('synchronous_commit') AS sync_commit,
            (SELECT count(*) FROM pg_stat_replication WHERE sync_state IN ('sync', 'quorum')) AS sync_standbys`,
  );
  if (row === undefined) throw new Error('store invariant: the durability probe returned no row');
  return durabilityOf(row, requireSyncStandby);
}

export interface DurabilityMonitor {
  /** The last definite refusal (undefined: writes allowed, or the database did not answer the last probe). */
  refusal(): string | undefined;
  stop(): void;
}

/**
 * Probes every `intervalMs` and reports changes. A probe that fails (no connection during a
 * failover) refuses nothing by itself: the write then fails or waits on its own.
 */
export interface DurabilityMonitorOptions {
  readonly requireSyncStandby: boolean;
  readonly intervalMs: number;
  readonly onChange: (refusal: string | undefined) => void;
}

export function startDurabilityMonitor(store: PostgresStore, options: DurabilityMonitorOptions): DurabilityMonitor {
  let current: string | undefined;
  let running = false;
  const probe = async () => {
    if (running) return;
    running = true;
    try {
      const { refusal } = await probeDurability(store, options.requireSyncStandby);
      if (refusal !== current) options.onChange(refusal);
      current = refusal;
    } catch {
      current = undefined;
    } finally {
      running = false;
    }
  };
  void probe();
  const timer = setInterval(() => void probe(), options.intervalMs);
  timer.unref();
  return { refusal: () => current, stop: () => clearInterval(timer) };
}
