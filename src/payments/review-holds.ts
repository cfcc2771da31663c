// A payment risk control sends to `review` is held, not refused and not let through: its amount is
// reserved by a ledger hold (payer → payee, pending) while the payment waits `held_for_review` for an
// analyst's case decision — release (the hold is posted, the payment succeeds) or reject / confirmed
// fraud (the hold is voided, the payment fails, the money is back) — or for its deadline
// (ANFU_REVIEW_TTL_MS): this is our own review, so no answer in time is a rejection. Every step is
// idempotent under keys derived from the payment (<payment>:review-hold, :review-post, :review-void,
// :fee) and the resolution is written before the money moves, so the sweep finishes whatever a crash
// interrupted exactly once (docs/payments.md "Held for review").
import type { TransferRequest } from '../ledger/index.ts';
import type { Queryable, Tx } from '../store/index.ts';
import type { PaymentsContext } from './payments-context.ts';
import { recordTransition, reviewActorOf, unlessMovedOn } from './record-transition.ts';
import { paymentAccountsOf, recordSettlement } from './settle-payment.ts';
import { paymentById, type Payment } from './store/payments.ts';
import { releaseSubject, releaseUsage } from './store/reservations.ts';
import {
  claimReviewResolution, finishReviewHold, insertReviewHolds, markReviewHoldPlaced, reviewHoldOf, reviewHoldsToSweep,
  type ReviewHold, type ReviewResolution,
} from './store/review-holds.ts';

const systemBy = 'system:payments';

/**
 * Opens the review of payments the rule set sent to review, in the transaction that stores them: each
 * with its decision and a deadline `ttlMs` ahead. The ledger hold is placed after the commit
 * (placeReviewHold); the review-holds sweep places or voids any that a crash left behind.
 */
export async function openReviewHolds(
  tx: Tx, held: ReadonlyArray<{ paymentId: string; decisionId: string }>, ttlMs: number, now: number,
): Promise<void> {
  if (held.length === 0) return;
  await insertReviewHolds(tx, held.map((h) => ({ ...h, expiresAt: now + ttlMs })), now);
}

/** The failure code a payment ends with when its hold is voided. */
export const reviewFailureCodes = {
  reject: 'payment_rejected_in_review',
  fraud: 'payment_rejected_in_review',
  expire: 'payment_review_expired',
} as const;

export type ReviewHoldOutcome =
  | { readonly ok: true; readonly payment: Payment }
  | { readonly ok: false; readonly code: 'review_hold_not_found' | 'review_hold_resolved' };

const postsTheHold = (resolution: ReviewResolution) => resolution === 'release';

async function holdRequestOf(ctx: PaymentsContext, payment: Payment): Promise<TransferRequest> {
  const { debit, credit } = await paymentAccountsOf(ctx, payment);
  return {
    kind: 'hold', key: `${payment.id}:review-hold`, debitAccountId: debit, creditAccountId: credit,
    amount: payment.amount, currency: payment.currency, reference: payment.id,
    // No ledger timeout: the review's own deadline ends it, through this file, with the payment.
    timeoutMs: null,
  };
}

async function reread(ctx: PaymentsContext, id: string): Promise<Payment> {
  const payment = await paymentById(ctx.store, id);
  if (payment === undefined) throw new Error(`payments invariant: payment ${id} vanished`);
  return payment;
}

/** The last step, one transaction: the payment settled or failed (usage and order given back), the row closed. */
async function finish(
  ctx: PaymentsContext,
  row: ReviewHold,
  ending: { readonly succeeded: true } | { readonly succeeded: false; readonly failureCode: string },
  holdSeq: bigint | null,
): Promise<Payment> {
  const now = ctx.clock();
  const actor = reviewActorOf(row.resolvedBy ?? systemBy);
  await ctx.store.transaction(async (tx) => {
    const payment = await paymentById(tx, row.paymentId);
    // A resolver that lost a race (two releases, a release and the sweep) finds the payment moved on.
    if (payment?.state === 'held_for_review' && ending.succeeded) {
      const reasons = [row.resolution ?? 'release'];
      const state = await unlessMovedOn(() => recordTransition(tx, payment, 'release', actor, now, { reasons }));
      if (state !== undefined) await recordSettlement(tx, { ...payment, state }, now);
    } else if (payment?.state === 'held_for_review' && !ending.succeeded) {
      const detail = { failureCode: ending.failureCode };
      if ((await unlessMovedOn(() => recordTransition(tx, payment, 'fail', actor, now, detail))) !== undefined) {
        await releaseUsage(tx, payment);
        await releaseSubject(tx, payment);
      }
    }
    await finishReviewHold(tx, row.paymentId, ending.succeeded ? 'released' : 'rejected', holdSeq, now);
  });
  return reread(ctx, row.paymentId);
}

