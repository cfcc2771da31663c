// Every reservation a payment makes ends (docs/payments.md "Deadlines"). A challenged payment holds
// the payer's limit usage and may hold an order or a request for money (`paying`): past
// ANFU_CHALLENGE_TTL_MS it fails with `challenge_expired` and gives both back, and a late step-up is
// refused. An open order or a pending request past its expiry is written `expired` and the merchant
// is told (webhook `order.expired`), and so are the customers concerned (a customer notice): the payer
// of a request for money and its requester, and whoever last tried to pay an order.
import { appendAudit } from '../audit/index.ts';
import { AnfuError } from '../errors.ts';
import { enqueueOutbox, notify } from '../events/index.ts';
import { currencyOf, formatMajor } from '../money/index.ts';
import type { PaymentsContext } from './payments-context.ts';
import { recordTransition, type TransitionActor } from './record-transition.ts';
import { paymentsInState, type Payment } from './store/payments.ts';
import {
  expireOrder, expireRequest, lapsedOrders, lapsedRequests, lastPayerOfOrder, releaseSubject, releaseUsage,
} from './store/reservations.ts';

const expiryActor: TransitionActor = { type: 'system', id: 'payments-expiry' };

/** Whether a challenged payment's step-up window has passed (pure). */
export function challengeLapsed(payment: Pick<Payment, 'state' | 'updatedAt'>, ttlMs: number, now: number): boolean {
  return payment.state === 'challenged' && payment.updatedAt + ttlMs <= now;
}

/** Fails one challenged payment and releases what it held; false when it moved on first (resumed, expired). */
export async function expireChallenge(ctx: PaymentsContext, payment: Payment): Promise<boolean> {
  const now = ctx.clock();
  try {
    await ctx.store.transaction(async (tx) => {
      await recordTransition(tx, payment, 'fail', expiryActor, now, { failureCode: 'challenge_expired' });
      await releaseUsage(tx, payment);
      await releaseSubject(tx, payment);
    });
    return true;
  } catch (error) {
    // The conditional state change lost: the payer's step-up or another sweep got there first.
    if (error instanceof AnfuError && error.code === 'payment_state_invalid') return false;
    throw error;
  }
}

export async function expireChallengedPayments(ctx: PaymentsContext, limit: number): Promise<number> {
  const lapsed = await paymentsInState(ctx.store, 'challenged', ctx.clock() - ctx.settings.challengeTtlMs, limit);
  let expired = 0;
  for (const payment of lapsed) if (await expireChallenge(ctx, payment)) expired += 1;
  return expired;
}

/** Refuses a step-up that comes too late, expiring the payment on the way. */
export async function refuseLapsedChallenge(ctx: PaymentsContext, payment: Payment): Promise<void> {
  if (!challengeLapsed(payment, ctx.settings.challengeTtlMs, ctx.clock())) return;
  await expireChallenge(ctx, payment);
  throw new AnfuError('challenge_expired');
}

/** Writes `expired` on orders and requests for money nobody paid in time, and says so. */
export async function expireOrdersAndRequests(ctx: PaymentsContext, limit: number): Promise<{ orders: number; requests: number }> {
  const now = ctx.clock();
  let orders = 0;
  for (const order of await lapsedOrders(ctx.store, now, limit)) {
    const done = await ctx.store.transaction(async (tx) => {
      if (!(await expireOrder(tx, order.id, now))) return false;
      await appendAudit(tx, [{ actorType: 'system', actorId: 'payments-expiry', action: 'order.expire', target: order.id, outcome: 'success', details: { merchantId: order.merchantId } }], now);
      await enqueueOutbox(tx, {
        topic: 'order.expired', destination: { kind: 'merchant', merchantId: order.merchantId },
        payload: { orderId: order.id, merchantReference: order.merchantReference, state: 'expired', amount: formatMajor(order.amount, currencyOf(order.currency)), currency: order.currency, expiredAt: order.expiresAt },
        key: `order.expired:${order.id}`, subject: order.id,
      }, now);
      const payer = await lastPayerOfOrder(tx, order.id);
      const amount = `${formatMajor(order.amount, currencyOf(order.currency))} ${order.currency}`;
      if (payer !== undefined) {
        const message = `The order of ${amount} you tried to pay has expired unpaid`;
        await notify(tx, { customerId: payer, kind: 'order.expired', message, data: { orderId: order.id } }, now);
      }
      return true;
    });
    if (done) orders += 1;
  }
  let requests = 0;
  for (const request of await lapsedRequests(ctx.store, now, limit)) {
    const done = await ctx.store.transaction(async (tx) => {
      if (!(await expireRequest(tx, request.id, now))) return false;
      await appendAudit(tx, [{ actorType: 'system', actorId: 'payments-expiry', action: 'collect.expire', target: request.id, outcome: 'success', details: { payer: request.payerId, requester: request.requesterId } }], now);
      const amount = `${formatMajor(request.amount, currencyOf(request.currency))} ${request.currency}`;
      const data = { collectRequestId: request.id };
      const kind = 'collect_request.expired';
      const toPayer = `A request for ${amount} to you has expired unpaid`;
      await notify(tx, { customerId: request.payerId, kind, message: toPayer, data }, now);
      const toRequester = `Your request for ${amount} has expired unpaid`;
      await notify(tx, { customerId: request.requesterId, kind, message: toRequester, data }, now);
      return true;
    });
    if (done) requests += 1;
  }
  return { orders, requests };
}

