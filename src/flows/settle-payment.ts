// The money step of a payment, outside any database transaction: the principal moves payer →
// payee, then the merchant fee moves merchant → platform fees. The ledger takes one transfer per
// submit, so the two legs carry derived idempotency keys (<payment>:principal, <payment>:fee) and a
// failed fee leg is compensated (<payment>:principal:compensation). A crash between legs leaves the
// payment `processing`; `settleStuckPayments` re-runs this step, and the keys make that safe.
import { enqueueOutbox } from '../events/index.ts';
import { formatMajor, currencyOf } from '../money/index.ts';
import {
  addUsage, feeAccountOf, merchantAccountOf, paymentById, paymentsInState, recordTransition, walletOf,
  type Payment, type PaymentsContext, type TransitionActor,
} from '../payments/index.ts';
import type { Tx } from '../store/index.ts';

const systemActor: TransitionActor = { type: 'system', id: 'payments' };

async function creditAccountId(ctx: PaymentsContext, payment: Payment): Promise<string> {
  if (payment.kind === 'order_payment' && payment.merchantId !== null) return (await merchantAccountOf(ctx.ledger, payment.merchantId, payment.currency)).id;
  return (await walletOf(ctx.ledger, payment.payeeId, payment.currency)).id;
}

/** Moves the money of a `processing` payment and records the outcome; returns the payment as it ends. */
export async function settlePayment(ctx: PaymentsContext, payment: Payment): Promise<Payment> {
  const { ledger } = ctx;
  const wallet = await walletOf(ledger, payment.payerId, payment.currency);
  const credit = await creditAccountId(ctx, payment);
  const principal = await ledger.submit({ kind: 'single', key: `${payment.id}:principal`, debitAccountId: wallet.id, creditAccountId: credit, amount: payment.amount, currency: payment.currency, reference: payment.id });
  if (!principal.ok) return finishFailed(ctx, payment, principal.code);
  if (payment.fee > 0n) {
    const fees = await feeAccountOf(ledger, payment.currency);
    const fee = await ledger.submit({ kind: 'single', key: `${payment.id}:fee`, debitAccountId: credit, creditAccountId: fees.id, amount: payment.fee, currency: payment.currency, reference: payment.id });
    if (!fee.ok) {
      const back = await ledger.submit({ kind: 'single', key: `${payment.id}:principal:compensation`, debitAccountId: credit, creditAccountId: wallet.id, amount: payment.amount, currency: payment.currency, reference: payment.id });
      // The payee account has just received the principal; if it cannot give it back, stop loudly.
      if (!back.ok) throw new Error(`payments invariant: compensation of ${payment.id} failed (${back.code})`);
      return finishFailed(ctx, payment, fee.code);
    }
  }
  return finishSucceeded(ctx, payment);
}

async function releaseSubject(tx: Tx, payment: Payment): Promise<void> {
  if (payment.kind === 'order_payment') await tx.run("UPDATE checkout_orders SET state = 'open', payment_id = NULL WHERE id = ? AND payment_id = ? AND state = 'paying'", [payment.orderId, payment.id]);
  if (payment.kind === 'collect_payment') await tx.run("UPDATE collect_requests SET state = 'pending', payment_id = NULL WHERE id = ? AND payment_id = ? AND state = 'paying'", [payment.orderId, payment.id]);
}

/** Gives back the limit usage a payment reserved when it was created. */
export async function releaseUsage(tx: Tx, payment: Payment): Promise<void> {
  for (const period of ['life', `year:${payment.limitYear}`, `day:${payment.limitDay}`]) await addUsage(tx, payment.payerId, period, -payment.amount);
}

/** Fails a payment that has not moved money (or whose money was compensated): limits and subject released. */
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
  await ctx.store.transaction(async (tx) => {
    if (payment.kind === 'order_payment') {
      await tx.run("UPDATE checkout_orders SET state = 'paid', paid_at = ? WHERE id = ? AND payment_id = ? AND state = 'paying'", [now, payment.orderId, payment.id]);
      if (payment.merchantId !== null) {
        await enqueueOutbox(tx, { topic: 'order.paid', destination: { kind: 'merchant', merchantId: payment.merchantId }, payload: paidEvent(payment), key: `order.paid:${payment.id}`, subject: payment.orderId ?? payment.id }, now);
      }
    }
    if (payment.kind === 'collect_payment') await tx.run("UPDATE collect_requests SET state = 'paid' WHERE id = ? AND payment_id = ?", [payment.orderId, payment.id]);
    await recordTransition(tx, payment, 'settle', systemActor, now);
  });
  return reread(ctx, payment.id);
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
