// Top-ups and withdrawals held for a risk review (funding_review_holds, migration 208): the decision
// that held it, the withdrawal's ledger hold once placed, the deadline, and the resolution — written
// BEFORE anything moves (the ledger or the bank), so a crash between the decision and the next step
// leaves a row the sweep finishes the same way, and a release and an expiry can never both win.
// Written once for both stores; the same states as payment_review_holds (store/review-holds.ts).
import { toBigInt, toNumber, type Queryable, type Row, type Tx } from '../../store/index.ts';
import type { ReviewHoldState, ReviewResolution } from './review-holds.ts';

export interface FundingReviewHold {
  readonly fundingId: string;
  readonly decisionId: string;
  /** The withdrawal's ledger hold (wallet → bank settlement); a top-up holds nothing, it stays null. */
  readonly holdSeq: bigint | null;
  readonly state: ReviewHoldState;
  readonly resolution: ReviewResolution | null;
  readonly resolvedBy: string | null;
  readonly expiresAt: number;
  readonly createdAt: number;
  readonly updatedAt: number;
}

const columns = 'funding_id, decision_id, hold_seq, state, resolution, resolved_by, expires_at, created_at, updated_at';

function fundingReviewHoldOfRow(r: Row): FundingReviewHold {
  return {
    fundingId: r.funding_id as string,
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

export async function fundingReviewHoldOf(q: Queryable, fundingId: string): Promise<FundingReviewHold | undefined> {
  const row = await q.get(`SELECT ${columns} FROM funding_review_holds WHERE funding_id = ?`, [fundingId]);
  return row === undefined ? undefined : fundingReviewHoldOfRow(row);
}

/** Records the withdrawal's hold once placed; false when the row had already moved on. */
export async function markFundingReviewHoldPlaced(
  tx: Tx,
  fundingId: string,
  holdSeq: bigint,
  now: number,
): Promise<boolean> {
  const changed = await tx.run(
    `UPDATE funding_review_holds SET hold_seq = ?, state = 'held', updated_at = ?
     WHERE funding_id = ? AND state = 'placing'`,
    [holdSeq, now, fundingId],
  );
  return changed === 1;
}

/** Takes the resolution if nobody took one yet (the row is the arbiter); false otherwise. */
export async function claimFundingReviewResolution(
  tx: Tx,
  fundingId: string,
  resolution: ReviewResolution,
  by: string,
  now: number,
): Promise<boolean> {
  const changed = await tx.run(
    `UPDATE funding_review_holds SET state = 'resolving', resolution = ?, resolved_by = ?, updated_at = ?
     WHERE funding_id = ? AND state IN ('placing', 'held') AND resolution IS NULL`,
    [resolution, by, now, fundingId],
  );
  return changed === 1;
}

export async function finishFundingReviewHold(
  tx: Tx,
  fundingId: string,
  state: 'released' | 'rejected',
  holdSeq: bigint | null,
  now: number,
): Promise<void> {
  await tx.run(
    `UPDATE funding_review_holds SET state = ?, hold_seq = COALESCE(hold_seq, ?), updated_at = ?
     WHERE funding_id = ? AND state = 'resolving'`,
    [state, holdSeq, now, fundingId],
  );
}

/**
 * What the sweep must finish: reviews past their deadline, withdrawal holds never placed (a crash
 * after the commit) and resolutions a crash interrupted, both older than `stuckBefore`.
 */
export async function fundingReviewHoldsToSweep(
  q: Queryable,
  now: number,
  stuckBefore: number,
  limit: number,
): Promise<FundingReviewHold[]> {
  const rows = await q.all(
    `SELECT ${columns} FROM funding_review_holds
     WHERE (state IN ('placing', 'held') AND expires_at <= ?) OR (state IN ('placing', 'resolving') AND updated_at <= ?)
     ORDER BY expires_at LIMIT ?`,
    [now, stuckBefore, limit],
  );
  return rows.map(fundingReviewHoldOfRow);
}
