// A top-up or withdrawal risk control sends to `review` waits `held_for_review` for an analyst's case
// decision (flows/review-hold-case.ts) or its deadline (ANFU_REVIEW_TTL_MS), and nothing reaches the
// bank meanwhile. A withdrawal's amount is held in the ledger at once — the same hold its payout uses
// (wallet → bank settlement, key `<withdrawal>:hold`, no timeout) — so the customer cannot spend it
// twice. A top-up holds nothing: its authorisation is not sent to the card's bank until released, so no
// money moved (docs/payments.md "Held for review"). Release → `processing` and the normal path, sent
// once by whoever moved it; reject, confirmed fraud or the deadline → the hold voided
// (`<withdrawal>:review-void`), `failed`, usage back. The resolution is written before anything
// moves, so the `payments.funding-review-holds` sweep finishes what a crash interrupted the same way;
// the deadline only ever ends a review nothing was sent for.
import {
  cardById, claimFundingReview, fundingReviewOf, fundingReviewsToSweep, recordFundingReviewHold, rejectFundingReview,
  releaseFundingReview, reviewFailureCodes,
  type CardFunding, type FundingPayment, type FundingReviewHold, type PaymentsContext, type ReviewResolution,
} from '../payments/index.ts';
import { refetchFunding, sendingStampOf } from './start-funding.ts';
import { authoriseTopUp } from './top-up-by-card.ts';
import { payOutWithdrawal, withdrawalHoldOf } from './withdraw-to-card.ts';

const systemBy = 'system:payments';

export type FundingReviewOutcome =
  | { readonly ok: true; readonly funding: FundingPayment }
  | { readonly ok: false; readonly code: 'review_hold_not_found' | 'review_hold_resolved' | FundingReleaseRefusal };

type FundingReleaseRefusal = 'customer_frozen' | 'card_unverified';

/**
 * After the withdrawal's creating transaction: its ledger hold, recorded with the review. A wallet
 * that can no longer cover it fails the withdrawal as the payout's own hold would (insufficient_funds).
 */
export async function placeWithdrawalReviewHold(ctx: PaymentsContext, fundingId: string): Promise<FundingPayment> {
  const row = await fundingReviewOf(ctx.store, fundingId);
  if (row === undefined) throw new Error(`payments invariant: ${fundingId} is held without a review row`);
  if (row.state !== 'placing') return refetchFunding(ctx, fundingId);
  const hold = await ctx.ledger.submit(await withdrawalHoldOf(ctx, await refetchFunding(ctx, fundingId)));
  if (hold.ok) {
    await recordFundingReviewHold(ctx, fundingId, hold.transfer.seq);
    return refetchFunding(ctx, fundingId);
  }
  if (await claimFundingReview(ctx, fundingId, 'reject', systemBy)) {
    const claimed = { ...row, state: 'resolving' as const, resolution: 'reject' as const, resolvedBy: systemBy };
    await rejectFundingReview(ctx, claimed, hold.code, null);
  }
  return refetchFunding(ctx, fundingId);
}

/** A release is refused, nothing claimed, while the money may not go out: an analyst rejects instead. */
async function releaseRefusalOf(ctx: PaymentsContext, fundingId: string): Promise<FundingReleaseRefusal | undefined> {
  const funding = await refetchFunding(ctx, fundingId);
  const card = await cardById(ctx.store, funding.cardId);
  if (card === undefined || card.status !== 'active' || card.verifiedAt === null) return 'card_unverified';
  if (funding.kind !== 'withdrawal') return undefined;
  const customer = await ctx.identity.customer(funding.customerId);
  return customer?.outgoingFrozen === true ? 'customer_frozen' : undefined;
}

/** After the release's transaction: the request goes to the bank as an unreviewed one would. */
async function send(ctx: PaymentsContext, link: CardFunding, fundingId: string): Promise<FundingPayment> {
  const processing = await refetchFunding(ctx, fundingId);
  const card = await cardById(ctx.store, processing.cardId);
  if (card === undefined) throw new Error(`payments invariant: ${fundingId} names a card that does not exist`);
  return processing.kind === 'top_up'
    ? authoriseTopUp(ctx, link, processing, card)
    : payOutWithdrawal(ctx, link, processing, card);
}

