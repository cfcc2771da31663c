// Refunds of merchant order payments, full or partial. The sum of refunds can never exceed what was
// paid: the payment row's refunded_amount grows by a conditional UPDATE (the row lock serialises
// concurrent refunds) and a CHECK backs it. Money moves merchant → payer wallet after commit; an
// insufficient merchant balance fails the refund and gives the reservation back. Refunds above the
// configured amount wait for maker–checker approval ('payment.refund' proposals, src/access).
import { createHash } from 'node:crypto';
import { appendAudit } from '../audit/index.ts';
import { AnfuError } from '../errors.ts';
import { enqueueOutbox } from '../events/index.ts';
import { newId } from '../ids.ts';
import { currencyOf, formatMajor } from '../money/index.ts';
import { merchantAccountOf, paymentById, recordTransition, walletOf, type PaymentsContext } from '../payments/index.ts';
import { toBigInt, toNumber, type Queryable, type Row } from '../store/index.ts';

export type RefundState = 'awaiting_approval' | 'processing' | 'succeeded' | 'failed' | 'rejected';

export interface Refund {
  readonly id: string;
  readonly paymentId: string;
  readonly merchantId: string;
  readonly amount: bigint;
  readonly currency: string;
  readonly state: RefundState;
  readonly reason: string;
  readonly failureCode: string | null;
  readonly createdAt: number;
}

function refundFromRow(r: Row): Refund {
  return {
    id: r.id as string, paymentId: r.payment_id as string, merchantId: r.merchant_id as string, amount: toBigInt(r.amount), currency: r.currency as string,
    state: r.state as RefundState, reason: r.reason as string, failureCode: (r.failure_code as string | null) ?? null, createdAt: toNumber(r.created_at),
  };
}

export async function refundById(q: Queryable, id: string): Promise<Refund | undefined> {
  const row = await q.get('SELECT * FROM refunds WHERE id = ?', [id]);
  return row === undefined ? undefined : refundFromRow(row);
}

export async function refundsOf(q: Queryable, paymentId: string): Promise<Refund[]> {
  return (await q.all('SELECT * FROM refunds WHERE payment_id = ? ORDER BY id', [paymentId])).map(refundFromRow);
}

export interface RefundRequest {
  readonly amount: bigint;
  readonly reason: string;
  readonly idempotencyKey: string;
}

export async function requestRefund(ctx: PaymentsContext, merchantId: string, paymentId: string, request: RefundRequest): Promise<{ refund: Refund; replayed: boolean }> {
  const hash = createHash('sha256').update(`${paymentId}\n${request.amount}\n${request.reason}`).digest('hex');
  const existing = await ctx.store.get('SELECT * FROM refunds WHERE merchant_id = ? AND idempotency_key = ?', [merchantId, request.idempotencyKey]);
  if (existing !== undefined) {
    // Not a secret: the hash only tells a retry from a different request under the same key.
    // eslint-disable-next-line security/detect-possible-timing-attacks -- a request digest, not a secret
    if (existing.request_hash !== hash) throw new AnfuError('idempotency_conflict');
    return { refund: refundFromRow(existing), replayed: true };
  }
  if (request.amount <= 0n) throw new AnfuError('invalid_amount', 'a refund must be greater than zero');
  const payment = await paymentById(ctx.store, paymentId);
  if (payment === undefined || payment.merchantId !== merchantId) throw new AnfuError('payment_not_found');
  if (payment.state !== 'succeeded') throw new AnfuError('payment_state_invalid', `a ${payment.state} payment cannot be refunded`);
  const now = ctx.clock();
  const id = newId('rfd', now);
  const state: RefundState = request.amount > ctx.settings.refundApprovalMinor ? 'awaiting_approval' : 'processing';
  await ctx.store.transaction(async (tx) => {
    const reserved = await tx.run("UPDATE payments SET refunded_amount = refunded_amount + ?, updated_at = ? WHERE id = ? AND state = 'succeeded' AND refunded_amount + ? <= amount", [request.amount, now, paymentId, request.amount]);
    if (reserved !== 1) {
      const left = await tx.get<{ amount: unknown; refunded_amount: unknown }>('SELECT amount, refunded_amount FROM payments WHERE id = ?', [paymentId]);
      const remaining = left === undefined ? 0n : toBigInt(left.amount) - toBigInt(left.refunded_amount);
      throw new AnfuError('refund_exceeds_payment', undefined, { remaining: formatMajor(remaining, currencyOf(payment.currency)) });
    }
    await tx.run(
      'INSERT INTO refunds (id, payment_id, merchant_id, amount, currency, state, reason, idempotency_key, request_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      [id, paymentId, merchantId, request.amount, payment.currency, state, request.reason, request.idempotencyKey, hash, now, now],
    );
    await appendAudit(tx, [{ actorType: 'merchant', actorId: merchantId, action: 'refund.request', target: id, outcome: 'success', details: { paymentId, amount: request.amount.toString(), state } }], now);
  });
  const refund = state === 'processing' ? await executeRefund(ctx, id) : await refundById(ctx.store, id);
  if (refund === undefined) throw new Error('payments invariant: refund vanished');
  return { refund, replayed: false };
}

