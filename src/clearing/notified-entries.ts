// The camt.054 → camt.053 two step (OCA style) for bookings our ledger does not already account for (an
// entry quoting none of our payments; not a bank charge, which the statement classifies as a fee variance):
// 1. the intraday notification moves the money through the partner's in-transit account — a credit
//    in_transit → suspense (money announced, owed to whoever it turns out to be for), a debit suspense →
//    in_transit (a claim on the bank until explained);
// 2. the end-of-day statement line that carries it settles it — a credit settlement → in_transit, a debit
//    in_transit → settlement — so the settlement account follows the bank and in-transit is back to zero.
// The line is linked to its notification (never posted twice); a notification no statement carried by its
// booking day is marked `not_stated` (reconciliation opens its break); withdrawing it reverses step one.
import type { AuditEvent } from '../audit/index.ts';
import { newId } from '../ids.ts';
import type { LedgerTransaction, TransferRequest } from '../ledger/index.ts';
import type { Queryable, Tx } from '../store/index.ts';
import type { CamtEntry } from './camt.ts';
import { post, type ClearingContext } from './context.ts';
import type { Partner } from './partners.ts';

export interface NotifiedEntry {
  readonly id: string;
  readonly partnerId: string;
  readonly fileId: string;
  readonly bankRef: string | undefined;
  readonly endToEndId: string | undefined;
  readonly direction: 'debit' | 'credit';
  readonly amount: bigint;
  readonly currency: string;
  readonly bookingDate: string;
  readonly state: 'in_transit' | 'stated' | 'not_stated' | 'withdrawn';
  readonly breakId: string | undefined;
}

type Accounts = Pick<Partner, 'settlementAccountId' | 'inTransitAccountId' | 'suspenseAccountId'>;
type Leg = { readonly debit: string; readonly credit: string };

/** Step one: a credit in_transit → suspense, a debit suspense → in_transit. */
export function transitLeg(a: Accounts, direction: 'debit' | 'credit'): Leg {
  return direction === 'credit'
    ? { debit: a.inTransitAccountId, credit: a.suspenseAccountId }
    : { debit: a.suspenseAccountId, credit: a.inTransitAccountId };
}

/** Step two: a credit settlement → in_transit (the bank holds more), a debit in_transit → settlement. */
export function settleLeg(a: Accounts, direction: 'debit' | 'credit'): Leg {
  return direction === 'credit'
    ? { debit: a.settlementAccountId, credit: a.inTransitAccountId }
    : { debit: a.inTransitAccountId, credit: a.settlementAccountId };
}

/** A notification withdrawn (never stated, corrected under four eyes): step one reversed. */
export function withdrawLeg(a: Accounts, direction: 'debit' | 'credit'): Leg {
  const { debit, credit } = transitLeg(a, direction);
  return { debit: credit, credit: debit };
}

const columns =
  'id, partner_id, file_id, bank_ref, end_to_end_id, direction, amount, currency, booking_date, state, break_id';

function notifiedOf(r: Record<string, unknown>): NotifiedEntry {
  return {
    id: r.id as string, partnerId: r.partner_id as string, fileId: r.file_id as string,
    bankRef: (r.bank_ref as string | null) ?? undefined, endToEndId: (r.end_to_end_id as string | null) ?? undefined,
    direction: r.direction as NotifiedEntry['direction'], amount: BigInt(r.amount as bigint),
    currency: r.currency as string, bookingDate: r.booking_date as string, state: r.state as NotifiedEntry['state'],
    breakId: (r.break_id as string | null) ?? undefined,
  };
}

const endToEndOf = (e: CamtEntry): string | undefined => e.details.find((d) => d.endToEndId !== undefined)?.endToEndId;

function unit(key: string, leg: Leg, amount: bigint, currency: string, reference: string): TransferRequest[] {
  return [{ kind: 'single', key, debitAccountId: leg.debit, creditAccountId: leg.credit, amount, currency, reference }];
}