/** The steps after a resolution was written; safe to run again after any crash. */
async function finishResolution(
  ctx: PaymentsContext, link: CardFunding, row: FundingReviewHold,
): Promise<FundingPayment> {
  const resolution = row.resolution;
  if (resolution === null) throw new Error('payments invariant: finishing a funding review nobody resolved');
  const funding = await refetchFunding(ctx, row.fundingId);
  let holdSeq = row.holdSeq;
  // A withdrawal whose hold a crash left unplaced: placed now (its key answers with one placed meanwhile),
  // so a rejection voids it and a late placer finds it voided.
  if (funding.kind === 'withdrawal' && holdSeq === null) {
    const hold = await ctx.ledger.submit(await withdrawalHoldOf(ctx, funding));
    if (!hold.ok) {
      await rejectFundingReview(ctx, row, resolution === 'release' ? hold.code : reviewFailureCodes[resolution], null);
      return refetchFunding(ctx, row.fundingId);
    }
    holdSeq = hold.transfer.seq;
    await recordFundingReviewHold(ctx, row.fundingId, holdSeq);
  }
  if (resolution === 'release') {
    // Fields 7 and 12 of the send about to happen, not of the request's creation (reviews take minutes or days).
    const moved = await releaseFundingReview(ctx, { ...row, holdSeq }, sendingStampOf(link));
    return moved ? send(ctx, link, row.fundingId) : refetchFunding(ctx, row.fundingId);
  }
  if (holdSeq !== null) {
    const key = `${row.fundingId}:review-void`;
    const voided = await ctx.ledger.submit({ kind: 'void', key, holdSeq, reference: row.fundingId });
    if (!voided.ok) {
      throw new Error(`payments invariant: the review hold of ${row.fundingId} did not void (${voided.code})`);
    }
  }
  await rejectFundingReview(ctx, row, reviewFailureCodes[resolution], holdSeq);
  return refetchFunding(ctx, row.fundingId);
}

/**
 * Resolves a held top-up or withdrawal: the first resolution written wins; asking again for the same
 * direction (release, or one of the voiding ones) finishes or answers it, the other is refused.
 */
export async function resolveFundingReview(
  ctx: PaymentsContext,
  link: CardFunding,
  fundingId: string,
  resolution: ReviewResolution,
  by: string,
): Promise<FundingReviewOutcome> {
  const first = await fundingReviewOf(ctx.store, fundingId);
  if (first === undefined) return { ok: false, code: 'review_hold_not_found' };
  if (first.resolution === null) {
    const refusal = resolution === 'release' ? await releaseRefusalOf(ctx, fundingId) : undefined;
    if (refusal !== undefined) return { ok: false, code: refusal };
    await claimFundingReview(ctx, fundingId, resolution, by);
  }
  const row = (await fundingReviewOf(ctx.store, fundingId)) as FundingReviewHold;
  if (row.resolution === null || (row.resolution === 'release') !== (resolution === 'release')) {
    return { ok: false, code: 'review_hold_resolved' };
  }
  if (row.state === 'released' || row.state === 'rejected') {
    return { ok: true, funding: await refetchFunding(ctx, fundingId) };
  }
  return { ok: true, funding: await finishResolution(ctx, link, row) };
}

/**
 * The `payments.funding-review-holds` sweep (under its lease): reviews past their deadline are ended
 * (nothing was sent to the bank, so voiding is safe); withdrawal holds a crash left unplaced are
 * placed; resolutions a crash interrupted are finished.
 */
export async function sweepFundingReviews(
  ctx: PaymentsContext,
  link: CardFunding,
  options: { readonly stuckAfterMs: number; readonly limit: number },
): Promise<number> {
  const now = ctx.clock();
  const rows = await fundingReviewsToSweep(ctx.store, now, now - options.stuckAfterMs, options.limit);
  for (const row of rows) {
    if (row.state === 'resolving') await finishResolution(ctx, link, row);
    else if (row.expiresAt <= now) await resolveFundingReview(ctx, link, row.fundingId, 'expire', systemBy);
    else await placeWithdrawalReviewHold(ctx, row.fundingId);
  }
  return rows.length;
}
