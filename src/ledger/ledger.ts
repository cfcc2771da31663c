// The ledger service: accounts, transfers through the committer, holds, queries and verification.
import { createHash } from 'node:crypto';
import { AnfuError } from '../errors.ts';
import { newId } from '../ids.ts';
import { currencyOf } from '../money/index.ts';
import { isStoreUnavailable, type Queryable, type Store, type Tx } from '../store/index.ts';
import { withinLedger } from './within-ledger.ts';
import { Committer } from './committer.ts';
import { toTransfer, type Unit, type Verdict } from './decide.ts';
import type pg from 'pg';
import type { AuditEvent } from '../audit/index.ts';
import { applyBatchIn, postgresBatchApplier, type PostgresDecider } from './postgres-batch.ts';
import { applyByFunctionIn } from './postgres-function.ts';
import { sqliteBatchApplier, type SqliteBatchApplier } from './sqlite-batch.ts';
import { accountColumns, accountFromRow, holdColumns, resolvedSeqOf, transferColumns, transferFromRow, workingHoldFromRow } from './rows.ts';
import type { Account, AccountKind, Hold, LinkedOutcome, Transfer, TransferOutcome, TransferRequest } from './types.ts';
import { verifyLedger, type VerifyReport } from './verify.ts';
import { decodeCursor, encodeCursor, type Page } from './cursor.ts';
import { accountEntriesPage } from './account-entries.ts';

export interface LedgerOptions {
  readonly store: Store;
  readonly clock?: () => number;
  readonly transferBatchMax?: number;
  readonly batchesInFlightMax?: number;
  readonly onBatch?: (size: number, durationMs: number) => void;
  /** PostgreSQL: how long a batch keeps trying while the database fails over (0: fail at once). */
  readonly failoverWaitMs?: number;
  /** PostgreSQL: why writes cannot be made durable now (a durability monitor's answer), or undefined. */
  readonly writeRefusal?: () => string | undefined;
  /** PostgreSQL: who decides a batch — the server-side function, one round trip (default), or decide.ts here. */
  readonly postgresDecider?: PostgresDecider;
}

export interface OpenAccountInput {
  readonly kind: AccountKind;
  readonly currency: string;
  readonly name: string;
  readonly code?: string | undefined;
  readonly ownerId?: string | undefined;
}

/** The largest journal sequence number a BIGINT can hold: the bound of a first journal page. */
const seqMax = 2n ** 63n - 1n;

/** Bank settlement accounts mirror money held at a partner bank: they go negative as money is issued. */
const negativeAllowed: ReadonlySet<AccountKind> = new Set(['bank_settlement']);

export function requestHashOf(request: TransferRequest): string {
  const fields =
    request.kind === 'single' || request.kind === 'hold'
      ? [request.kind, request.debitAccountId, request.creditAccountId, request.amount, request.currency, request.kind === 'hold' ? (request.timeoutMs ?? 'never') : '']
      : [request.kind, request.holdSeq, request.kind === 'post' ? (request.amount ?? '') : ''];
  fields.push(request.reference ?? '');
  return createHash('sha256').update(fields.join('\u0000')).digest('base64url');
}

export function outcomeOf(verdict: Verdict): TransferOutcome {
  switch (verdict.kind) {
    case 'applied':
      return { ok: true, transfer: toTransfer(verdict.transfer), replayed: false };
    case 'replayed':
      return { ok: true, transfer: toTransfer(verdict.transfer), replayed: true };
    case 'refused':
      return { ok: false, code: verdict.code, detail: verdict.detail };
  }
}

/** Linked legs' verdicts as one outcome: all applied (or replayed), or the leg that was refused. */
export function linkedOutcomeOf(verdicts: readonly Verdict[]): LinkedOutcome {
  const outcomes = verdicts.map(outcomeOf);
  const index = outcomes.findIndex((o) => !o.ok && o.code !== 'linked_transfer_failed');
  const failed = outcomes[index];
  if (failed !== undefined && !failed.ok) return { ok: false, index, code: failed.code, detail: failed.detail };
  const transfers = outcomes.map((o) => (o.ok ? o.transfer : undefined)).filter((t): t is Transfer => t !== undefined);
  if (transfers.length !== verdicts.length) throw new Error('ledger invariant: a linked unit was neither applied nor refused whole');
  return { ok: true, transfers, replayed: outcomes.every((o) => o.ok && o.replayed) };
}

/** The transaction a caller holds when it applies transfers with its own rows (a combined group commit). */
export type LedgerTransaction = { readonly dialect: 'sqlite' } | { readonly dialect: 'postgres'; readonly client: pg.PoolClient };