/** Moves a refund's money and records the outcome; idempotent (the ledger key is the refund id). */
export async function executeRefund(ctx: PaymentsContext, refundId: string): Promise<Refund> {
  const refund = await refundById(ctx.store, refundId);
  if (refund === undefined) throw new AnfuError('refund_not_found');
  if (refund.state !== 'processing' && refund.state !== 'awaiting_approval') return refund;
  const payment = await paymentById(ctx.store, refund.paymentId);
  if (payment === undefined) throw new Error('payments invariant: refund without payment');
  const merchant = await merchantAccountOf(ctx.ledger, refund.merchantId, refund.currency);
  const wallet = await walletOf(ctx.ledger, payment.payerId, refund.currency);
  const outcome = await ctx.ledger.submit({ kind: 'single', key: `${refund.id}:refund`, debitAccountId: merchant.id, creditAccountId: wallet.id, amount: refund.amount, currency: refund.currency, reference: refund.id });
  const now = ctx.clock();
  await ctx.store.transaction(async (tx) => {
    const to: RefundState = outcome.ok ? 'succeeded' : 'failed';
    const changed = await tx.run("UPDATE refunds SET state = ?, failure_code = ?, updated_at = ? WHERE id = ? AND state IN ('processing', 'awaiting_approval')", [to, outcome.ok ? null : outcome.code, now, refund.id]);
    if (changed !== 1) return;
    await appendAudit(tx, [{ actorType: 'system', actorId: 'payments', action: 'refund.execute', target: refund.id, outcome: outcome.ok ? 'success' : 'failure', details: { paymentId: refund.paymentId, amount: refund.amount.toString(), ...(outcome.ok ? {} : { failureCode: outcome.code }) } }], now);
    if (!outcome.ok) {
      await tx.run('UPDATE payments SET refunded_amount = refunded_amount - ?, updated_at = ? WHERE id = ?', [refund.amount, now, refund.paymentId]);
      return;
    }
    const fresh = await paymentById(tx, refund.paymentId);
    if (fresh !== undefined && fresh.refundedAmount === fresh.amount && fresh.state === 'succeeded') await recordTransition(tx, fresh, 'reverse', { type: 'system', id: 'payments' }, now, { reasons: ['fully_refunded'] });
    await enqueueOutbox(tx, { topic: 'refund.succeeded', destination: { kind: 'merchant', merchantId: refund.merchantId }, payload: { refundId: refund.id, paymentId: refund.paymentId, orderId: payment.orderId, amount: formatMajor(refund.amount, currencyOf(refund.currency)), currency: refund.currency }, key: `refund.succeeded:${refund.id}`, subject: payment.orderId ?? payment.id }, now);
  });
  const after = await refundById(ctx.store, refund.id);
  if (after === undefined) throw new Error('payments invariant: refund vanished');
  return after;
}
