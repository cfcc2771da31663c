// One row per background sweep: whoever holds an unexpired lease runs it, everyone else skips the
// pass. The upsert only takes the row over when the lease has lapsed, so on PostgreSQL two processes
// cannot run the same sweep at once, and within a process two overlapping timers cannot either.
import type { Queryable } from '../../store/index.ts';

/** Takes the lease `name` for `holder` until now + leaseMs; false when someone else holds it. */
export async function takeSweepLease(q: Queryable, name: string, holder: string, now: number, leaseMs: number): Promise<boolean> {
  return (await q.run(
    `INSERT INTO sweep_leases (name, holder, expires_at) VALUES (?, ?, ?)
     ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at WHERE sweep_leases.expires_at <= ?`,
    [name, holder, now + leaseMs, now],
  )) === 1;
}

/** Gives the lease back at the end of a pass (only the holder's own lease). */
export async function returnSweepLease(q: Queryable, name: string, holder: string): Promise<void> {
  await q.run('UPDATE sweep_leases SET expires_at = 0 WHERE name = ? AND holder = ?', [name, holder]);
}
