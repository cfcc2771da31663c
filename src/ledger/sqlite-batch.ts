// Applies a batch on SQLite: one BEGIN IMMEDIATE transaction (the write lock is held from the
// first read, so balances read here are the balances written), load → decide → persist, one fsync.
//
// Speed: account rows this connection committed are kept in memory and reused while nothing else
// wrote to the database — `PRAGMA data_version` changes when another connection commits and
// `total_changes()` when this connection writes outside the committer; either clears the cache.
// Journal rows and account updates go in multi-row statements, which costs a fraction of one
// statement per row.
import type Database from 'better-sqlite3';
import type { InlineSqliteStore, Row, SqliteStore, ThreadedSqliteStore } from '../store/index.ts';
import { decideBatch, keysOf, type NewTransfer, type StoredTransfer, type Unit, type Verdict, type WorkingAccount, type WorkingHold } from './decide.ts';
import { sqliteAuditAppender } from '../audit/index.ts';
import { postingsEvent } from './journal-digest.ts';
import { accountColumns, holdColumns, storedTransferFromRow, transferColumns, workingAccountFromRow, workingHoldFromRow } from './rows.ts';

const rowsPerStatement = 64;
/** Past this many cached account rows the cache starts again (about 200 bytes each). */
const cachedAccountsMax = 1_000_000;

/** Prepared multi-row statements: one for full chunks, one per remainder size as it is first needed. */
function chunked(db: Database.Database, sqlFor: (rows: number) => string) {
  const statements = new Map<number, Database.Statement>();
  return (rows: number): Database.Statement => {
    let statement = statements.get(rows);
    if (statement === undefined) {
      statement = db.prepare(sqlFor(rows));
      statements.set(rows, statement);
    }
    return statement;
  };
}

const placeholders = (rows: number, columns: number) => Array.from({ length: rows }, () => `(${Array.from({ length: columns }, () => '?').join(', ')})`).join(', ');

function journalWriter(db: Database.Database) {
  const insert = chunked(db, (rows) =>
    `INSERT INTO ledger_transfers (idempotency_key, request_hash, kind, debit_account_id, credit_account_id, amount, currency, hold_seq, reference, created_at) VALUES ${placeholders(rows, 10)}`);
  const insertHold = db.prepare(
    `INSERT INTO ledger_holds (seq, debit_account_id, credit_account_id, amount, currency, state, expires_at) VALUES (?, ?, ?, ?, ?, 'pending', ?)`,
  );
  return (appended: readonly NewTransfer[]): void => {
    for (let start = 0; start < appended.length; start += rowsPerStatement) {
      const chunk = appended.slice(start, start + rowsPerStatement);
      const params: unknown[] = [];
      for (const t of chunk) params.push(t.key, t.requestHash, t.kind, t.debitAccountId, t.creditAccountId, t.amount, t.currency, t.holdSeq, t.reference, t.createdAt);
      // Under the write lock rowids are assigned max+1, in order: the chunk's seqs end at the last one.
      const last = BigInt(insert(chunk.length).run(...params).lastInsertRowid);
      chunk.forEach((t, i) => {
        t.seq = last - BigInt(chunk.length - 1 - i);
      });
    }
    for (const t of appended) if (t.kind === 'hold') insertHold.run(t.seq, t.debitAccountId, t.creditAccountId, t.amount, t.currency, t.expiresAt);
  };
}

function accountWriter(db: Database.Database) {
  const update = chunked(db, (rows) =>
    `UPDATE ledger_accounts SET debits_posted = v.column2, credits_posted = v.column3, debits_pending = v.column4, credits_pending = v.column5
     FROM (VALUES ${placeholders(rows, 5)}) AS v WHERE ledger_accounts.id = v.column1`);
  return (accounts: readonly WorkingAccount[]): void => {
    for (let start = 0; start < accounts.length; start += rowsPerStatement) {
      const chunk = accounts.slice(start, start + rowsPerStatement);
      const params: unknown[] = [];
      for (const a of chunk) params.push(a.id, a.debitsPosted, a.creditsPosted, a.debitsPending, a.creditsPending);
      if (update(chunk.length).run(...params).changes !== chunk.length) throw new Error('ledger invariant: an account to update is missing');
    }
  };
}

/** Loads the holds and earlier transfers a batch names; the accounts it touches include the holds' accounts. */
function holdAndTransferLoader(db: Database.Database) {
  const selectHold = db.prepare(`SELECT ${holdColumns} FROM ledger_holds WHERE seq = ?`);
  const selectByKey = db.prepare(`SELECT ${transferColumns} FROM ledger_transfers WHERE idempotency_key = ?`);
  return (batch: readonly Unit[]) => {
    const { accountIds, holdSeqs, keys } = keysOf(batch);
    const holds = new Map<bigint, WorkingHold>();
    for (const seq of holdSeqs) {
      const row = selectHold.get(seq) as Row | undefined;
      if (row === undefined) continue;
      const hold = workingHoldFromRow(row);
      holds.set(seq, hold);
      accountIds.add(hold.debitAccountId);
      accountIds.add(hold.creditAccountId);
    }
    const existing = new Map<string, StoredTransfer>();
    for (const key of keys) {
      const row = selectByKey.get(key) as Row | undefined;
      if (row !== undefined) existing.set(key, storedTransferFromRow(row));
    }
    return { accountIds, holds, existing };
  };
}

