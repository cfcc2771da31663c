// Runs a sweep pass under its database lease (store/sweep-leases.ts): a pass that finds the lease
// taken does nothing and says so. The lease outlasts any pass by far; if a process dies holding it,
// the next pass after `leaseMs` takes it over and finishes the work (every sweep step is idempotent).
import { randomUUID } from 'node:crypto';
import type { Store } from '../store/index.ts';
import { returnSweepLease, takeSweepLease } from './store/sweep-leases.ts';

export const sweepLeaseMs = 5 * 60_000;

export async function underSweepLease<T>(store: Store, name: string, clock: () => number, work: () => Promise<T>, leaseMs = sweepLeaseMs): Promise<{ ran: true; result: T } | { ran: false }> {
  const holder = randomUUID();
  if (!(await takeSweepLease(store, name, holder, clock(), leaseMs))) return { ran: false };
  try {
    return { ran: true, result: await work() };
  } finally {
    await returnSweepLease(store, name, holder);
  }
}
