// Merchant disputes, in Stripe's manner: a customer disputes a merchant payment they made (not
// received, not as described, duplicate, wrong amount) → `needs_response`, the merchant is told by a
// signed webhook (`dispute.created`) with the deadline, and answers with evidence through the merchant
// API before it (`under_review`); late answers are refused. A service operator then decides: refund
// the customer from the merchant's balance (`lost` for the merchant, four eyes) or reject (`won`).
import { openCase, addEvidence, type CaseActor, type CaseRecord } from '../cases/index.ts';
import { enqueueOutbox } from '../events/index.ts';
import { paymentById } from '../payments/index.ts';
import type { Queryable } from '../store/index.ts';
import { auditSupport, notifyCustomer, refuse, type SupportContext, type SupportOutcome } from './context.ts';
import {
  disputeByCase,
  disputeOfPayment,
  insertDispute,
  insertMessage,
  insertTicket,
  recordMerchantResponse,
  type Dispute,
  type DisputeReason,
} from './store.ts';
import { sanitisedText } from './text.ts';

export async function notifyMerchant(
  tx: Queryable,
  dispute: Pick<Dispute, 'caseId' | 'merchantId' | 'paymentId' | 'respondBy'> & { status: string },
  topic: 'dispute.created' | 'dispute.closed',
  now: number,
): Promise<void> {
  const payload = {
    dispute: dispute.caseId,
    payment: dispute.paymentId,
    status: dispute.status,
    respondBy: new Date(dispute.respondBy).toISOString(),
  };
  await enqueueOutbox(
    tx,
    {
      topic,
      destination: { kind: 'merchant', merchantId: dispute.merchantId },
      payload,
      key: `${topic}:${dispute.caseId}`,
    },
    now,
  );
}

export async function openDispute(
  ctx: SupportContext,
  customerId: string,
  input: { paymentId: string; reason: DisputeReason; text: string },
): Promise<SupportOutcome<{ case: CaseRecord; dispute: Dispute }>> {
  const actor: CaseActor = { type: 'customer', id: customerId };
  const text = sanitisedText(input.text);
  if (text === undefined) return refuse(ctx, actor, 'dispute.open', input.paymentId, 'validation_failed');
  const payment = await paymentById(ctx.store, input.paymentId);
  if (payment === undefined || payment.payerId !== customerId)
    return refuse(ctx, actor, 'dispute.open', input.paymentId, 'payment_not_owned');
  if (payment.merchantId === null || payment.state !== 'succeeded') {
    return refuse(ctx, actor, 'dispute.open', payment.id, 'dispute_not_disputable');
  }
  if ((await disputeOfPayment(ctx.store, payment.id)) !== undefined)
    return refuse(ctx, actor, 'dispute.open', payment.id, 'dispute_exists');
  const now = ctx.clock();
  const respondBy = now + ctx.settings.disputeResponseMs;
  const merchantId = payment.merchantId;
  const outcome = await ctx.store.transaction(async (tx) => {
    const opened = await openCase(
      tx,
      {
        kind: 'merchant_dispute',
        dedupeKey: payment.id,
        title: `Merchant dispute: ${input.reason}`,
        subject: { type: 'payment', id: payment.id },
        customerId,
        severity: 'medium',
        openedBy: `customer:${customerId}`,
        amount: { minor: payment.amount - payment.refundedAmount, currency: payment.currency },
        evidence: [{ type: 'payment', ref: payment.id }],
        details: { reason: input.reason, merchantId, respondBy },
      },
      now,
    );
    const base = {
      caseId: opened.id,
      paymentId: payment.id,
      customerId,
      merchantId,
      reason: input.reason,
      respondBy,
      createdAt: now,
    };
    if (!(await insertDispute(tx, base))) return undefined;
    await insertTicket(tx, {
      caseId: opened.id,
      customerId,
      category: 'merchant',
      paymentIds: [payment.id],
      createdAt: now,
    });
    await insertMessage(tx, opened.id, { type: 'customer', id: customerId }, text, now);
    await notifyMerchant(tx, { ...base, status: 'needs_response' }, 'dispute.created', now);
    await notifyCustomer(tx, opened.id, 'dispute_opened', now);
    await auditSupport(
      tx,
      actor,
      'dispute.open',
      opened.id,
      { payment: payment.id, merchant: merchantId, reason: input.reason },
      now,
    );
    return { case: opened, dispute: (await disputeByCase(tx, opened.id)) as Dispute };
  });
  return outcome === undefined
    ? refuse(ctx, actor, 'dispute.open', payment.id, 'dispute_exists')
    : { ok: true, value: outcome };
}

/** The merchant's answer with its evidence, accepted once and only before the deadline. */
export async function merchantRespond(
  ctx: SupportContext,
  merchantId: string,
  caseId: string,
  body: string,
): Promise<SupportOutcome<Dispute>> {
  const actor: CaseActor = { type: 'merchant', id: merchantId };
  const dispute = await disputeByCase(ctx.store, caseId);
  if (dispute === undefined || dispute.merchantId !== merchantId)
    return refuse(ctx, actor, 'dispute.respond', caseId, 'dispute_not_found');
  const text = sanitisedText(body);
  if (text === undefined) return refuse(ctx, actor, 'dispute.respond', caseId, 'validation_failed');
  const now = ctx.clock();
  if (dispute.respondBy <= now) return refuse(ctx, actor, 'dispute.respond', caseId, 'dispute_deadline_passed');
  if (dispute.status !== 'needs_response')
    return refuse(ctx, actor, 'dispute.respond', caseId, 'dispute_not_awaiting_response');
  const done = await ctx.store.transaction(async (tx) => {
    if (!(await recordMerchantResponse(tx, caseId, text, now))) return false;
    await insertMessage(tx, caseId, { type: 'merchant', id: merchantId }, text, now);
    await addEvidence(tx, caseId, { type: 'merchant_response', ref: `${merchantId}:${now}` }, actor, now);
    await notifyCustomer(tx, caseId, 'merchant_responded', now);
    await auditSupport(tx, actor, 'dispute.respond', caseId, { length: text.length }, now);
    return true;
  });
  if (!done) return refuse(ctx, actor, 'dispute.respond', caseId, 'dispute_deadline_passed');
  return { ok: true, value: (await disputeByCase(ctx.store, caseId)) as Dispute };
}
