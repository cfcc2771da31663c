// Payments held for a risk review (payment_review_holds, migration 211): the decision that held it,
// the ledger hold once placed, the deadline, and the resolution — decided in the database BEFORE the
// money moves, so a crash between the decision and the ledger leaves a row the sweep finishes the same
// way, and a release and an expiry can never both win. Written once for both stores.
import type { Queryable, Tx } from '../../store/index.ts';
import {
  fieldsOfRow, reviewHoldTable, type ReviewHoldFields, type ReviewResolution,
} from './review-hold-table.ts';

export type { ReviewHoldState, ReviewResolution } from './review-hold-table.ts';

export interface ReviewHold extends ReviewHoldFields {
  readonly paymentId: string;
}

const holds = reviewHoldTable<ReviewHold>('payment_review_holds', 'payment_id', (r) => ({
  paymentId: r.payment_id as string, ...fieldsOfRow(r),
}));

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

export function reviewHoldOf(q: Queryable, paymentId: string): Promise<ReviewHold | undefined> {
  return holds.of(q, paymentId);
}

/** Records the ledger hold once placed; false when the row had already moved on. */
export function markReviewHoldPlaced(tx: Tx, paymentId: string, holdSeq: bigint, now: number): Promise<boolean> {
  return holds.markPlaced(tx, paymentId, holdSeq, now);
}

/** Takes the resolution if nobody took one yet (the row is the arbiter); false otherwise. */
export function claimReviewResolution(
  tx: Tx, paymentId: string, resolution: ReviewResolution, by: string, now: number,
): Promise<boolean> {
  return holds.claimResolution(tx, paymentId, resolution, by, now);
}

export function finishReviewHold(
  tx: Tx, paymentId: string, state: 'released' | 'rejected', holdSeq: bigint | null, now: number,
): Promise<void> {
  return holds.finish(tx, paymentId, state, holdSeq, now);
}

/**
 * What the sweep must finish: holds past their deadline, holds never placed (a crash after the
 * payment's commit) and resolutions whose money step was interrupted, both older than `stuckBefore`.
 */
export function reviewHoldsToSweep(
  q: Queryable, now: number, stuckBefore: number, limit: number,
): Promise<ReviewHold[]> {
  return holds.toSweep(q, now, stuckBefore, limit);
}
