// The `risk_review` case kind as the app runs it: risk's definition and labelling handler
// (risk/review-case.ts) plus the money of what the review holds — a payment (payments/review-holds.ts)
// or a top-up or withdrawal (flows/hold-funding-for-review.ts). After the checker approves a four-eyes
// decision, the case's money step resolves the hold — release_hold posts it (a payment) or sends the
// top-up or withdrawal on to the bank, reject_payment and confirm_fraud void it — and the decision
// handler, inside the case's transaction, checks it ended as decided before risk labels the decision.
// The resolution's keys make a retried execution answer with what was done; the deadline sweep and a
// case decision cannot both win (the first resolution written is the only one). A payment's release
// towards a merchant frozen by a sanctions hit is refused (`merchant_frozen`).
import type { CaseDecisionHandler, CaseKindRegistration, CaseMoneyHandler, CaseRecord } from '../cases/index.ts';
import {
  cardFundingOf, fundingById, fundingReviewOf, paymentById, resolveReviewHold, reviewHoldOfPayment,
  type PaymentsContext, type ReviewResolution,
} from '../payments/index.ts';
import { riskReviewHandler, riskReviewKind } from '../risk/index.ts';
import { merchantFrozen } from '../sanctions/index.ts';
import type { Tx } from '../store/index.ts';
import { resolveFundingReview } from './hold-funding-for-review.ts';

const resolutionOf: Readonly<Record<string, ReviewResolution>> = {
  release_hold: 'release',
  reject_payment: 'reject',
  confirm_fraud: 'fraud',
};

const paymentIdOf = (caseRecord: CaseRecord) =>
  caseRecord.subject.type === 'payment' ? caseRecord.subject.id : undefined;

/** A held top-up or withdrawal: on to the bank, or voided and failed (the card link sends a release). */
async function fundingMoney(
  ctx: PaymentsContext, fundingId: string, resolution: ReviewResolution,
): Promise<{ ok: true; result: Record<string, unknown> } | { ok: false; code: string }> {
  const link = cardFundingOf(ctx.store);
  if (link === undefined) return { ok: false, code: 'card_issuer_unavailable' };
  const outcome = await resolveFundingReview(ctx, link, fundingId, resolution, 'system:cases');
  if (!outcome.ok) return outcome;
  return { ok: true, result: { fundingId, state: outcome.funding.state } };
}

function reviewHoldMoney(ctx: PaymentsContext): CaseMoneyHandler {
  return async (caseRecord, decision) => {
    const resolution = resolutionOf[decision];
    const paymentId = paymentIdOf(caseRecord);
    if (resolution === undefined || paymentId === undefined) return { ok: true };
    if ((await fundingReviewOf(ctx.store, paymentId)) !== undefined) return fundingMoney(ctx, paymentId, resolution);
    const held = await reviewHoldOfPayment(ctx.store, paymentId);
    // A review of something that holds nothing (a login, a card binding, a top-up or withdrawal stepped
    // up before reviews held them): fraud is still a finding.
    if (held === undefined) {
      return decision === 'confirm_fraud' ? { ok: true } : { ok: false, code: 'review_hold_not_found' };
    }
    // A payee merchant frozen by a sanctions hit since the hold was placed receives nothing: the release
    // is refused (the hold waits for a reject or its deadline, which voids it).
    const merchantId = (await paymentById(ctx.store, paymentId))?.merchantId ?? null;
    if (resolution === 'release' && merchantId !== null && (await merchantFrozen(ctx.store, merchantId)))
      return { ok: false, code: 'merchant_frozen' };
    const outcome = await resolveReviewHold(ctx, paymentId, resolution, 'system:cases');
    if (!outcome.ok) return outcome;
    return { ok: true, result: { paymentId, state: outcome.payment.state } };
  };
}

/**
 * A held top-up or withdrawal ended as decided: released (whatever the bank then answers, it went
 * on), or rejected and failed. undefined when nothing funding is held under this id.
 */
async function fundingEnding(
  tx: Tx, id: string, decision: string,
): Promise<{ ok: true } | { ok: false; code: string } | undefined> {
  const review = await fundingReviewOf(tx, id);
  if (review === undefined) return undefined;
  const unresolved = review.state === 'placing' || review.state === 'held';
  if (decision === 'clear') return unresolved ? { ok: false, code: 'review_hold_pending' } : { ok: true };
  if (decision === 'release_hold') {
    return review.state === 'released' ? { ok: true } : { ok: false, code: 'payment_state_invalid' };
  }
  const funding = await fundingById(tx, id);
  return review.state === 'rejected' && funding?.state === 'failed'
    ? { ok: true }
    : { ok: false, code: 'payment_state_invalid' };
}

/** Inside the case's transaction: the payment ended as the decision says, then risk labels it. */
function reviewHoldHandler(labels: CaseDecisionHandler): CaseDecisionHandler {
  return async (tx, caseRecord, decision, actor, now) => {
    const paymentId = paymentIdOf(caseRecord);
    const funding = paymentId === undefined ? undefined : await fundingEnding(tx, paymentId, decision);
    if (funding?.ok === false) return funding;
    const held = paymentId === undefined ? undefined : await reviewHoldOfPayment(tx, paymentId);
    if (held !== undefined && paymentId !== undefined) {
      const payment = await paymentById(tx, paymentId);
      const unresolved = held.state === 'placing' || held.state === 'held';
      if (decision === 'clear' && unresolved) return { ok: false, code: 'review_hold_pending' };
      if (decision === 'release_hold' && payment?.state !== 'succeeded') {
        return { ok: false, code: 'payment_state_invalid' };
      }
      if ((decision === 'reject_payment' || decision === 'confirm_fraud') && payment?.state !== 'failed')
        return { ok: false, code: 'payment_state_invalid' };
    } else if (funding === undefined && (decision === 'release_hold' || decision === 'reject_payment')) {
      return { ok: false, code: 'review_hold_not_found' };
    }
    return labels(tx, caseRecord, decision, actor, now);
  };
}

export function riskReviewCaseKind(ctx: PaymentsContext): CaseKindRegistration {
  return {
    definition: riskReviewKind,
    handler: reviewHoldHandler(riskReviewHandler(ctx.clock)),
    money: reviewHoldMoney(ctx),
  };
}
