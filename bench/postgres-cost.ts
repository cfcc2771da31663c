// What the PostgreSQL server spent while a bench measured: the CPU time of the bench's own backends
// (those whose application_name the bench set; read from /proc, so the server must run on this
// machine) and the WAL the whole server wrote meanwhile (other clients of the same server count in it).
// A bench process's own CPU says nothing of the server's work, and on a shared machine CPU time per
// operation moves far less with load than throughput does.
import { readFileSync } from 'node:fs';
import type { Store } from '../src/store/index.ts';

export interface PostgresCostMark {
  readonly ticks: ReadonlyMap<number, number>;
  readonly walLsn: string;
}

const ticksPerSecond = 100; // USER_HZ on Linux

/** A process's CPU ticks (user + system), or undefined when it is gone or /proc is absent. */
function cpuTicks(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // utime and stime are the 14th and 15th fields: the 12th and 13th after the command's parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return undefined;
  }
}

export async function markPostgresCost(store: Store): Promise<PostgresCostMark> {
  const backends = await store.all<{ pid: number }>(
    "SELECT pid FROM pg_stat_activity WHERE application_name = current_setting('application_name') AND application_name <> ''",
  );
  const ticks = new Map<number, number>();
  for (const { pid } of backends) {
    const t = cpuTicks(Number(pid));
    if (t !== undefined) ticks.set(Number(pid), t);
  }
  const row = await store.get<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn');
  return { ticks, walLsn: row?.lsn ?? '0/0' };
}

/** The bench's backends' CPU µs, and the whole server's WAL KiB, per operation since `before`. */
export async function postgresCostSince(
  store: Store,
  before: PostgresCostMark,
  operations: number,
): Promise<Record<string, number>> {
  const after = await markPostgresCost(store);
  const wal = await store.get<{ bytes: string | number | bigint }>(
    'SELECT pg_wal_lsn_diff(?::pg_lsn, ?::pg_lsn) AS bytes',
    [after.walLsn, before.walLsn],
  );
  let spent = 0;
  // A backend the pool opened during the run counts from zero (its start-up is a few ticks).
  for (const [pid, ticks] of after.ticks) spent += ticks - (before.ticks.get(pid) ?? 0);
  const per = Math.max(1, operations);
  const round = (n: number) => Math.round(n * 10) / 10;
  return {
    ...(after.ticks.size === 0
      ? {}
      : { server_cpu_us_per_op: round((spent * 1_000_000) / ticksPerSecond / per) }),
    server_wal_kib_per_op: round(Number(wal?.bytes ?? 0) / 1024 / per),
  };
}
