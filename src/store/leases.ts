// A lease in the database: who runs a background job now. Taken when free or expired, renewed by its
// holder, lost by a holder that stops renewing. One statement, atomic on both stores (an upsert that
// changes the row only when the lease is free, expired or already ours). `underLease` runs one pass
// of a job (a payments sweep) under a lease of its own: a pass that finds the lease taken does
// nothing; a holder that dies mid-pass keeps it until it expires, then the next pass takes over.
import { randomUUID } from 'node:crypto';
import type { Queryable } from './port.ts';

export interface LeaseRequest {
  /** The job, e.g. 'sweep:holds'. */
  readonly name: string;
  /** This process (unique per process: host, pid and a random part). */
  readonly holder: string;
  readonly ttlMs: number;
  readonly now: number;
}

/** True when `holder` holds the lease until now + ttlMs. */
export async function acquireLease(store: Queryable, request: LeaseRequest): Promise<boolean> {
  const row = await store.get<{ holder: string }>(
    `INSERT INTO store_leases (name, holder, expires_at) VALUES (?, ?, ?)
     ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
     WHERE store_leases.expires_at <= ? OR store_leases.holder = excluded.holder
     RETURNING holder`,
    [request.name, request.holder, request.now + request.ttlMs, request.now],
  );
  return row?.holder === request.holder;
}

/** Gives the lease up at once (a clean shutdown), so another process takes over without waiting. */
export async function releaseLease(store: Queryable, name: string, holder: string): Promise<void> {
  await store.run('DELETE FROM store_leases WHERE name = ? AND holder = ?', [name, holder]);
}

/** A pass's lease: far longer than any pass, short enough to take over from a dead holder. */
export const passLeaseMs = 5 * 60_000;

/** Runs `work` once under the lease `name` (a fresh holder per pass) and gives it back; `ran: false` when held. */
export async function underLease<T>(
  store: Queryable,
  name: string,
  clock: () => number,
  work: () => Promise<T>,
  ttlMs = passLeaseMs,
): Promise<{ ran: true; result: T } | { ran: false }> {
  const holder = `pass:${randomUUID()}`;
  if (!(await acquireLease(store, { name, holder, ttlMs, now: clock() }))) return { ran: false };
  try {
    return { ran: true, result: await work() };
  } finally {
    await releaseLease(store, name, holder);
  }
}