export class Ledger {
  readonly store: Store;
  private readonly clock: () => number;
  private readonly committer: Committer<Unit, Verdict[]>;
  private readonly sqlite: SqliteBatchApplier | undefined;
  private readonly closing: Array<() => Promise<void>> = [];
  private readonly postgresDecider: PostgresDecider;
  /** How writes of this ledger's store ride out a failover: group commits of other capabilities use the same. */
  readonly failover: { readonly waitMs: number; readonly writeRefusal: (() => string | undefined) | undefined };

  constructor(options: LedgerOptions) {
    this.store = options.store;
    this.clock = options.clock ?? Date.now;
    const postgres = options.store.dialect === 'postgres';
    this.postgresDecider = options.postgresDecider ?? 'function';
    this.failover = { waitMs: options.failoverWaitMs ?? 0, writeRefusal: options.writeRefusal };
    this.sqlite = options.store.dialect === 'sqlite' ? sqliteBatchApplier(options.store) : undefined;
    this.committer = new Committer<Unit, Verdict[]>({
      apply: options.store.dialect === 'postgres'
        ? postgresBatchApplier(
          options.store,
          { failoverWaitMs: options.failoverWaitMs ?? 0, writeRefusal: options.writeRefusal },
          this.postgresDecider,
        )
        : (this.sqlite as SqliteBatchApplier).commit,
      // A database that cannot take writes fails the whole batch; trying each transfer alone would only wait again.
      isBatchWideFailure: isStoreUnavailable,
      clock: this.clock,
      transferBatchMax: options.transferBatchMax ?? (postgres ? 1000 : 4000),
      batchesInFlightMax: options.batchesInFlightMax ?? (postgres ? 2 : 1),
      ...(options.onBatch === undefined ? {} : { onBatch: options.onBatch }),
    });
  }

  async openAccount(input: OpenAccountInput): Promise<Account> {
    currencyOf(input.currency);
    const id = newId('acc', this.clock());
    const allowNegative = negativeAllowed.has(input.kind) ? 1 : 0;
    const row = await this.store.transaction(async (tx) => {
      if (input.code !== undefined && (await tx.get('SELECT id FROM ledger_accounts WHERE code = ?', [input.code])) !== undefined) {
        throw new AnfuError('account_exists', 'an account with this code already exists');
      }
      await tx.run(
        'INSERT INTO ledger_accounts (id, code, kind, currency, name, owner_id, allow_negative, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
        [id, input.code ?? null, input.kind, input.currency, input.name, input.ownerId ?? null, allowNegative, this.clock()],
      );
      return tx.get(`SELECT ${accountColumns} FROM ledger_accounts WHERE id = ?`, [id]);
    });
    if (row === undefined) throw new Error('ledger invariant: account vanished after insert');
    return accountFromRow(row);
  }

  async account(id: string): Promise<Account | undefined> {
    const row = await this.store.get(`SELECT ${accountColumns} FROM ledger_accounts WHERE id = ?`, [id]);
    return row === undefined ? undefined : accountFromRow(row);
  }

  async accountByCode(code: string): Promise<Account | undefined> {
    const row = await this.store.get(`SELECT ${accountColumns} FROM ledger_accounts WHERE code = ?`, [code]);
    return row === undefined ? undefined : accountFromRow(row);
  }

  async listAccounts(filter: { kind?: AccountKind | undefined; ownerId?: string | undefined; cursor?: string | undefined; limit: number }): Promise<Page<Account>> {
    const after = filter.cursor === undefined ? '' : decodeCursor(filter.cursor);
    const rows = await this.store.all(
      `SELECT ${accountColumns} FROM ledger_accounts WHERE id > ? AND (CAST(? AS TEXT) IS NULL OR kind = ?) AND (CAST(? AS TEXT) IS NULL OR owner_id = ?) ORDER BY id LIMIT ?`,
      [after, filter.kind ?? null, filter.kind ?? null, filter.ownerId ?? null, filter.ownerId ?? null, filter.limit + 1],
    );
    const items = rows.slice(0, filter.limit).map(accountFromRow);
    const last = items.at(-1);
    return { items, nextCursor: rows.length > filter.limit && last !== undefined ? encodeCursor(last.id) : null };
  }

  /** Submits any transfer request through the group committer; settles after the durable commit. */
  async submit(request: TransferRequest): Promise<TransferOutcome> {
    const [verdict] = await this.committer.submit([{ request, requestHash: requestHashOf(request) }]);
    if (verdict === undefined) throw new Error('ledger invariant: a transfer got no verdict');
    return outcomeOf(verdict);
  }

  /**
   * Submits transfers that must apply all together or not at all (a payment and its fee, a refund
   * and the fee returned): one unit in one batch, one durable commit.
   */
  async submitLinked(requests: readonly TransferRequest[]): Promise<LinkedOutcome> {
    if (requests.length === 0) throw new Error('submitLinked needs at least one transfer');
    return linkedOutcomeOf(await this.committer.submit(requests.map((request) => ({ request, requestHash: requestHashOf(request) }))));
  }

