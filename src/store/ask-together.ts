// Statements asked for at the same time share one round trip on PostgreSQL (issue 11: a payment made
// ~10 sequential round trips before its batch, each a socket write and a pool checkout on the busy
// event loop). An ask made on the PostgreSQL store itself (never inside a transaction, which must see
// its own writes) joins the next statement of its kind: the asks of one turn of the event loop go out
// as one statement over all their keys, at most `inFlightMax` such statements at a time; asks that
// arrive while those are out wait for the next. With nothing in flight an ask leaves on the next turn
// (setImmediate), so a lone request waits for nothing. Asks with the same identity share one answer
// (a read); a count gives each ask its own identity and answers each in order. SQLite answers
// in-process: there each ask stays its own statement, as does every ask inside a transaction.
import type { PostgresStore, Queryable } from './port.ts';

export interface TogetherOptions {
  /** Keys in one statement at most. */
  readonly keysMax?: number;
  /** Statements of this kind out at once. */
  readonly inFlightMax?: number;
}

/** One ask on one key, and the same over many keys (PostgreSQL), answering in the keys' order. */
export interface KeyedAsk<K, V> {
  one(q: Queryable, key: K): Promise<V>;
  many(store: PostgresStore, keys: readonly K[]): Promise<readonly V[]>;
  /** Asks with equal identities share one answer (a tuple key needs its own identity string). */
  identity(key: K): string;
}

interface Waiting<K, V> {
  readonly key: K;
  readonly resolve: (value: V) => void;
  readonly reject: (error: unknown) => void;
}

function isPostgresStore(q: Queryable): q is PostgresStore {
  const candidate = q as Partial<PostgresStore>;
  return candidate.dialect === 'postgres' && typeof candidate.transaction === 'function'
    && candidate.pool !== undefined;
}

class Batcher<K, V> {
  private waiting: Waiting<K, V>[] = [];
  private scheduled = false;
  private inFlight = 0;

  constructor(
    private readonly store: PostgresStore,
    private readonly read: KeyedAsk<K, V>,
    private readonly keysMax: number,
    private readonly inFlightMax: number,
  ) {}

  ask(key: K): Promise<V> {
    return new Promise<V>((resolve, reject) => {
      this.waiting.push({ key, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.waiting.length === 0 || this.inFlight >= this.inFlightMax) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.send();
    });
  }

  private send(): void {
    while (this.waiting.length > 0 && this.inFlight < this.inFlightMax) {
      const batch = this.takeBatch();
      this.inFlight++;
      void this.answer(batch).finally(() => {
        this.inFlight--;
        this.schedule();
      });
    }
  }

  /** Up to keysMax distinct keys, with every waiter on them. */
  private takeBatch(): Map<string, Waiting<K, V>[]> {
    const batch = new Map<string, Waiting<K, V>[]>();
    let taken = 0;
    for (const waiter of this.waiting) {
      const id = this.read.identity(waiter.key);
      const same = batch.get(id);
      if (same !== undefined) same.push(waiter);
      else if (batch.size < this.keysMax) batch.set(id, [waiter]);
      else break;
      taken++;
    }
    this.waiting = this.waiting.slice(taken);
    return batch;
  }

  private async answer(batch: Map<string, Waiting<K, V>[]>): Promise<void> {
    const groups = [...batch.values()];
    try {
      const values = await this.read.many(this.store, groups.map((waiters) => (waiters[0] as Waiting<K, V>).key));
      if (values.length !== groups.length) {
        throw new Error(`ask together: ${values.length} answers for ${groups.length} keys`);
      }
      groups.forEach((waiters, i) => { for (const waiter of waiters) waiter.resolve(values[i] as V); });
    } catch (error) {
      for (const waiters of groups) for (const waiter of waiters) waiter.reject(error);
    }
  }
}

/** The ask as a function of (queryable, key): joined with others on a PostgreSQL store, alone elsewhere. */
export function askTogether<K, V>(
  read: KeyedAsk<K, V>,
  options: TogetherOptions = {},
): (q: Queryable, key: K) => Promise<V> {
  const batchers = new WeakMap<PostgresStore, Batcher<K, V>>();
  const keysMax = options.keysMax ?? 256;
  const inFlightMax = options.inFlightMax ?? 2;
  return (q, key) => {
    if (!isPostgresStore(q)) return read.one(q, key);
    let batcher = batchers.get(q);
    if (batcher === undefined) batchers.set(q, (batcher = new Batcher(q, read, keysMax, inFlightMax)));
    return batcher.ask(key);
  };
}
