// Top-ups and withdrawals held for a risk review (funding_review_holds, migration 208): the decision
// that held it, the withdrawal's ledger hold once placed, the deadline, and the resolution — written
// BEFORE anything moves (the ledger or the bank), so a crash between the decision and the next step
// leaves a row the sweep finishes the same way, and a release and an expiry can never both win.
// Written once for both stores; the same states as payment_review_holds (store/review-holds.ts).
import type { Queryable, Tx } from '../../store/index.ts';
import { fieldsOfRow, reviewHoldTable, type ReviewHoldFields, type ReviewResolution } from './review-hold-table.ts';

/** The row's holdSeq is the withdrawal's ledger hold (wallet → bank settlement); a top-up's stays null. */
export interface FundingReviewHold extends ReviewHoldFields {
  readonly fundingId: string;
}

const holds = reviewHoldTable<FundingReviewHold>('funding_review_holds', 'funding_id', (r) => ({
  fundingId: r.funding_id as string, ...fieldsOfRow(r),
}));

/** `placing` for a withdrawal (its hold comes after the commit), `held` for a top-up (nothing to place). */
export async function insertFundingReviewHold(
  tx: Tx,
  row: { fundingId: string; decisionId: string; state: 'placing' | 'held'; expiresAt: number },
  now: number,
): Promise<void> {
  await tx.run(
    `INSERT INTO funding_review_holds (funding_id, decision_id, state, expires_at, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?)`,
    [row.fundingId, row.decisionId, row.state, row.expiresAt, now, now],
  );
}

export function fundingReviewHoldOf(q: Queryable, fundingId: string): Promise<FundingReviewHold | undefined> {
  return holds.of(q, fundingId);
}

/** Records the withdrawal's hold once placed; false when the row had already moved on. */
export function markFundingReviewHoldPlaced(tx: Tx, fundingId: string, holdSeq: bigint, now: number): Promise<boolean> {
  return holds.markPlaced(tx, fundingId, holdSeq, now);
}

/** Takes the resolution if nobody took one yet (the row is the arbiter); false otherwise. */
export function claimFundingReviewResolution(
  tx: Tx, fundingId: string, resolution: ReviewResolution, by: string, now: number,
): Promise<boolean> {
  return holds.claimResolution(tx, fundingId, resolution, by, now);
}

export function finishFundingReviewHold(
  tx: Tx, fundingId: string, state: 'released' | 'rejected', holdSeq: bigint | null, now: number,
): Promise<void> {
  return holds.finish(tx, fundingId, state, holdSeq, now);
}

/**
 * What the sweep must finish: reviews past their deadline, withdrawal holds never placed (a crash
 * after the commit) and resolutions a crash interrupted, both older than `stuckBefore`.
 */
export function fundingReviewHoldsToSweep(
  q: Queryable, now: number, stuckBefore: number, limit: number,
): Promise<FundingReviewHold[]> {
  return holds.toSweep(q, now, stuckBefore, limit);
}
