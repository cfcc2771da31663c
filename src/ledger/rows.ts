// Row mapping shared by both adapters and the queries: the columns the ledger reads, in one place.
import { toBigInt, toBool, toNumber, type Row } from '../store/index.ts';
import type { Account, AccountKind, HoldState, Transfer, TransferKind } from './types.ts';
import type { StoredTransfer, WorkingAccount, WorkingHold } from './decide.ts';

export const accountColumns =
  'id, code, kind, currency, name, owner_id, allow_negative, status, debits_posted, credits_posted, debits_pending, credits_pending, created_at';
export const transferColumns =
  'seq, idempotency_key, request_hash, kind, debit_account_id, credit_account_id, amount, currency, hold_seq, reference, created_at';
export const holdColumns = 'seq, debit_account_id, credit_account_id, amount, currency, state, expires_at, resolved_seq';

const nullableBigInt = (value: unknown): bigint | null => (value === null || value === undefined ? null : toBigInt(value));

export function accountFromRow(row: Row): Account {
  return {
    id: String(row.id),
    code: row.code === null ? null : String(row.code),
    kind: String(row.kind) as AccountKind,
    currency: String(row.currency),
    name: String(row.name),
    ownerId: row.owner_id === null ? null : String(row.owner_id),
    allowNegative: toBool(row.allow_negative),
    status: String(row.status) as Account['status'],
    debitsPosted: toBigInt(row.debits_posted),
    creditsPosted: toBigInt(row.credits_posted),
    debitsPending: toBigInt(row.debits_pending),
    creditsPending: toBigInt(row.credits_pending),
    createdAt: toNumber(row.created_at),
  };
}

export function workingAccountFromRow(row: Row): WorkingAccount {
  const { id, currency, allowNegative, status, debitsPosted, creditsPosted, debitsPending, creditsPending } = accountFromRow(row);
  return { id, currency, allowNegative, status, debitsPosted, creditsPosted, debitsPending, creditsPending };
}

export function storedTransferFromRow(row: Row): StoredTransfer {
  return {
    requestHash: String(row.request_hash),
    transfer: {
      seq: toBigInt(row.seq),
      key: String(row.idempotency_key),
      kind: String(row.kind) as TransferKind,
      debitAccountId: String(row.debit_account_id),
      creditAccountId: String(row.credit_account_id),
      amount: toBigInt(row.amount),
      currency: String(row.currency),
      holdSeq: nullableBigInt(row.hold_seq),
      reference: row.reference === null ? null : String(row.reference),
      createdAt: toNumber(row.created_at),
    },
  };
}

export function transferFromRow(row: Row): Transfer {
  return storedTransferFromRow(row).transfer;
}

export function workingHoldFromRow(row: Row): WorkingHold {
  return {
    seq: toBigInt(row.seq),
    debitAccountId: String(row.debit_account_id),
    creditAccountId: String(row.credit_account_id),
    amount: toBigInt(row.amount),
    currency: String(row.currency),
    state: String(row.state) as HoldState,
    expiresAt: row.expires_at === null ? null : toNumber(row.expires_at),
  };
}

export function resolvedSeqOf(row: Row): bigint | null {
  return nullableBigInt(row.resolved_seq);
}
