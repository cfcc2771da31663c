// Per-statement timing for a bench (`--statements`): wraps a SQLite store so every statement run inside
// a transaction is timed (better-sqlite3 runs it synchronously inside the call, so the time around the
// call is the statement's own: parse, plan, B-tree reads and writes) and its rows counted, grouped by the
// statement's shape with its placeholder lists folded. The ledger's SQLite hot path runs on the
// connection directly and is not seen; it is the same with and without the risk engine.
import { PerformanceObserver } from 'node:perf_hooks';
import type { Param, SqliteStore, Store, Tx } from '../src/store/index.ts';

interface Tally {
  calls: number;
  rows: number;
  us: number;
}

export interface StatementTimes {
  /** Statement shape → calls, rows written (INSERT tuples) or read, microseconds. */
  readonly statements: Map<string, Tally>;
  transactions: number;
  gcUs: number;
}

export function newStatementTimes(): StatementTimes {
  return { statements: new Map(), transactions: 0, gcUs: 0 };
}

/** The statement with its `?` lists and tuples folded and its whitespace collapsed. */
export function shapeOf(sql: string): string {
  return sql
    .replace(/\s+/g, ' ')
    .replace(/\?(, \?)+/g, '?…')
    .replaceAll('(?…), ', '')
    .replaceAll('(?), ', '')
    .slice(0, 110);
}

function rowsWritten(sql: string, params: readonly Param[] | undefined): number | undefined {
  const tuple = /VALUES \(([^)]*)\)/.exec(sql.replace(/\s+/g, ' '));
  if (tuple === null || params === undefined) return undefined;
  return params.length / (tuple[1] ?? '').split(',').length;
}

function timedTx(tx: Tx, sink: () => StatementTimes): Tx {
  const timed = async <T>(sql: string, params: readonly Param[] | undefined, call: () => Promise<T>): Promise<T> => {
    const start = process.hrtime.bigint();
    const result = call();
    const us = Number(process.hrtime.bigint() - start) / 1000;
    const value = await result;
    const read = Array.isArray(value) ? value.length : value === undefined ? 0 : 1;
    const tally = sink().statements.get(shapeOf(sql)) ?? { calls: 0, rows: 0, us: 0 };
    tally.calls += 1;
    tally.rows += rowsWritten(sql, params) ?? read;
    tally.us += us;
    sink().statements.set(shapeOf(sql), tally);
    return value;
  };
  return {
    all: (sql, params) => timed(sql, params, () => tx.all(sql, params)),
    get: (sql, params) => timed(sql, params, () => tx.get(sql, params)),
    run: (sql, params) => timed(sql, params, () => tx.run(sql, params)),
  };
}

/** The store with its transactions' statements timed into whichever tally `sink` returns at the time. */
export function timedStore(store: Store, sink: () => StatementTimes): Store {
  if (store.dialect !== 'sqlite') throw new Error('--statements times SQLite only (PostgreSQL answers asynchronously)');
  const gc = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) sink().gcUs += entry.duration * 1000;
  });
  gc.observe({ entryTypes: ['gc'] });
  const wrapped: SqliteStore = {
    ...store,
    transaction: (work) =>
      store.transaction((tx) => {
        sink().transactions += 1;
        return work(timedTx(tx, sink));
      }),
    close: async () => {
      gc.disconnect();
      await store.close();
    },
  };
  return wrapped;
}

/** Per payment: the statements that cost most first, in µs and rows. */
export function perPayment(times: StatementTimes, payments: number): Record<string, unknown> {
  const rounded = (n: number) => Math.round((n / payments) * 100) / 100;
  const statements = [...times.statements.entries()]
    .sort(([, a], [, b]) => b.us - a.us)
    .map(([shape, t]) => ({ shape, us: rounded(t.us), rows: rounded(t.rows), calls: t.calls }));
  const total = [...times.statements.values()].reduce((sum, t) => sum + t.us, 0);
  return {
    statements_us: rounded(total),
    gc_us: rounded(times.gcUs),
    payments_per_transaction: Math.round((payments / Math.max(1, times.transactions)) * 10) / 10,
    statements,
  };
}
