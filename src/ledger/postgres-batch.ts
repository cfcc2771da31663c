// Applies a batch on PostgreSQL: one transaction, a constant number of round trips whatever the
// batch size. Account rows are locked in id order and holds in seq order, so concurrent batches
// from several processes queue behind each other instead of deadlocking.
import type pg from 'pg';
import {
  StoreNotDurable, oneStatementTransaction, replayFenceSql, retriedAcrossFailover, retriedTransaction,
  transientFailures,
  type PostgresStore, type Row,
} from '../store/index.ts';
import { applyFunctionParams, applyFunctionSql, verdictsOfRows } from './postgres-function.ts';
import { decideBatch, keysOf, type NewTransfer, type StoredTransfer, type Unit, type Verdict, type WorkingAccount, type WorkingHold } from './decide.ts';
import { appendAuditWithClient, type AuditEvent } from '../audit/index.ts';
import { postingsEvent } from './journal-digest.ts';
import { accountColumns, holdColumns, storedTransferFromRow, transferColumns, workingAccountFromRow, workingHoldFromRow } from './rows.ts';

/** A batch is tried again whole after a deadlock, a serialisation failure, or a key raced by another process (23505). */
const retryOn: ReadonlySet<string> = new Set([...transientFailures, '23505']);
const attemptsMax = 8;

/**
 * `failoverWaitMs`: how long a batch keeps trying while the database fails over. Running a batch
 * again is safe whatever happened to the last try — even a COMMIT whose answer was lost — because
 * it first looks up every idempotency key on the (new) leader: a transfer that did commit comes
 * back as a replay, one that did not is applied once.
 */
export interface FailoverOptions {
  readonly failoverWaitMs: number;
  /** Why writes cannot be made durable now (no synchronous standby, read-only), or undefined. */
  readonly writeRefusal?: (() => string | undefined) | undefined;
}

/**
 * Where a batch is decided: 'function' (default) — anfu_ledger_apply decides and writes in one
 * statement, one round trip; 'typescript' — decide.ts on rows loaded under lock, ~7 round trips
 * (kept as the reference the function is tested against, and for the bench's before/after).
 */
export type PostgresDecider = 'function' | 'typescript';

export function postgresBatchApplier(
  store: PostgresStore,
  failover: FailoverOptions = { failoverWaitMs: 0 },
  decider: PostgresDecider = 'function',
): (batch: readonly Unit[], now: number) => Promise<Verdict[][]> {
  const attempt = (batch: readonly Unit[], now: number) => {
    const refusal = failover.writeRefusal?.();
    if (refusal !== undefined) return Promise.reject(new StoreNotDurable(refusal));
    if (decider === 'function') return applyByFunction(store, batch, now);
    return retriedTransaction(store, (client) => applyBatchIn(client, batch, now), { retryOn, attemptsMax });
  };
  return (batch, now) => retriedAcrossFailover(() => attempt(batch, now), { waitMs: failover.failoverWaitMs });
}

/** One statement, its own transaction; run again whole after a deadlock, serialisation failure or raced key. */
async function applyByFunction(store: PostgresStore, batch: readonly Unit[], now: number): Promise<Verdict[][]> {
  const params = applyFunctionParams(batch, now, true);
  for (let attempt = 1; ; attempt++) {
    try {
      const result = await oneStatementTransaction(store.pool, applyFunctionSql, params);
      return verdictsOfRows(batch, result.rows as Row[]);
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (attempt >= attemptsMax || code === undefined || !retryOn.has(code)) throw error;
    }
  }
}

/**
 * A replay answers from a row another transaction wrote, and PostgreSQL shows a commit to others
 * before its synchronous standby confirmed it: the fence makes this transaction's COMMIT wait for
 * the standby to hold everything up to it, the replayed row included (store/replay-fence.ts).
 */
async function fenceReplays(client: pg.PoolClient, verdicts: readonly Verdict[][]): Promise<void> {
  const replayed = verdicts.some((unit) => unit.some((verdict) => verdict.kind === 'replayed'));
  if (replayed) await client.query(replayFenceSql);
}

async function load(client: pg.PoolClient, batch: readonly Unit[]) {
  const { accountIds, holdSeqs, keys } = keysOf(batch);
  const holdSeqList = [...holdSeqs].map(String);
  if (holdSeqList.length > 0) {
    // Learn which accounts the holds name, so their rows are locked with the others, in order.
    const peek = await client.query(`SELECT debit_account_id, credit_account_id FROM ledger_holds WHERE seq = ANY($1::bigint[])`, [holdSeqList]);
    for (const row of peek.rows as Row[]) {
      accountIds.add(String(row.debit_account_id));
      accountIds.add(String(row.credit_account_id));
    }
  }
  const accountRows = await client.query(
    `SELECT ${accountColumns} FROM ledger_accounts WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE`,
    [[...accountIds]],
  );
  const accounts = new Map<string, WorkingAccount>();
  for (const row of accountRows.rows as Row[]) accounts.set(String(row.id), workingAccountFromRow(row));
  const holds = new Map<bigint, WorkingHold>();
  if (holdSeqList.length > 0) {
    const holdRows = await client.query(`SELECT ${holdColumns} FROM ledger_holds WHERE seq = ANY($1::bigint[]) ORDER BY seq FOR UPDATE`, [holdSeqList]);
    for (const row of holdRows.rows as Row[]) {
      const hold = workingHoldFromRow(row);
      holds.set(hold.seq, hold);
    }
  }
  const existingRows = await client.query(`SELECT ${transferColumns} FROM ledger_transfers WHERE idempotency_key = ANY($1::text[])`, [[...keys]]);
  const existing = new Map<string, StoredTransfer>();
  for (const row of existingRows.rows as Row[]) existing.set(String(row.idempotency_key), storedTransferFromRow(row));
  return { accounts, holds, existing };
}

