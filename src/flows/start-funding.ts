// The common start of a top-up or a withdrawal: the signed instruction is verified like every
// customer payment (device certificate, freshness, signature), then ONE transaction claims the nonce,
// records the funding payment with its instruction, checks and reserves its limits (funding limits,
// and R6.2 for withdrawals) and walks it created → risk_checked → processing, challenged (a step-up
// resumes it: resume-challenged-funding.ts), held_for_review (an analyst releases it:
// hold-funding-for-review.ts) or failed when risk control denies, each step audited.
// Only a card its issuer verified at binding moves money. The bank is spoken to after commit; the
// STAN (from the database) and fields 7/12 of the request to come are stored with the row (and stamped
// anew when a challenged or held one goes on later).
import { AnfuError } from '../errors.ts';
import { newId } from '../ids.ts';
import {
  assessMoneyEvent, decidePayment, paymentFeatureValues, paymentRiskOf, recordAssessments,
  type MoneyAssessment, type MoneyEvent, type PaymentFeatures, type PaymentRiskDecision,
} from '../risk/index.ts';
import {
  requestHashOf,
  cardById,
  fundingById,
  fundingByKey,
  recentPaymentCount,
  createFunding,
  recordFundingTransition,
  reserveFundingLimits,
  holdFundingForReview,
  type CardFunding,
  type PayingCustomer,
  type FundingKind,
  type FundingPayment,
  type PaymentCard,
  type PaymentsContext,
  type TransitionActor,
  type SendingStamp,
} from '../payments/index.ts';
import {
  amountOf,
  isRecordedRefusal,
  refuse,
  verifiedInstruction,
  type SignedRequest,
} from './start-signed-payment.ts';

export interface StartedFunding {
  readonly funding: FundingPayment;
  readonly card: PaymentCard;
  readonly replayed: boolean;
}

/** A retry under the same key answers the first funding payment and never reaches the bank again. */
export async function fundingReplayOf(
  ctx: PaymentsContext,
  principal: PayingCustomer,
  request: SignedRequest,
): Promise<FundingPayment | undefined> {
  const existing = await fundingByKey(ctx.store, principal.customerId, request.idempotencyKey);
  if (existing === undefined) return undefined;
  if (existing.requestHash !== requestHashOf(request.instruction)) throw new AnfuError('idempotency_conflict');
  return existing;
}

async function cardFor(ctx: PaymentsContext, principal: PayingCustomer, cardId: string): Promise<PaymentCard> {
  const card = await cardById(ctx.store, cardId);
  if (card === undefined || card.customerId !== principal.customerId || card.status !== 'active')
    throw new AnfuError('card_not_found');
  // Verified only by the issuer at binding (account verification + one-time code), never by a top-up.
  if (card.verifiedAt === null) throw new AnfuError('card_unverified');
  return card;
}

