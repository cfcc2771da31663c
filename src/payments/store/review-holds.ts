// Payments held for a risk review (payment_review_holds, migration 211): the decision that held it,
// the ledger hold once placed, the deadline, and the resolution — decided in the database BEFORE the
// money moves, so a crash between the decision and the ledger leaves a row the sweep finishes the same
// way, and a release and an expiry can never both win. Written once for both stores.
import { toBigInt, toNumber, type Queryable, type Row, type Tx } from '../../store/index.ts';

/** placing (hold not placed yet) → held → resolving (resolution decided, money moving) → released | rejected. */
export type ReviewHoldState = 'placing' | 'held' | 'resolving' | 'released' | 'rejected';
/** release posts the hold; the others void it (fraud labels the decision; expire is the deadline). */
export type ReviewResolution = 'release' | 'reject' | 'fraud' | 'expire';

export interface ReviewHold {
  readonly paymentId: string;
  readonly decisionId: string;
  readonly holdSeq: bigint | null;
  readonly state: ReviewHoldState;
  readonly resolution: ReviewResolution | null;
  readonly resolvedBy: string | null;
  readonly expiresAt: number;
  readonly createdAt: number;
  readonly updatedAt: number;
}

const columns = 'payment_id, decision_id, hold_seq, state, resolution, resolved_by, expires_at, created_at, updated_at';

function reviewHoldOfRow(r: Row): ReviewHold {
  return {
    paymentId: r.payment_id as string,
    decisionId: r.decision_id as string,
    holdSeq: r.hold_seq === null || r.hold_seq === undefined ? null : toBigInt(r.hold_seq),
    state: r.state as ReviewHoldState,
    resolution: (r.resolution ?? null) as ReviewResolution | null,
    resolvedBy: (r.resolved_by ?? null) as string | null,
    expiresAt: toNumber(r.expires_at),
    createdAt: toNumber(r.created_at),
    updatedAt: toNumber(r.updated_at),
  };
}

export async function insertReviewHolds(
  tx: Tx,
  rows: ReadonlyArray<{ paymentId: string; decisionId: string; expiresAt: number }>,
  now: number,
): Promise<void> {
  for (const row of rows) {
    await tx.run(
      `INSERT INTO payment_review_holds (payment_id, decision_id, state, expires_at, created_at, updated_at)
       VALUES (?, ?, 'placing', ?, ?, ?)`,
      [row.paymentId, row.decisionId, row.expiresAt, now, now],
    );
  }
}

export async function reviewHoldOf(q: Queryable, paymentId: string): Promise<ReviewHold | undefined> {
  const row = await q.get(`SELECT ${columns} FROM payment_review_holds WHERE payment_id = ?`, [paymentId]);
  return row === undefined ? undefined : reviewHoldOfRow(row);
}

/** Records the ledger hold once placed; false when the row had already moved on. */
export async function markReviewHoldPlaced(
  tx: Tx,
  paymentId: string,
  holdSeq: bigint,
  now: number,
): Promise<boolean> {
  const changed = await tx.run(
    `UPDATE payment_review_holds SET hold_seq = ?, state = 'held', updated_at = ?
     WHERE payment_id = ? AND state = 'placing'`,
    [holdSeq, now, paymentId],
  );
  return changed === 1;
}

/** Takes the resolution if nobody took one yet (the row is the arbiter); false otherwise. */
export async function claimReviewResolution(
  tx: Tx,
  paymentId: string,
  resolution: ReviewResolution,
  by: string,
  now: number,
): Promise<boolean> {
  const changed = await tx.run(
    `UPDATE payment_review_holds SET state = 'resolving', resolution = ?, resolved_by = ?, updated_at = ?
     WHERE payment_id = ? AND state IN ('placing', 'held') AND resolution IS NULL`,
    [resolution, by, now, paymentId],
  );
  return changed === 1;
}

export async function finishReviewHold(
  tx: Tx,
  paymentId: string,
  state: 'released' | 'rejected',
  holdSeq: bigint | null,
  now: number,
): Promise<void> {
  await tx.run(
    `UPDATE payment_review_holds SET state = ?, hold_seq = COALESCE(hold_seq, ?), updated_at = ?
     WHERE payment_id = ? AND state = 'resolving'`,
    [state, holdSeq, now, paymentId],
  );
}

/**
 * What the sweep must finish: holds past their deadline, holds never placed (a crash after the
 * payment's commit) and resolutions whose money step was interrupted, both older than `stuckBefore`.
 */
export async function reviewHoldsToSweep(
  q: Queryable,
  now: number,
  stuckBefore: number,
  limit: number,
): Promise<ReviewHold[]> {
  const rows = await q.all(
    `SELECT ${columns} FROM payment_review_holds
     WHERE (state IN ('placing', 'held') AND expires_at <= ?) OR (state IN ('placing', 'resolving') AND updated_at <= ?)
     ORDER BY expires_at LIMIT ?`,
    [now, stuckBefore, limit],
  );
  return rows.map(reviewHoldOfRow);
}
