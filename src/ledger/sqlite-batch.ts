// Applies a batch on SQLite: one BEGIN IMMEDIATE transaction (the write lock is held from the
// first read, so balances read here are the balances written), load → decide → persist, one fsync.
import type { SqliteStore } from '../store/index.ts';
import { decideBatch, keysOf, type StoredTransfer, type Submitted, type Verdict, type WorkingAccount, type WorkingHold } from './decide.ts';
import { accountColumns, holdColumns, storedTransferFromRow, transferColumns, workingAccountFromRow, workingHoldFromRow } from './rows.ts';
import type { Row } from '../store/index.ts';

export function sqliteBatchApplier(store: SqliteStore): (batch: readonly Submitted[], now: number) => Promise<Verdict[]> {
  const { db } = store;
  const selectAccount = db.prepare(`SELECT ${accountColumns} FROM ledger_accounts WHERE id = ?`);
  const selectHold = db.prepare(`SELECT ${holdColumns} FROM ledger_holds WHERE seq = ?`);
  const selectByKey = db.prepare(`SELECT ${transferColumns} FROM ledger_transfers WHERE idempotency_key = ?`);
  const insertTransfer = db.prepare(
    `INSERT INTO ledger_transfers (idempotency_key, request_hash, kind, debit_account_id, credit_account_id, amount, currency, hold_seq, reference, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const insertHold = db.prepare(
    `INSERT INTO ledger_holds (seq, debit_account_id, credit_account_id, amount, currency, state, expires_at) VALUES (?, ?, ?, ?, ?, 'pending', ?)`,
  );
  const resolveHold = db.prepare(`UPDATE ledger_holds SET state = ?, resolved_seq = ? WHERE seq = ? AND state = 'pending'`);
  const updateAccount = db.prepare(
    `UPDATE ledger_accounts SET debits_posted = ?, credits_posted = ?, debits_pending = ?, credits_pending = ? WHERE id = ?`,
  );

  const applyLocked = db.transaction((batch: readonly Submitted[], now: number): Verdict[] => {
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
    const accounts = new Map<string, WorkingAccount>();
    for (const id of accountIds) {
      const row = selectAccount.get(id) as Row | undefined;
      if (row !== undefined) accounts.set(id, workingAccountFromRow(row));
    }
    const existing = new Map<string, StoredTransfer>();
    for (const key of keys) {
      const row = selectByKey.get(key) as Row | undefined;
      if (row !== undefined) existing.set(key, storedTransferFromRow(row));
    }

    const decision = decideBatch(batch, { accounts, holds, existing }, now);
    for (const t of decision.appended) {
      const info = insertTransfer.run(t.key, t.requestHash, t.kind, t.debitAccountId, t.creditAccountId, t.amount, t.currency, t.holdSeq, t.reference, t.createdAt);
      t.seq = BigInt(info.lastInsertRowid);
      if (t.kind === 'hold') insertHold.run(t.seq, t.debitAccountId, t.creditAccountId, t.amount, t.currency, t.expiresAt);
    }
    for (const hold of holds.values()) {
      if (hold.resolvedBy === undefined) continue;
      if (resolveHold.run(hold.state, hold.resolvedBy.seq, hold.seq).changes !== 1) throw new Error(`ledger invariant: hold ${hold.seq} was not pending`);
    }
    for (const id of decision.touchedAccounts) {
      const a = accounts.get(id);
      if (a === undefined) throw new Error(`ledger invariant: touched account ${id} was not loaded`);
      updateAccount.run(a.debitsPosted, a.creditsPosted, a.debitsPending, a.creditsPending, id);
    }
    return decision.verdicts;
  });

  return (batch, now) => store.exclusive(() => applyLocked.immediate(batch, now));
}
