// The database side of a top-up or withdrawal risk control sends to `review` (docs/payments.md "Held
// for review"): it waits `held_for_review` with its funding limit usage reserved, and its review row
// records the decision, the deadline, the withdrawal's ledger hold once placed and the resolution —
// claimed before anything moves. The ledger and the bank are spoken to by the flow
// (flows/hold-funding-for-review.ts); each step here is one transaction.
import type { Queryable, Tx } from '../store/index.ts';
import type { PaymentsContext } from './payments-context.ts';
import { recordFundingTransition, type FundingDetail } from './record-funding-transition.ts';
import { reviewActorOf, unlessMovedOn, type TransitionActor } from './record-transition.ts';
import { releaseFundingLimits } from './reserve-funding-limits.ts';
import { stampForSending, type SendingStamp } from './bank-exchanges.ts';
import { fundingById, recordExchange, type FundingPayment } from './store/funding.ts';
import {
  claimFundingReviewResolution, finishFundingReviewHold, fundingReviewHoldOf, fundingReviewHoldsToSweep,
  insertFundingReviewHold, markFundingReviewHoldPlaced, type FundingReviewHold,
} from './store/funding-review-holds.ts';
import type { ReviewResolution } from './store/review-holds.ts';

export type { FundingReviewHold } from './store/funding-review-holds.ts';

/**
 * In the transaction that creates the funding payment (risk_checked, usage reserved): the walk on to
 * `held_for_review` and its review row, due `ttlMs` ahead. A withdrawal's row starts `placing` (its hold
 * is placed after the commit); a top-up's starts `held`: nothing is sent to the card's bank, so there
 * is nothing to hold.
 */
export async function holdFundingForReview(
  tx: Tx,
  row: FundingPayment,
  review: { readonly decisionId: string; readonly reasons: readonly string[]; readonly ttlMs: number },
  now: number,
): Promise<void> {
  await recordFundingTransition(tx, row, 'hold_for_review', { type: 'system', id: 'risk' }, now, {
    reasons: review.reasons,
  });
  const state = row.kind === 'withdrawal' ? 'placing' : 'held';
  const expiresAt = now + review.ttlMs;
  await insertFundingReviewHold(tx, { fundingId: row.id, decisionId: review.decisionId, state, expiresAt }, now);
}

/** The review row of a top-up or withdrawal (for its case and the sweep), in any transaction. */
export function fundingReviewOf(q: Queryable, fundingId: string): Promise<FundingReviewHold | undefined> {
  return fundingReviewHoldOf(q, fundingId);
}

export function fundingReviewsToSweep(
  q: Queryable, now: number, stuckBefore: number, limit: number,
): Promise<FundingReviewHold[]> {
  return fundingReviewHoldsToSweep(q, now, stuckBefore, limit);
}

/** The withdrawal's hold was placed: kept with the review and with the withdrawal (its payout uses it). */
export async function recordFundingReviewHold(ctx: PaymentsContext, fundingId: string, holdSeq: bigint): Promise<void> {
  const now = ctx.clock();
  await ctx.store.transaction(async (tx) => {
    await recordExchange(tx, fundingId, { holdSeq }, now);
    await markFundingReviewHoldPlaced(tx, fundingId, holdSeq, now);
  });
}

/** Writes the resolution if none was written; false when another one was first. */
export function claimFundingReview(
  ctx: PaymentsContext, fundingId: string, resolution: ReviewResolution, by: string,
): Promise<boolean> {
  const now = ctx.clock();
  return ctx.store.transaction((tx) => claimFundingReviewResolution(tx, fundingId, resolution, by, now));
}

/**
 * The transition, or false when a concurrent resolver moved the row first (its conditional UPDATE
 * found another state; no statement failed, so the transaction goes on).
 */
async function movedOn(
  tx: Tx, funding: FundingPayment, event: 'release' | 'fail', actor: TransitionActor, now: number,
  detail: FundingDetail,
): Promise<boolean> {
  const moved = await unlessMovedOn(async () => {
    await recordFundingTransition(tx, funding, event, actor, now, detail);
    return true;
  });
  return moved === true;
}

/**
 * The release, one transaction: the top-up or withdrawal goes `held_for_review → processing` and the
 * review row `released`. True only for the call that moved it — that caller, and no other, sends the
 * request to the bank (a withdrawal left `processing` by a crash is paid by the status sweep's repeat).
 * The mover also gives the request its identity now (stampForSending: a fresh STAN, the release's
 * fields 7 and 12), so the bank sees a request of the release, not of the creation.
 */
export async function releaseFundingReview(
  ctx: PaymentsContext, row: FundingReviewHold, sentAt: SendingStamp,
): Promise<boolean> {
  const now = ctx.clock();
  return ctx.store.transaction(async (tx) => {
    const funding = await fundingById(tx, row.fundingId);
    const actor = reviewActorOf(row.resolvedBy ?? 'system:payments');
    const detail = { reasons: [row.resolution ?? 'release'] };
    const moved = funding?.state === 'held_for_review' && (await movedOn(tx, funding, 'release', actor, now, detail));
    if (moved) await stampForSending(tx, row.fundingId, sentAt, now);
    await finishFundingReviewHold(tx, row.fundingId, 'released', row.holdSeq, now);
    return moved;
  });
}

/** The rejection's last step, one transaction: failed, usage given back, the review row `rejected`. */
export async function rejectFundingReview(
  ctx: PaymentsContext, row: FundingReviewHold, failureCode: string, holdSeq: bigint | null,
): Promise<void> {
  const now = ctx.clock();
  await ctx.store.transaction(async (tx) => {
    const funding = await fundingById(tx, row.fundingId);
    const actor = reviewActorOf(row.resolvedBy ?? 'system:payments');
    const detail = { failureCode, reasons: [row.resolution ?? 'reject'] };
    if (funding?.state === 'held_for_review' && (await movedOn(tx, funding, 'fail', actor, now, detail))) {
      await releaseFundingLimits(tx, funding);
    }
    await finishFundingReviewHold(tx, row.fundingId, 'rejected', holdSeq, now);
  });
}