/** Step one for one camt.054 entry, in the notification's transaction. */
export async function announceEntry(
  ctx: ClearingContext, tx: Tx, ledgerTx: LedgerTransaction, partner: Partner, fileId: string, e: CamtEntry,
  audit: AuditEvent[], now: number,
): Promise<void> {
  const id = newId('cne', now);
  const [seqs] = await post(ctx, tx, ledgerTx, [
    unit(`notification:${id}:transit`, transitLeg(partner, e.direction), e.amount, e.currency, e.bankRef ?? id),
  ], audit);
  await tx.run(
    `INSERT INTO clearing_notified_entries (id, partner_id, file_id, bank_ref, end_to_end_id, direction, amount,
      currency, booking_date, state, transit_seq, created_at, updated_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'in_transit', ?, ?, ?)`,
    [id, partner.id, fileId, e.bankRef ?? null, endToEndOf(e) ?? null, e.direction, e.amount, e.currency,
      e.bookingDate, seqs?.[0] ?? null, now, now],
  );
}

/**
 * The open notification a statement line carries: same direction, amount and currency, and the same bank
 * reference when both have one, else the same end-to-end id when the line quotes one, else the same
 * booking day. Oldest first.
 */
export async function notifiedFor(q: Queryable, partnerId: string, e: CamtEntry): Promise<NotifiedEntry | undefined> {
  const rows = await q.all(
    `SELECT ${columns} FROM clearing_notified_entries WHERE partner_id = ? AND state IN ('in_transit', 'not_stated')
      AND direction = ? AND amount = ? AND currency = ? ORDER BY booking_date, id LIMIT 100`,
    [partnerId, e.direction, e.amount, e.currency],
  );
  const e2e = endToEndOf(e);
  return rows.map(notifiedOf).find((n) => {
    if (n.bankRef !== undefined && e.bankRef !== undefined) return n.bankRef === e.bankRef;
    if (e2e !== undefined || n.endToEndId !== undefined) return n.endToEndId === e2e;
    return n.bookingDate === e.bookingDate;
  });
}

/** Step two, in the statement's transaction: posted once (its key), the line linked. */
export async function settleNotified(
  ctx: ClearingContext, tx: Tx, ledgerTx: LedgerTransaction, partner: Partner, n: NotifiedEntry, lineId: string,
  audit: AuditEvent[], now: number,
): Promise<void> {
  const [seqs] = await post(ctx, tx, ledgerTx, [
    unit(`notification:${n.id}:settle`, settleLeg(partner, n.direction), n.amount, n.currency, n.bankRef ?? n.id),
  ], audit);
  const changed = await tx.run(
    `UPDATE clearing_notified_entries SET state = 'stated', line_id = ?, settle_seq = ?, updated_at = ?
      WHERE id = ? AND state IN ('in_transit', 'not_stated')`,
    [lineId, seqs?.[0] ?? null, now, n.id],
  );
  if (changed !== 1) throw new Error('clearing: a notified entry changed during the import; try again');
}

/** Notifications still in transit whose booking day a statement has now closed (the cut-off). */
export async function unstatedBy(q: Queryable, partnerId: string, statementDate: string): Promise<NotifiedEntry[]> {
  return (await q.all(
    `SELECT ${columns} FROM clearing_notified_entries WHERE partner_id = ? AND state = 'in_transit'
      AND booking_date <= ? ORDER BY booking_date, id`,
    [partnerId, statementDate],
  )).map(notifiedOf);
}

export async function markNotStated(q: Queryable, id: string, breakId: string, now: number): Promise<void> {
  await q.run(
    "UPDATE clearing_notified_entries SET state = 'not_stated', break_id = ?, updated_at = ? WHERE id = ? " +
      "AND state = 'in_transit'",
    [breakId, now, id],
  );
}

export async function markWithdrawn(q: Queryable, id: string, now: number): Promise<void> {
  await q.run(
    "UPDATE clearing_notified_entries SET state = 'withdrawn', updated_at = ? WHERE id = ? AND state = 'not_stated'",
    [now, id],
  );
}
