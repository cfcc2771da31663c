// Background work that must run in one process of the cluster at a time (the outbox dispatcher, the
// audit checkpointer): started by the process that holds its lease, stopped when that process loses
// it or cannot renew it (a database it cannot reach: it cannot prove it still holds the lease), and
// taken over by another process once the lease expires. Sweeps that run tick by tick take the lease
// per tick instead (serve.ts); this is for long-running loops with a start and a stop.
import { acquireLease, releaseLease } from './leases.ts';
import type { Queryable } from './port.ts';

export interface LeasedWork {
  /** The job's lease name, e.g. 'outbox:dispatch'. */
  readonly name: string;
  /** This process (host, pid and a random part). */
  readonly holder: string;
  readonly ttlMs: number;
  /** How often the lease is taken or renewed (default ttlMs / 3, so two renewals may fail before it lapses). */
  readonly renewEveryMs?: number;
  readonly start: () => void;
  readonly stop: () => Promise<void>;
  readonly clock?: () => number;
  readonly onError?: (error: unknown) => void;
}

export interface LeasedSingleton {
  /** True while this process holds the lease and runs the work. */
  running(): boolean;
  /** One take-or-renew step now (the timer calls it; tests call it directly). */
  tick(): Promise<void>;
  /** Stops the work if it runs here and gives the lease up, so another process takes over at once. */
  stop(): Promise<void>;
}

export function runUnderLease(store: Queryable, work: LeasedWork, options: { timer?: boolean } = {}): LeasedSingleton {
  const clock = work.clock ?? Date.now;
  let running = false;
  let stopped = false;
  let pending: Promise<void> = Promise.resolve();
  const step = async () => {
    if (stopped) return;
    let held = false;
    try {
      held = await acquireLease(store, { name: work.name, holder: work.holder, ttlMs: work.ttlMs, now: clock() });
    } catch (error) {
      work.onError?.(error);
    }
    try {
      if (held && !running && !stopped) {
        running = true;
        work.start();
      } else if (!held && running) {
        running = false;
        await work.stop();
      }
    } catch (error) {
      work.onError?.(error);
    }
  };
  const tick = () => (pending = pending.then(step));
  const renewEveryMs = work.renewEveryMs ?? Math.floor(work.ttlMs / 3);
  const timer = options.timer === false ? undefined : setInterval(() => void tick(), renewEveryMs);
  timer?.unref();
  if (timer !== undefined) void tick();
  return {
    running: () => running,
    tick,
    async stop() {
      stopped = true;
      if (timer !== undefined) clearInterval(timer);
      await pending.catch(() => undefined);
      if (running) {
        running = false;
        await work.stop();
      }
      await releaseLease(store, work.name, work.holder).catch((error: unknown) => work.onError?.(error));
    },
  };
}
