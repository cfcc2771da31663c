// The payments sweeps of one pass, by lease name (docs/payments.md "Every payment's life"): stuck
// order/request payments, lapsed challenges, expired orders and requests, refunds to finish or close,
// payments held for review past their deadline or interrupted mid-resolution,
// and — with a card link — top-ups and withdrawals held for review past their deadline or interrupted
// mid-resolution, interrupted top-ups and withdrawals awaiting the bank. The scheduler
// (wiring/payment-schedules.ts) runs each under its own database lease, so none ever overlaps itself.
import { expireChallengedFunding } from './resume-challenged-funding.ts';
import {
  expireChallengedPayments, expireOrdersAndRequests, settleStuckPayments, sweepRefunds, sweepReviewHolds,
  type CardFunding, type PaymentsContext,
} from '../payments/index.ts';
import { recoverCardFunding } from './recover-card-funding.ts';
import { pollWithdrawals } from './withdraw-to-card.ts';
import { sweepFundingReviews } from './hold-funding-for-review.ts';

/** Older than every card-link timeout and reversal retry, so a live request is never taken for a stuck one. */
export const stuckAfterMs = 60_000;
const sweepBatchMax = 100;

export function paymentSweeps(ctx: PaymentsContext, funding: CardFunding | undefined): Array<[string, () => Promise<unknown>]> {
  const sweeps: Array<[string, () => Promise<unknown>]> = [
    ['payments.settle-stuck', () => settleStuckPayments(ctx, stuckAfterMs, sweepBatchMax)],
    ['payments.expire-challenges', () => expireChallengedPayments(ctx, sweepBatchMax)],
    ['payments.expire-orders', () => expireOrdersAndRequests(ctx, sweepBatchMax)],
    ['payments.refunds', () => sweepRefunds(ctx, { olderThanMs: stuckAfterMs, limit: sweepBatchMax })],
    ['payments.expire-funding-challenges', () => expireChallengedFunding(ctx, { limit: sweepBatchMax })],
    ['payments.review-holds', () => sweepReviewHolds(ctx, { stuckAfterMs, limit: sweepBatchMax })],
  ];
  if (funding === undefined) return sweeps;
  const reviews = { stuckAfterMs, limit: sweepBatchMax };
  sweeps.push(['payments.funding-review-holds', () => sweepFundingReviews(ctx, funding, reviews)]);
  sweeps.push(['payments.card-recovery', () => recoverCardFunding(ctx, funding, { olderThanMs: stuckAfterMs, limit: sweepBatchMax })]);
  sweeps.push(['payments.withdrawals', () => pollWithdrawals(ctx, funding, { limit: sweepBatchMax })]);
  return sweeps;
}
