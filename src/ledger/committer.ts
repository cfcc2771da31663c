// Group commit: transfer requests that arrive while a batch is being written wait in a queue and go
// together in the next database transaction, so one fsync serves many transfers. Each request still
// succeeds or fails on its own, and its promise settles only after the durable commit.
// Generic over what is submitted (for the ledger: a unit of one or more linked legs) and its verdict.

export type BatchApplier<Unit, Verdict> = (batch: readonly Unit[], now: number) => Promise<Verdict[]>;

export interface CommitterOptions<Unit, Verdict> {
  readonly apply: BatchApplier<Unit, Verdict>;
  readonly clock: () => number;
  /** Most requests in one database transaction. */
  readonly transferBatchMax: number;
  /** Batches in flight at once (PostgreSQL can overlap the next batch's reads with a commit). */
  readonly batchesInFlightMax: number;
  /** An error that would fail every request alone as well (the database is unavailable): no one-by-one retry. */
  readonly isBatchWideFailure?: (error: unknown) => boolean;
  /** Called after each batch; metrics hook. */
  readonly onBatch?: (size: number, durationMs: number) => void;
}

interface Waiting<Unit, Verdict> {
  readonly submitted: Unit;
  resolve(verdict: Verdict): void;
  reject(error: unknown): void;
}

export class Committer<Unit, Verdict> {
  private queue: Waiting<Unit, Verdict>[] = [];
  private inFlight = 0;
  private scheduled = false;
  private closed = false;
  private idleWaiters: Array<() => void> = [];

  constructor(private readonly options: CommitterOptions<Unit, Verdict>) {}

  submit(submitted: Unit): Promise<Verdict> {
    if (this.closed) return Promise.reject(new Error('the ledger is closed'));
    return new Promise<Verdict>((resolve, reject) => {
      this.queue.push({ submitted, resolve, reject });
      this.schedule();
    });
  }

  /** Stops taking requests and waits for everything queued to be written. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.queue.length === 0 && this.inFlight === 0) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  private schedule(): void {
    if (this.scheduled || this.queue.length === 0 || this.inFlight >= this.options.batchesInFlightMax) return;
    this.scheduled = true;
    // setImmediate, not a microtask: requests already read from sockets get queued first.
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    const batch = this.queue.splice(0, this.options.transferBatchMax);
    if (batch.length === 0) return;
    this.inFlight++;
    // What is left in the queue may go in the next batch at once if a slot is free; otherwise it
    // would wait for this batch to finish (or a new submit) and batchesInFlightMax would be moot.
    this.schedule();
    const started = performance.now();
    try {
      await this.applyWithFallback(batch);
    } finally {
      this.inFlight--;
      this.options.onBatch?.(batch.length, performance.now() - started);
      this.schedule();
      if (this.queue.length === 0 && this.inFlight === 0) this.idleWaiters.splice(0).forEach((resolve) => resolve());
    }
  }

  private async applyWithFallback(batch: Waiting<Unit, Verdict>[]): Promise<void> {
    try {
      const verdicts = await this.options.apply(batch.map((w) => w.submitted), this.options.clock());
      batch.forEach((waiting, i) => {
        const verdict = verdicts[i];
        if (verdict === undefined) waiting.reject(new Error('ledger invariant: a request got no verdict'));
        else waiting.resolve(verdict);
      });
    } catch (error) {
      if (batch.length === 1 || this.options.isBatchWideFailure?.(error) === true) {
        batch.forEach((waiting) => waiting.reject(error));
        return;
      }
      // One request the database refuses must not fail its neighbours: try each on its own.
      for (const waiting of batch) await this.applyWithFallback([waiting]);
    }
  }
}
