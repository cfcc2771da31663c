// A ledger batch on PostgreSQL in one round trip: the batch goes to anfu_ledger_apply (migration 190)
// as parallel arrays, one element per leg, and comes back as one row per leg. The function decides
// exactly as decide.ts does — decide.ts is the specification, and apply-function.test.ts runs random
// batches through both and requires the same verdicts, balances, journal and audit chain.
import type pg from 'pg';
import { toBigInt, toNumber, type Row } from '../store/index.ts';
import { postingsEvent } from './journal-digest.ts';
import type { AuditEvent } from '../audit/index.ts';
import type { NewTransfer, Unit, Verdict } from './decide.ts';
import type { TransferFailure, TransferKind } from './types.ts';

export const applyFunctionSql = 'SELECT * FROM anfu_ledger_apply($1::int[], $2::text[], $3::text[], $4::text[], '
  + '$5::text[], $6::text[], $7::numeric[], $8::text[], $9::bigint[], $10::text[], $11::bigint[], $12::bigint, '
  + '$13::boolean)';

/** The statement's parameters: one array per field, one element per leg; legs of a unit share its number. */
export function applyFunctionParams(batch: readonly Unit[], now: number, withAudit: boolean): unknown[] {
  const unit: number[] = [];
  const key: string[] = [];
  const hash: string[] = [];
  const kind: string[] = [];
  const debit: (string | null)[] = [];
  const credit: (string | null)[] = [];
  const amount: (string | null)[] = [];
  const currency: (string | null)[] = [];
  const hold: (string | null)[] = [];
  const reference: (string | null)[] = [];
  const timeout: (string | null)[] = [];
  batch.forEach((legs, u) => {
    for (const { request, requestHash } of legs) {
      const movement = request.kind === 'single' || request.kind === 'hold';
      unit.push(u);
      key.push(request.key);
      hash.push(requestHash);
      kind.push(request.kind);
      debit.push(movement ? request.debitAccountId : null);
      credit.push(movement ? request.creditAccountId : null);
      const given = movement || request.kind === 'post' ? request.amount : undefined;
      amount.push(given === undefined ? null : String(given));
      currency.push(movement ? request.currency : null);
      hold.push(movement ? null : String(request.holdSeq));
      reference.push(request.reference ?? null);
      timeout.push(request.kind === 'hold' && request.timeoutMs !== null ? String(request.timeoutMs) : null);
    }
  });
  return [unit, key, hash, kind, debit, credit, amount, currency, hold, reference, timeout, String(now), withAudit];
}

function transferOf(row: Row, requestHash: string): NewTransfer {
  return {
    seq: toBigInt(row.r_seq),
    key: String(row.r_key),
    requestHash,
    kind: String(row.r_kind) as TransferKind,
    debitAccountId: String(row.r_debit),
    creditAccountId: String(row.r_credit),
    amount: toBigInt(row.r_amount),
    currency: String(row.r_currency),
    holdSeq: row.r_hold === null ? null : toBigInt(row.r_hold),
    reference: row.r_reference === null ? null : String(row.r_reference),
    createdAt: toNumber(row.r_created),
    expiresAt: null,
  };
}

/** Rows (one per leg, in leg order) back to one verdict list per unit. */
export function verdictsOfRows(batch: readonly Unit[], rows: readonly Row[]): Verdict[][] {
  let leg = 0;
  return batch.map((legs) => legs.map(({ requestHash }) => {
    const row = rows[leg++];
    if (row === undefined || Number(row.r_leg) !== leg) {
      throw new Error('ledger invariant: anfu_ledger_apply returned too few rows');
    }
    if (row.r_verdict === 'refused') {
      return { kind: 'refused', code: String(row.r_code) as TransferFailure, detail: String(row.r_detail) };
    }
    const transfer = transferOf(row, requestHash);
    return row.r_verdict === 'applied' ? { kind: 'applied', transfer } : { kind: 'replayed', transfer };
  }));
}

/**
 * Inside a transaction a caller holds (the payments' combined group commit): the function writes the
 * postings without their audit entry, which goes to `auditSink` for the caller to append last.
 */
export async function applyByFunctionIn(
  client: pg.PoolClient, batch: readonly Unit[], now: number, auditSink: AuditEvent[],
): Promise<Verdict[][]> {
  const result = await client.query(applyFunctionSql, applyFunctionParams(batch, now, false));
  const verdicts = verdictsOfRows(batch, result.rows as Row[]);
  const appended = verdicts.flat().flatMap((v) => (v.kind === 'applied' ? [v.transfer] : []));
  if (appended.length > 0) auditSink.push(postingsEvent(appended));
  return verdicts;
}