/** The money step of a decided resolution, then the last step; safe to run again after any crash. */
async function finishResolution(ctx: PaymentsContext, row: ReviewHold): Promise<Payment> {
  const resolution = row.resolution;
  if (resolution === null) throw new Error('payments invariant: finishing a review hold nobody resolved');
  const payment = await reread(ctx, row.paymentId);
  // Placed, or placed now: its key answers with the first hold when a crash hid the outcome.
  const hold = row.holdSeq === null ? await ctx.ledger.submit(await holdRequestOf(ctx, payment)) : undefined;
  if (hold?.ok === false) {
    const failureCode = postsTheHold(resolution) ? hold.code : reviewFailureCodes[resolution];
    return finish(ctx, row, { succeeded: false, failureCode }, null);
  }
  const holdSeq = hold?.ok === true ? hold.transfer.seq : (row.holdSeq as bigint);
  if (postsTheHold(resolution)) {
    const { credit, fees } = await paymentAccountsOf(ctx, payment);
    const post: TransferRequest = { kind: 'post', key: `${payment.id}:review-post`, holdSeq, reference: payment.id };
    const legs: TransferRequest[] = payment.fee === 0n || fees === undefined ? [post] : [post, {
      kind: 'single', key: `${payment.id}:fee`, debitAccountId: credit, creditAccountId: fees, amount: payment.fee,
      currency: payment.currency, reference: payment.id,
    }];
    const posted = await ctx.ledger.submitLinked(legs);
    if (posted.ok) return finish(ctx, row, { succeeded: true }, holdSeq);
    throw new Error(`payments invariant: the review hold of ${payment.id} did not post (${posted.code})`);
  }
  const key = `${payment.id}:review-void`;
  const voided = await ctx.ledger.submit({ kind: 'void', key, holdSeq, reference: payment.id });
  if (!voided.ok) throw new Error(`payments invariant: the review hold of ${payment.id} did not void (${voided.code})`);
  return finish(ctx, row, { succeeded: false, failureCode: reviewFailureCodes[resolution] }, holdSeq);
}

/**
 * Places the ledger hold of a payment just held for review (after its creating transaction). A payer
 * who can no longer cover it fails the payment as a refused transfer would (insufficient_funds).
 */
export async function placeReviewHold(ctx: PaymentsContext, paymentId: string): Promise<Payment> {
  const row = await reviewHoldOf(ctx.store, paymentId);
  if (row === undefined) throw new Error(`payments invariant: payment ${paymentId} is held without a review row`);
  if (row.state !== 'placing') return reread(ctx, paymentId);
  const payment = await reread(ctx, paymentId);
  const hold = await ctx.ledger.submit(await holdRequestOf(ctx, payment));
  const now = ctx.clock();
  if (hold.ok) {
    await ctx.store.transaction((tx) => markReviewHoldPlaced(tx, paymentId, hold.transfer.seq, now));
    return reread(ctx, paymentId);
  }
  if (!(await ctx.store.transaction((tx) => claimReviewResolution(tx, paymentId, 'reject', systemBy, now)))) {
    return reread(ctx, paymentId);
  }
  const claimed = { ...row, state: 'resolving' as const, resolution: 'reject' as const, resolvedBy: systemBy };
  return finish(ctx, claimed, { succeeded: false, failureCode: hold.code }, null);
}

/**
 * Resolves a held payment: the first resolution taken wins; asking again for the same direction
 * (post or void) finishes or answers it, the other direction is refused (`review_hold_resolved`).
 */
export async function resolveReviewHold(
  ctx: PaymentsContext,
  paymentId: string,
  resolution: ReviewResolution,
  by: string,
): Promise<ReviewHoldOutcome> {
  const first = await reviewHoldOf(ctx.store, paymentId);
  if (first === undefined) return { ok: false, code: 'review_hold_not_found' };
  if (first.resolution === null) {
    const now = ctx.clock();
    await ctx.store.transaction((tx) => claimReviewResolution(tx, paymentId, resolution, by, now));
  }
  const row = (await reviewHoldOf(ctx.store, paymentId)) as ReviewHold;
  if (row.resolution === null || postsTheHold(row.resolution) !== postsTheHold(resolution)) {
    return { ok: false, code: 'review_hold_resolved' };
  }
  if (row.state === 'released' || row.state === 'rejected') return { ok: true, payment: await reread(ctx, paymentId) };
  return { ok: true, payment: await finishResolution(ctx, row) };
}

/** The held payment's review row (for a case and the payment's view), in any transaction. */
export async function reviewHoldOfPayment(q: Queryable, paymentId: string): Promise<ReviewHold | undefined> {
  return reviewHoldOf(q, paymentId);
}

/**
 * The `payments.review-holds` sweep (under its lease): expired holds are voided and their payments
 * failed; holds a crash left unplaced are placed; resolutions a crash interrupted are finished.
 */
export async function sweepReviewHolds(
  ctx: PaymentsContext,
  options: { readonly stuckAfterMs: number; readonly limit: number },
): Promise<number> {
  const now = ctx.clock();
  const rows = await reviewHoldsToSweep(ctx.store, now, now - options.stuckAfterMs, options.limit);
  for (const row of rows) {
    if (row.state === 'resolving') await finishResolution(ctx, row);
    else if (row.expiresAt <= now) await resolveReviewHold(ctx, row.paymentId, 'expire', systemBy);
    else await placeReviewHold(ctx, row.paymentId);
  }
  return rows.length;
}

