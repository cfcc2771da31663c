// Refusals of unauthenticated or unauthorised requests cost bounded audit space: per source and
// kind of refusal, the first in a time window is audited in full, the rest are only counted, and
// the count is written as one entry (`details.repeated`) when the window closes. A flood of N junk
// requests from one address thus adds about two entries per window instead of N, and stays visible.
import type { Store, Tx } from '../store/index.ts';
import { appendAudit } from './append-audit.ts';
import type { AuditEvent } from './canonical-entry.ts';

export interface RefusalWindowsLimits {
  readonly windowMs: number;
  /** Distinct (source, kind) pairs tracked per window; more fall into one overflow count per action. */
  readonly keysMax: number;
}

interface OpenWindow {
  readonly start: number;
  readonly first: AuditEvent;
  repeated: number;
}

/** One closed window's count, ready to be audited. */
export interface RepeatedRefusals {
  readonly first: AuditEvent;
  readonly start: number;
  readonly end: number;
  readonly repeated: number;
}

const overflowSource = '*';

/** The bookkeeping alone (no I/O, the time passed in): which refusal to audit, which to count. */
export class RefusalWindows {
  readonly #limits: RefusalWindowsLimits;
  readonly #open = new Map<string, OpenWindow>();

  constructor(limits: RefusalWindowsLimits) {
    this.#limits = limits;
  }

  /** `audit` for the first of its kind in this window (plus any window of its kind that just closed), else `counted`. */
  note(
    event: AuditEvent,
    kind: string,
    now: number,
  ): { readonly verdict: 'audit' | 'counted'; readonly closed: RepeatedRefusals[] } {
    const start = now - (now % this.#limits.windowMs);
    let key = `${event.ip ?? '-'}\u0000${kind}`;
    let first = event;
    if (!this.#open.has(key) && this.#open.size >= this.#limits.keysMax) {
      key = `${overflowSource}\u0000${event.action}`;
      first = {
        actorType: event.actorType,
        actorId: null,
        action: event.action,
        target: null,
        outcome: event.outcome,
        ip: overflowSource,
        details: { overflow: true },
      };
    }
    const open = this.#open.get(key);
    if (open !== undefined && open.start === start) {
      open.repeated += 1;
      return { verdict: 'counted', closed: [] };
    }
    this.#open.set(key, { start, first, repeated: 0 });
    const closed = open === undefined ? [] : this.#closedOf(open);
    return { verdict: 'audit', closed };
  }

  /** Windows that ended before `now` (every window when `all`), removed from the bookkeeping. */
  takeClosed(now: number, all = false): RepeatedRefusals[] {
    const closed: RepeatedRefusals[] = [];
    for (const [key, open] of this.#open) {
      if (!all && open.start + this.#limits.windowMs > now) continue;
      this.#open.delete(key);
      closed.push(...this.#closedOf(open));
    }
    return closed;
  }

  #closedOf(open: OpenWindow): RepeatedRefusals[] {
    return open.repeated === 0
      ? []
      : [{ first: open.first, start: open.start, end: open.start + this.#limits.windowMs, repeated: open.repeated }];
  }
}

/** The audit entry that stands for the counted refusals of one window. */
export function repeatedRefusalsEvent(closed: RepeatedRefusals): AuditEvent {
  const { first } = closed;
  return {
    actorType: first.actorType,
    actorId: first.actorId,
    action: first.action,
    target: null,
    outcome: first.outcome,
    ip: first.ip ?? null,
    device: null,
    details: { ...first.details, repeated: closed.repeated, windowStart: closed.start, windowEnd: closed.end },
  };
}

export interface RefusalLog {
  /**
   * Audits a refusal (with `alsoInTx`, e.g. its security event, in the same transaction) when it is
   * the first of its `kind` from its source in this window; otherwise only counts it.
   */
  record(event: AuditEvent, kind: string, alsoInTx?: (tx: Tx) => Promise<void>): Promise<void>;
  /** Writes the counts of every window, closed or not (at shutdown). */
  close(): Promise<void>;
}

export function openRefusalLog(options: {
  store: Store;
  clock: () => number;
  limits: RefusalWindowsLimits;
  onError?: (error: unknown) => void;
}): RefusalLog {
  const { store, clock } = options;
  const windows = new RefusalWindows(options.limits);
  const write = (events: AuditEvent[], alsoInTx?: (tx: Tx) => Promise<void>) =>
    store.transaction(async (tx) => {
      if (alsoInTx !== undefined) await alsoInTx(tx);
      await appendAudit(tx, events, clock());
    });
  const flush = async (all: boolean) => {
    const closed = windows.takeClosed(clock(), all);
    if (closed.length > 0) await write(closed.map(repeatedRefusalsEvent));
  };
  // Windows of sources that went quiet are written by this sweep; busy ones as their next refusal arrives.
  const sweep = setInterval(
    () => flush(false).catch((error: unknown) => options.onError?.(error)),
    options.limits.windowMs,
  );
  sweep.unref();
  return {
    async record(event, kind, alsoInTx) {
      const { verdict, closed } = windows.note(event, kind, clock());
      if (verdict === 'counted') return;
      await write([...closed.map(repeatedRefusalsEvent), event], alsoInTx);
    },
    async close() {
      clearInterval(sweep);
      // Shutdown must not fail on it: a store already closed loses these counts, reported to onError.
      await flush(true).catch((error: unknown) => options.onError?.(error));
    },
  };
}