export interface SqliteBatchApplier {
  /** The committer's batch: its own BEGIN IMMEDIATE transaction, one fsync. */
  readonly commit: (batch: readonly Unit[], now: number) => Promise<Verdict[][]>;
  /** Inside a transaction the caller holds on this store (a savepoint within it); commits with the caller's. */
  readonly within: (batch: readonly Unit[], now: number) => Promise<Verdict[][]>;
}

/** The applier on one connection, synchronous: the caller serialises (`exclusive`, or its transaction). */
export interface ConnectionBatchApplier {
  /** Opens, applies and commits a batch; no transaction may be open on the connection. */
  readonly commitNow: (batch: readonly Unit[], now: number) => Verdict[][];
  readonly within: (batch: readonly Unit[], now: number) => Verdict[][];
}

export function connectionBatchApplier(db: Database.Database): ConnectionBatchApplier {
  const selectAccount = db.prepare(`SELECT ${accountColumns} FROM ledger_accounts WHERE id = ?`);
  const loadHoldsAndTransfers = holdAndTransferLoader(db);
  const resolveHold = db.prepare(`UPDATE ledger_holds SET state = ?, resolved_seq = ? WHERE seq = ? AND state = 'pending'`);
  const dataVersion = db.prepare('PRAGMA data_version').pluck();
  const totalChanges = db.prepare('SELECT total_changes()').pluck();
  const writeJournal = journalWriter(db);
  const writeAccounts = accountWriter(db);
  const appendAudit = sqliteAuditAppender(db);

  const committed = new Map<string, WorkingAccount>();
  let seen = { dataVersion: -1n, totalChanges: -1n };

  const loadAccount = (id: string): WorkingAccount | undefined => {
    const cached = committed.get(id);
    if (cached !== undefined) return { ...cached };
    const row = selectAccount.get(id) as Row | undefined;
    return row === undefined ? undefined : workingAccountFromRow(row);
  };

  const applyLocked = db.transaction((batch: readonly Unit[], now: number) => {
    if (dataVersion.get() !== seen.dataVersion || totalChanges.get() !== seen.totalChanges || committed.size > cachedAccountsMax) committed.clear();
    const { accountIds, holds, existing } = loadHoldsAndTransfers(batch);
    const accounts = new Map<string, WorkingAccount>();
    for (const id of accountIds) {
      const account = loadAccount(id);
      if (account !== undefined) accounts.set(id, account);
    }

    const decision = decideBatch(batch, { accounts, holds, existing }, now);
    writeJournal(decision.appended);
    if (decision.appended.length > 0) appendAudit([postingsEvent(decision.appended)], now);
    for (const hold of holds.values()) {
      if (hold.resolvedBy === undefined) continue;
      if (resolveHold.run(hold.state, hold.resolvedBy.seq, hold.seq).changes !== 1) throw new Error(`ledger invariant: hold ${hold.seq} was not pending`);
    }
    const touched = [...decision.touchedAccounts].map((id) => accounts.get(id));
    if (touched.some((a) => a === undefined)) throw new Error('ledger invariant: a touched account was not loaded');
    writeAccounts(touched as WorkingAccount[]);
    return { verdicts: decision.verdicts, accounts };
  });

  const within = (batch: readonly Unit[], now: number): Verdict[][] => {
    if (!db.inTransaction) throw new Error('ledger invariant: within() needs the caller’s open transaction');
    // The caller may still roll back: nothing from this batch may enter the committed-rows cache.
    committed.clear();
    return applyLocked(batch, now).verdicts;
  };

  const commitNow = (batch: readonly Unit[], now: number): Verdict[][] => {
    try {
      const { verdicts, accounts } = applyLocked.immediate(batch, now);
      // Committed: these rows are now what the database holds.
      for (const [id, account] of accounts) committed.set(id, account);
      seen = { dataVersion: dataVersion.get() as bigint, totalChanges: totalChanges.get() as bigint };
      return verdicts;
    } catch (error) {
      committed.clear();
      throw error;
    }
  };
  return { commitNow, within };
}

type BatchProcedure = (batch: readonly Unit[], now: number) => Verdict[][];

/** What the writer thread of a threaded store runs (sqlite-threaded.ts loads this module there). */
export function writerProcedures(db: Database.Database): Record<string, BatchProcedure> {
  const applier = connectionBatchApplier(db);
  return { 'ledger.commit': applier.commitNow, 'ledger.within': applier.within };
}

function inlineBatchApplier(store: InlineSqliteStore): SqliteBatchApplier {
  const applier = connectionBatchApplier(store.db);
  return {
    commit: (batch, now) => store.exclusive(() => applier.commitNow(batch, now)),
    within: async (batch, now) => applier.within(batch, now),
  };
}

/** The same applier in the writer thread: a batch and its verdicts cross as structured clones. */
function threadedBatchApplier(store: ThreadedSqliteStore): SqliteBatchApplier {
  store.writerThread.load(import.meta.url);
  return {
    commit: (batch, now) => store.exclusive(() => store.writerThread.call<Verdict[][]>('ledger.commit', [batch, now])),
    within: (batch, now) => store.writerThread.call<Verdict[][]>('ledger.within', [batch, now]),
  };
}

export function sqliteBatchApplier(store: SqliteStore): SqliteBatchApplier {
  return store.writer === 'inline' ? inlineBatchApplier(store) : threadedBatchApplier(store);
}