  /**
   * Applies units of linked transfers inside the caller's open transaction, so the caller's own rows
   * (a payment's state change, its audit entries) and the postings commit together with one fsync.
   * Same decisions, locks (account rows in id order) and audit entry as a committer batch. On
   * PostgreSQL the postings' audit entry goes to `auditSink` for the caller to append last (the audit
   * head is the one row every transaction locks: held for the shortest time at the end).
   */
  async applyWithin(transaction: LedgerTransaction, units: readonly (readonly TransferRequest[])[], auditSink: AuditEvent[]): Promise<LinkedOutcome[]> {
    if (units.length === 0) return [];
    const batch: Unit[] = units.map((requests) => requests.map((request) => ({ request, requestHash: requestHashOf(request) })));
    const now = this.clock();
    let verdicts: Verdict[][];
    if (transaction.dialect === 'postgres') {
      verdicts = this.postgresDecider === 'function'
        ? await applyByFunctionIn(transaction.client, batch, now, auditSink)
        : await applyBatchIn(transaction.client, batch, now, auditSink);
    }
    else if (this.sqlite !== undefined) verdicts = await this.sqlite.within(batch, now);
    else throw new Error('ledger invariant: a SQLite transaction given to a PostgreSQL ledger');
    return verdicts.map(linkedOutcomeOf);
  }

  /** One transaction of the ledger's store for the caller's rows and its postings (applyWithin) together. */
  transaction<T>(work: (tx: Tx, ledgerTx: LedgerTransaction) => Promise<T>): Promise<T> {
    return withinLedger(this.store, work);
  }

  async transfer(seq: bigint): Promise<Transfer | undefined> {
    const row = await this.store.get(`SELECT ${transferColumns} FROM ledger_transfers WHERE seq = ?`, [seq]);
    return row === undefined ? undefined : transferFromRow(row);
  }

  /**
   * The journal entries that carry one reference (a payment, refund or funding id), oldest first; read
   * through `q` when given (a caller's open transaction: on SQLite the store would wait for it to end).
   */
  async transfersByReference(reference: string, limit: number, q: Queryable = this.store): Promise<Transfer[]> {
    const rows = await q.all(
      `SELECT ${transferColumns} FROM ledger_transfers WHERE reference = ? ORDER BY seq LIMIT ?`,
      [reference, limit],
    );
    return rows.map(transferFromRow);
  }

  async hold(seq: bigint): Promise<Hold | undefined> {
    const row = await this.store.get(`SELECT ${holdColumns} FROM ledger_holds WHERE seq = ?`, [seq]);
    return row === undefined ? undefined : { ...workingHoldFromRow(row), resolvedSeq: resolvedSeqOf(row) };
  }

  /**
   * The journal of one account, newest first. On SQLite a page may come back short (even empty) with a
   * cursor when its bucket probes ran out before it filled (account-entries.ts); following the cursors
   * still walks every entry once.
   */
  async journal(accountId: string, options: { cursor?: string | undefined; limit: number }): Promise<Page<Transfer>> {
    const before = options.cursor === undefined ? seqMax : BigInt(decodeCursor(options.cursor, /^[0-9]{1,19}$/));
    const { rows, continueBefore } = await accountEntriesPage(this.store, accountId, before, options.limit + 1);
    const items = rows.slice(0, options.limit).map(transferFromRow);
    const last = items.at(-1);
    if (rows.length > options.limit && last !== undefined) return { items, nextCursor: encodeCursor(String(last.seq)) };
    return { items, nextCursor: continueBefore === undefined ? null : encodeCursor(String(continueBefore)) };
  }

  /** Releases holds whose time has passed. Returns how many were expired. */
  async expireHolds(limit = 1000): Promise<number> {
    const rows = await this.store.all("SELECT seq FROM ledger_holds WHERE state = 'pending' AND expires_at <= ? ORDER BY expires_at LIMIT ?", [this.clock(), limit]);
    const outcomes = await Promise.all(rows.map((row) => this.submit({ kind: 'expire', key: `expire:${String(row.seq)}`, holdSeq: BigInt(row.seq as bigint) })));
    return outcomes.filter((o) => o.ok && !o.replayed).length;
  }

  verify(): Promise<VerifyReport> {
    return verifyLedger(this.store);
  }

  /** Work to drain before the ledger closes (a caller's own group commit that applies transfers within its transactions). */
  whenClosing(work: () => Promise<void>): void {
    this.closing.push(work);
  }

  async close(): Promise<void> {
    for (const work of this.closing.splice(0)) await work();
    await this.committer.close();
  }
}
