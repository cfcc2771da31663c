// The money step of a payment that did not settle in its batch (one resumed after a challenge, one a
// crash left `processing`), outside any database transaction: the principal (payer → payee) and the
// merchant fee (merchant → platform fees) go to the ledger as ONE linked submit — both legs or
// neither — under derived keys (<payment>:principal, <payment>:fee), the batch's keys too.
// A crash before the outcome is recorded leaves the payment `processing`; `settleStuckPayments`
// re-runs this step, and the keys make the ledger answer with what it already did.
import { enqueueOutbox } from '../events/index.ts';
import { formatMajor, currencyOf } from '../money/index.ts';
import type { TransferRequest } from '../ledger/index.ts';
import type { Tx } from '../store/index.ts';
import { legsBetween } from './decide-payment.ts';
import { feeAccountOf, merchantAccountOf, walletOf } from './payment-accounts.ts';
import type { PaymentsContext } from './payments-context.ts';
import { recordTransition, type TransitionActor } from './record-transition.ts';
import { paymentById, paymentsInState, type Payment } from './store/payments.ts';
import { markSubjectPaid, releaseSubject, releaseUsage } from './store/reservations.ts';

const systemActor: TransitionActor = { type: 'system', id: 'payments' };

/** The ledger accounts of a payment: the payer's wallet, the payee's wallet or merchant account, the fees account. */
export async function paymentAccountsOf(
  ctx: PaymentsContext,
  payment: Payment,
): Promise<{ debit: string; credit: string; fees: string | undefined }> {
  const { ledger } = ctx;
  const wallet = await walletOf(ledger, payment.payerId, payment.currency);
  const credit = payment.kind === 'order_payment' && payment.merchantId !== null
    ? await merchantAccountOf(ledger, payment.merchantId, payment.currency)
    : await walletOf(ledger, payment.payeeId, payment.currency);
  const fees = payment.fee > 0n ? await feeAccountOf(ledger, payment.currency) : undefined;
  return { debit: wallet.id, credit: credit.id, fees: fees?.id };
}

async function legsOf(ctx: PaymentsContext, payment: Payment): Promise<TransferRequest[]> {
  return legsBetween(payment, await paymentAccountsOf(ctx, payment));
}

/** Moves the money of a `processing` payment and records the outcome; returns the payment as it ends. */
export async function settlePayment(ctx: PaymentsContext, payment: Payment): Promise<Payment> {
  const outcome = await ctx.ledger.submitLinked(await legsOf(ctx, payment));
  return outcome.ok ? finishSucceeded(ctx, payment) : finishFailed(ctx, payment, outcome.code);
}

/** Ends a payment `failed` with `code`, releasing its limit usage and its order or request for money. */
export async function failPayment(ctx: PaymentsContext, payment: Payment, code: string): Promise<Payment> {
  return finishFailed(ctx, payment, code);
}

async function finishFailed(ctx: PaymentsContext, payment: Payment, code: string): Promise<Payment> {
  const now = ctx.clock();
  await ctx.store.transaction(async (tx) => {
    await recordTransition(tx, payment, 'fail', systemActor, now, { failureCode: code });
    await releaseUsage(tx, payment);
    await releaseSubject(tx, payment);
  });
  return reread(ctx, payment.id);
}

function paidEvent(payment: Payment) {
  const currency = currencyOf(payment.currency);
  return {
    paymentId: payment.id, orderId: payment.orderId, state: 'succeeded', amount: formatMajor(payment.amount, currency),
    fee: formatMajor(payment.fee, currency), net: formatMajor(payment.amount - payment.fee, currency), currency: payment.currency,
  };
}

async function finishSucceeded(ctx: PaymentsContext, payment: Payment): Promise<Payment> {
  const now = ctx.clock();
  await ctx.store.transaction((tx) => recordSettlement(tx, payment, now));
  return reread(ctx, payment.id);
}

/** A `processing` payment whose money moved, recorded in `tx`: its order or request paid, the merchant told. */
export async function recordSettlement(tx: Tx, payment: Payment, now: number): Promise<void> {
  await recordSubjectPaid(tx, payment, now);
  await recordTransition(tx, payment, 'settle', systemActor, now);
}

/** The order or request a payment whose money moved paid, marked paid; an order's merchant told (`order.paid`). */
export async function recordSubjectPaid(tx: Tx, payment: Payment, now: number): Promise<void> {
  await markSubjectPaid(tx, payment, now);
  if (payment.kind === 'order_payment' && payment.merchantId !== null) {
    const destination = { kind: 'merchant' as const, merchantId: payment.merchantId };
    const subject = payment.orderId ?? payment.id;
    const payload = paidEvent(payment);
    await enqueueOutbox(tx, { topic: 'order.paid', destination, payload, key: `order.paid:${payment.id}`, subject }, now);
  }
}

async function reread(ctx: PaymentsContext, id: string): Promise<Payment> {
  const payment = await paymentById(ctx.store, id);
  if (payment === undefined) throw new Error('payments invariant: payment vanished');
  return payment;
}

/** Re-runs the money step of payments left `processing` (a crash between steps); idempotent. */
export async function settleStuckPayments(ctx: PaymentsContext, olderThanMs: number, limit = 100): Promise<number> {
  const stuck = await paymentsInState(ctx.store, 'processing', ctx.clock() - olderThanMs, limit);
  for (const payment of stuck) await settlePayment(ctx, payment);
  return stuck.length;
}
