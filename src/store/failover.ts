// What a failover looks like from a client of the store, and how a write survives one. A connection
// that breaks, a server shutting down or starting, a node that turned read-only: the database is
// unavailable for writes *now*. A COMMIT whose answer was lost is worse — it may or may not have
// happened — so it is its own error, and only work that re-checks itself (by idempotency key) may
// be run again after it.

/** SQLSTATEs of a database that cannot take the write now: connection exceptions (class 08),
 *  shutdown and start-up (57P01–57P03), and a read-only node (25006: a replica or a demoted leader). */
const unavailableStates: ReadonlySet<string> = new Set(['57P01', '57P02', '57P03', '25006', '53300']);
const socketCodes: ReadonlySet<string> = new Set([
  'ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTCONN',
]);
const pgMessages = new RegExp(
  '^(Connection terminated|Client has encountered a connection error|'
    + 'timeout exceeded when trying to connect|Client was closed)',
);

export function isConnectionFailure(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (code.startsWith('08') || unavailableStates.has(code) || socketCodes.has(code)) return true;
  }
  const message = (error as { message?: unknown }).message;
  return typeof message === 'string' && pgMessages.test(message);
}

/** A COMMIT was sent and no answer came back: the transaction may have committed or not. */
export class CommitOutcomeUnknown extends Error {
  constructor(cause: unknown) {
    super('the outcome of a COMMIT is unknown (the connection failed while it ran)', { cause });
    this.name = 'CommitOutcomeUnknown';
  }
}

/** The store refuses writes it could not make durable (no synchronous standby, read-only, no leader). */
export class StoreNotDurable extends Error {
  constructor(readonly reason: string) {
    super(`writes are refused: ${reason}`);
    this.name = 'StoreNotDurable';
  }
}

/** Errors after which the request may succeed later, on the same or a new leader. */
export function isStoreUnavailable(error: unknown): boolean {
  return error instanceof CommitOutcomeUnknown || error instanceof StoreNotDurable || isConnectionFailure(error);
}

export interface FailoverRetryOptions {
  /** How long to keep trying while the cluster elects a new leader. */
  readonly waitMs: number;
  readonly clock?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly onRetry?: (error: unknown, attempt: number) => void;
}

// Short: the outage a client sees is the database's plus at most one back-off, and a switchover
// lasts a few seconds (issue 17: ≤ 5 s). One batch per process retries, so polling is cheap.
const backoffMsMax = 500;

/**
 * Runs `work` again while the store is unavailable, until `waitMs` has passed, then gives up with
 * the last error. Only for work that re-checks what it already did — the ledger's batches, which
 * look up every idempotency key first — so a commit whose answer was lost is found, not repeated.
 */
export async function retriedAcrossFailover<T>(work: () => Promise<T>, options: FailoverRetryOptions): Promise<T> {
  const clock = options.clock ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const deadline = clock() + options.waitMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (!isStoreUnavailable(error) || clock() >= deadline) throw error;
      options.onRetry?.(error, attempt);
      await sleep(Math.min(backoffMsMax, 100 * 2 ** Math.min(attempt, 5)));
    }
  }
}
