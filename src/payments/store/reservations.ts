// What a payment holds while it is not finished, and how it is given back: the payer's limit usage
// (three counters: lifetime, year, day) and the order or request for money it claimed (`paying`).
// Also the expiry of orders and requests nobody paid in time. Written once for both stores.
import type { Queryable, Tx } from '../../store/index.ts';
import { toBigInt, toNumber } from '../../store/index.ts';
import { usagePeriodsOf } from '../decide-payment.ts';
import type { Payment } from './payments.ts';

/** Gives back the limit usage a payment reserved when it was created. */
export async function releaseUsage(tx: Tx, payment: Payment): Promise<void> {
  for (const period of usagePeriodsOf(payment)) {
    await tx.run('UPDATE payment_limit_usage SET used = used - ? WHERE customer_id = ? AND period = ?', [payment.amount, payment.payerId, period]);
  }
}

/** Frees the order or request a payment claimed, so it can be paid again (or expire). */
export async function releaseSubject(tx: Tx, payment: Payment): Promise<void> {
  if (payment.kind === 'order_payment') await tx.run("UPDATE checkout_orders SET state = 'open', payment_id = NULL WHERE id = ? AND payment_id = ? AND state = 'paying'", [payment.orderId, payment.id]);
  if (payment.kind === 'collect_payment') await tx.run("UPDATE collect_requests SET state = 'pending', payment_id = NULL WHERE id = ? AND payment_id = ? AND state = 'paying'", [payment.orderId, payment.id]);
}

/** Marks the claimed order or request paid, in the settling transaction. */
export async function markSubjectPaid(tx: Tx, payment: Payment, now: number): Promise<void> {
  if (payment.kind === 'order_payment') await tx.run("UPDATE checkout_orders SET state = 'paid', paid_at = ? WHERE id = ? AND payment_id = ? AND state = 'paying'", [now, payment.orderId, payment.id]);
  if (payment.kind === 'collect_payment') await tx.run("UPDATE collect_requests SET state = 'paid' WHERE id = ? AND payment_id = ? AND state = 'paying'", [payment.orderId, payment.id]);
}

export interface LapsedOrder {
  readonly id: string;
  readonly merchantId: string;
  readonly merchantReference: string;
  readonly amount: bigint;
  readonly currency: string;
  readonly expiresAt: number;
}

export async function lapsedOrders(q: Queryable, now: number, limit: number): Promise<LapsedOrder[]> {
  const rows = await q.all("SELECT id, merchant_id, merchant_reference, amount, currency, expires_at FROM checkout_orders WHERE state = 'open' AND expires_at <= ? ORDER BY expires_at LIMIT ?", [now, limit]);
  return rows.map((r) => ({ id: r.id as string, merchantId: r.merchant_id as string, merchantReference: r.merchant_reference as string, amount: toBigInt(r.amount), currency: r.currency as string, expiresAt: toNumber(r.expires_at) }));
}

/** Writes `expired` on an open order past its expiry; false when it was claimed or expired first. */
export async function expireOrder(tx: Tx, id: string, now: number): Promise<boolean> {
  return (await tx.run("UPDATE checkout_orders SET state = 'expired' WHERE id = ? AND state = 'open' AND expires_at <= ?", [id, now])) === 1;
}

export interface LapsedRequest {
  readonly id: string;
  readonly requesterId: string;
  readonly payerId: string;
  readonly amount: bigint;
  readonly currency: string;
}

export async function lapsedRequests(q: Queryable, now: number, limit: number): Promise<LapsedRequest[]> {
  const rows = await q.all("SELECT id, requester_id, payer_id, amount, currency FROM collect_requests WHERE state = 'pending' AND expires_at <= ? ORDER BY expires_at LIMIT ?", [now, limit]);
  return rows.map((r) => ({ id: r.id as string, requesterId: r.requester_id as string, payerId: r.payer_id as string, amount: toBigInt(r.amount), currency: r.currency as string }));
}

export async function expireRequest(tx: Tx, id: string, now: number): Promise<boolean> {
  return (await tx.run("UPDATE collect_requests SET state = 'expired' WHERE id = ? AND state = 'pending' AND expires_at <= ?", [id, now])) === 1;
}

/** The customer who last tried to pay an order (a failed or expired attempt), if anyone did. */
export async function lastPayerOfOrder(q: Queryable, orderId: string): Promise<string | undefined> {
  const sql = 'SELECT payer_id FROM payments WHERE order_id = ? ORDER BY id DESC LIMIT 1';
  const row = await q.get<{ payer_id: string }>(sql, [orderId]);
  return row?.payer_id;
}