export async function startFunding(
  ctx: PaymentsContext,
  funding: CardFunding,
  principal: PayingCustomer,
  request: SignedRequest,
  kind: FundingKind,
): Promise<StartedFunding> {
  const replay = await fundingReplayOf(ctx, principal, request);
  if (replay !== undefined) {
    // A retry answers what was decided then, whatever became of the card since.
    const card = await cardById(ctx.store, replay.cardId);
    if (card === undefined) throw new Error('payments invariant: a funding payment names a card that does not exist');
    return { funding: replay, card, replayed: true };
  }
  const verified = await verifiedInstruction(ctx, principal, request);
  if (verified.instruction.kind !== kind)
    throw new AnfuError('instruction_mismatch', `this request needs an instruction of kind ${kind}`);
  // An unknown or unverified card is refused and audited like any refused instruction.
  const card = await cardFor(ctx, principal, verified.instruction.target).catch((error: unknown) =>
    error instanceof AnfuError ? refuse(ctx, principal, request, error) : Promise.reject(error),
  );
  const amount = amountOf(ctx, verified);
  const customer = await ctx.identity.customer(principal.customerId);
  if (customer === undefined || customer.status !== 'active')
    throw new AnfuError('forbidden', 'the customer is not active');
  // A frozen customer may still top up (money in) but not withdraw (money out).
  if (kind === 'withdrawal' && customer.outgoingFrozen === true)
    return refuse(ctx, principal, request, new AnfuError('customer_frozen'));
  const now = ctx.clock();
  const device = await ctx.identity.device(principal.deviceId);
  const factorChangedAt =
    kind === 'withdrawal' ? await ctx.identity.recentFactorChangeAt(principal.customerId) : undefined;
  const features: PaymentFeatures = {
    amountMinor: amount,
    recentPaymentCount: await recentPaymentCount(ctx.store, principal.customerId, now - ctx.settings.velocityWindowMs),
    deviceAgeMs: device === undefined ? 0 : now - device.createdAt,
    newPayee: false,
    sinceFactorChangeMs: factorChangedAt === undefined ? undefined : now - factorChangedAt,
  };
  const id = newId('fnd', now);
  const event = {
    event: kind === 'withdrawal' ? ('withdrawal' as const) : ('topup' as const), customerId: principal.customerId,
    deviceId: principal.deviceId, cardRef: card.id, idHash: customer.idNumberHash,
    amount: { minor: amount, currency: verified.instruction.currency },
  };
  const { risk, assessment } = await fundingRisk(ctx, { event, features, customer, subjectRef: id }, now);
  const row: FundingPayment = {
    id,
    kind,
    state: 'created',
    customerId: principal.customerId,
    cardId: card.id,
    amount,
    currency: verified.instruction.currency,
    idempotencyKey: request.idempotencyKey,
    requestHash: requestHashOf(request.instruction),
    failureCode: null,
    bank: funding.bank,
    // The STAN is taken in the transaction below; fields 7 and 12 are fixed now and stored with the
    // row, so everything needed to reverse or query the request exists before it is sent.
    exchange: {
      stan: '000000',
      ...stampOf(funding),
      authorisationCode: null,
      retrievalReference: null,
      responseCode: null,
    },
    reversalOwed: false,
    holdSeq: null,
    statusAttempts: 0,
    nextStatusAt: null,
    outcomeUnknownAt: null,
    // Restamped, with this moment, when a review's release or a step-up sends it later.
    sentAt: now,
    createdAt: now,
    updatedAt: now,
  };
  const actor: TransitionActor = { type: 'customer', id: principal.customerId, device: principal.deviceId };
  try {
    await ctx.store.transaction(async (tx) => {
      await createFunding(tx, row, verified, ctx.settings.profile, actor, now);
      if (assessment !== undefined) await recordAssessments(tx, ctx.store.dialect, [assessment], now);
      const state = await recordFundingTransition(tx, row, 'risk_assessed', { type: 'system', id: 'risk' }, now, {
        reasons: risk.reasons,
      });
      if (risk.decision === 'deny') {
        await recordFundingTransition(tx, { ...row, state }, 'fail', { type: 'system', id: 'risk' }, now, {
          failureCode: 'payment_denied',
          reasons: risk.reasons,
        });
        return;
      }
      const { accountClass } = customer;
      const who = { accountClass, strength: principal.strength, riskLevel: assessment?.customerLevel };
      await reserveFundingLimits(ctx, tx, row, who);
      // A challenge waits for a step-up with one of the customer's factors, like a payment's; a review
      // waits for an analyst (flows/hold-funding-for-review.ts), nothing sent to the bank meanwhile.
      if (risk.decision === 'challenge')
        await recordFundingTransition(tx, { ...row, state }, 'challenge', actor, now, { reasons: risk.reasons });
      else if (risk.decision === 'review') {
        const decisionId = assessment?.record.id;
        if (decisionId === undefined) throw new Error('payments invariant: a funding review without a decision');
        const review = { decisionId, reasons: risk.reasons, ttlMs: ctx.settings.reviewTtlMs };
        await holdFundingForReview(tx, { ...row, state }, review, now);
      } else await recordFundingTransition(tx, { ...row, state }, 'process', actor, now);
    });
  } catch (error) {
    // A concurrent retry under the same key won the insert: answer with its payment.
    const replayed = await fundingReplayOf(ctx, principal, request).catch(() => undefined);
    if (replayed !== undefined) return { funding: replayed, card, replayed: true };
    if (isRecordedRefusal(error)) return refuse(ctx, principal, request, error, row.id);
    throw error;
  }
  return { funding: await refetchFunding(ctx, row.id), card, replayed: false };
}

/** The running rule set's decision on a top-up or withdrawal (the fixed rules without the engine). */
async function fundingRisk(
  ctx: PaymentsContext,
  input: {
    event: MoneyEvent;
    features: PaymentFeatures;
    customer: { createdAt: number; accountClass: string };
    subjectRef: string;
  },
  now: number,
): Promise<{ risk: PaymentRiskDecision; assessment?: MoneyAssessment }> {
  if (ctx.riskEngine === undefined) return { risk: decidePayment(input.features, ctx.settings.risk) };
  const known = paymentFeatureValues(input.features, input.event.amount.currency);
  const { event, customer, subjectRef } = input;
  const assessment = await assessMoneyEvent(ctx.riskEngine, ctx.store, { event, known, customer, subjectRef }, now);
  return { risk: paymentRiskOf(assessment.decision), assessment };
}

/** Fields 7 and 12 of a request about to be sent, as a funding row keeps them. */
export function stampOf(funding: CardFunding): { transmitted: string; localTime: string } {
  const { at: _at, ...fields } = sendingStampOf(funding);
  return fields;
}

/** Fields 7 and 12 of a send about to happen, and the moment they stamp (its STAN's UTC day). */
export function sendingStampOf(funding: CardFunding): SendingStamp {
  const sent = funding.link.stampWithMoment();
  return { transmitted: sent.transmissionDateTime, localTime: sent.localTime, at: sent.at };
}

export async function refetchFunding(ctx: PaymentsContext, id: string): Promise<FundingPayment> {
  const row = await fundingById(ctx.store, id);
  if (row === undefined) throw new Error('payments invariant: funding payment vanished');
  return row;
}