/** Applies a batch inside a transaction open on `client` (the committer's own, or a caller's combined one). */
/**
 * `auditSink`: the caller appends the postings' audit entry itself, last in its transaction, so the
 * audit head is locked only at the very end of a combined transaction (flows/commit-payments.ts).
 */
export async function applyBatchIn(client: pg.PoolClient, batch: readonly Unit[], now: number, auditSink?: AuditEvent[]): Promise<Verdict[][]> {
  const state = await load(client, batch);
  const decision = decideBatch(batch, state, now);
  // Every applied transfer touched its two accounts, so rows to append and balances to write go together.
  const touched = [...decision.touchedAccounts].map((id) => state.accounts.get(id)).filter((a): a is WorkingAccount => a !== undefined);
  if (decision.appended.length > 0) await appendTransfers(client, decision.appended, touched);
  const resolved = [...state.holds.values()].filter((h) => h.resolvedBy !== undefined);
  const created = decision.appended.filter((t) => t.kind === 'hold');
  if (created.length > 0) {
    await client.query(
      `INSERT INTO ledger_holds (seq, debit_account_id, credit_account_id, amount, currency, state, expires_at)
       SELECT seq, d, c, amount, cur, 'pending', exp FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::bigint[]) AS u(seq, d, c, amount, cur, exp)`,
      [created.map((t) => String(t.seq)), created.map((t) => t.debitAccountId), created.map((t) => t.creditAccountId),
        created.map((t) => String(t.amount)), created.map((t) => t.currency), created.map((t) => (t.expiresAt === null ? null : String(t.expiresAt)))],
    );
  }
  if (resolved.length > 0) {
    const result = await client.query(
      `UPDATE ledger_holds h SET state = u.state, resolved_seq = u.rseq FROM unnest($1::bigint[], $2::text[], $3::bigint[]) AS u(seq, state, rseq)
       WHERE h.seq = u.seq AND h.state = 'pending'`,
      [resolved.map((h) => String(h.seq)), resolved.map((h) => h.state), resolved.map((h) => String(h.resolvedBy?.seq))],
    );
    if (result.rowCount !== resolved.length) throw new Error('ledger invariant: a resolved hold was not pending');
  }
  // Last, so every transaction takes the audit head's lock after its own rows' locks.
  if (decision.appended.length > 0) {
    if (auditSink === undefined) await appendAuditWithClient(client, [postingsEvent(decision.appended)], now);
    else auditSink.push(postingsEvent(decision.appended));
  }
  await fenceReplays(client, decision.verdicts);
  return decision.verdicts;
}

/**
 * One statement appends the journal rows and writes the touched accounts' counters (a data-modifying
 * CTE always runs): one round trip fewer per batch. The accounts' CHECK still refuses an overdraft.
 */
async function appendTransfers(client: pg.PoolClient, appended: NewTransfer[], touched: readonly WorkingAccount[]): Promise<void> {
  const result = await client.query(
    `WITH balances AS (
       UPDATE ledger_accounts a SET debits_posted = u.dp, credits_posted = u.cp, debits_pending = u.dpe, credits_pending = u.cpe
       FROM unnest($11::text[], $12::bigint[], $13::bigint[], $14::bigint[], $15::bigint[]) AS u(id, dp, cp, dpe, cpe) WHERE a.id = u.id
     )
     INSERT INTO ledger_transfers (idempotency_key, request_hash, kind, debit_account_id, credit_account_id, amount, currency, hold_seq, reference, created_at)
     SELECT k, h, kind, d, c, amount, cur, hs, ref, at
     FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::text[], $8::bigint[], $9::text[], $10::bigint[])
       WITH ORDINALITY AS u(k, h, kind, d, c, amount, cur, hs, ref, at, n)
     ORDER BY n
     RETURNING seq, idempotency_key`,
    [appended.map((t) => t.key), appended.map((t) => t.requestHash), appended.map((t) => t.kind), appended.map((t) => t.debitAccountId),
      appended.map((t) => t.creditAccountId), appended.map((t) => String(t.amount)), appended.map((t) => t.currency),
      appended.map((t) => (t.holdSeq === null ? null : String(t.holdSeq))), appended.map((t) => t.reference), appended.map((t) => String(t.createdAt)),
      touched.map((a) => a.id), touched.map((a) => String(a.debitsPosted)), touched.map((a) => String(a.creditsPosted)),
      touched.map((a) => String(a.debitsPending)), touched.map((a) => String(a.creditsPending))],
  );
  const seqByKey = new Map<string, bigint>();
  for (const row of result.rows as Row[]) seqByKey.set(String(row.idempotency_key), BigInt(row.seq as bigint));
  for (const t of appended) {
    const seq = seqByKey.get(t.key);
    if (seq === undefined) throw new Error('ledger invariant: an appended transfer got no seq');
    t.seq = seq;
  }
}
