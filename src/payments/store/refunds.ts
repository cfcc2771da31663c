// Refunds' SQL, and the two amounts a refund changes on its payment. `refund_reserved` is what live
// refunds (awaiting approval, processing, succeeded) hold against the payment: the conditional UPDATE
// on it is the guard against refunding more than was paid (the row lock serialises concurrent
// refunds). `refunded_amount` is what executed refunds moved, and only that. Written once for both stores.
import { toBigInt, toNumber, type Queryable, type Row, type Tx } from '../../store/index.ts';

export const refundStates = ['awaiting_approval', 'processing', 'succeeded', 'failed', 'rejected'] as const;
export type RefundState = (typeof refundStates)[number];

export interface Refund {
  readonly id: string;
  readonly paymentId: string;
  readonly merchantId: string;
  readonly amount: bigint;
  readonly currency: string;
  readonly state: RefundState;
  readonly reason: string;
  readonly idempotencyKey: string;
  readonly requestHash: string;
  readonly failureCode: string | null;
  readonly proposalId: string | null;
  readonly createdAt: number;
  readonly updatedAt: number;
}

function refundFromRow(r: Row): Refund {
  return {
    id: r.id as string, paymentId: r.payment_id as string, merchantId: r.merchant_id as string, amount: toBigInt(r.amount), currency: r.currency as string,
    state: r.state as RefundState, reason: r.reason as string, idempotencyKey: r.idempotency_key as string, requestHash: r.request_hash as string,
    failureCode: (r.failure_code as string | null) ?? null, proposalId: (r.proposal_id as string | null) ?? null,
    createdAt: toNumber(r.created_at), updatedAt: toNumber(r.updated_at),
  };
}

export async function refundById(q: Queryable, id: string): Promise<Refund | undefined> {
  const row = await q.get('SELECT * FROM refunds WHERE id = ?', [id]);
  return row === undefined ? undefined : refundFromRow(row);
}

export async function refundByKey(q: Queryable, merchantId: string, key: string): Promise<Refund | undefined> {
  const row = await q.get('SELECT * FROM refunds WHERE merchant_id = ? AND idempotency_key = ?', [merchantId, key]);
  return row === undefined ? undefined : refundFromRow(row);
}

export async function refundsOf(q: Queryable, paymentId: string): Promise<Refund[]> {
  return (await q.all('SELECT * FROM refunds WHERE payment_id = ? ORDER BY id', [paymentId])).map(refundFromRow);
}

export async function refundsInState(q: Queryable, state: RefundState, updatedBefore: number, limit: number): Promise<Refund[]> {
  return (await q.all('SELECT * FROM refunds WHERE state = ? AND updated_at <= ? ORDER BY updated_at LIMIT ?', [state, updatedBefore, limit])).map(refundFromRow);
}

/** Reserves `amount` against a succeeded payment; the reserved total after, or undefined when it would exceed the payment. */
export async function reserveRefund(tx: Tx, paymentId: string, amount: bigint, now: number): Promise<bigint | undefined> {
  const row = await tx.get<{ refund_reserved: unknown }>(
    "UPDATE payments SET refund_reserved = refund_reserved + ?, updated_at = ? WHERE id = ? AND state = 'succeeded' AND refund_reserved + ? <= amount RETURNING refund_reserved",
    [amount, now, paymentId, amount],
  );
  return row === undefined ? undefined : toBigInt(row.refund_reserved);
}

export async function refundableOf(q: Queryable, paymentId: string): Promise<bigint> {
  const row = await q.get<{ amount: unknown; refund_reserved: unknown }>('SELECT amount, refund_reserved FROM payments WHERE id = ?', [paymentId]);
  return row === undefined ? 0n : toBigInt(row.amount) - toBigInt(row.refund_reserved);
}

/** Gives a failed or rejected refund's reservation back. */
export async function releaseRefund(tx: Tx, paymentId: string, amount: bigint, now: number): Promise<void> {
  await tx.run('UPDATE payments SET refund_reserved = refund_reserved - ?, updated_at = ? WHERE id = ?', [amount, now, paymentId]);
}

/** Counts an executed refund; returns the payment's refunded total and amount after it. */
export async function addRefunded(tx: Tx, paymentId: string, amount: bigint, now: number): Promise<{ refunded: bigint; amount: bigint }> {
  const row = await tx.get<{ refunded_amount: unknown; amount: unknown }>('UPDATE payments SET refunded_amount = refunded_amount + ?, updated_at = ? WHERE id = ? RETURNING refunded_amount, amount', [amount, now, paymentId]);
  if (row === undefined) throw new Error('payments invariant: refunded payment missing');
  return { refunded: toBigInt(row.refunded_amount), amount: toBigInt(row.amount) };
}

/** Inserts the refund unless its (merchant, idempotency key) is taken; false when a concurrent request won. */
export async function insertRefundIfNew(tx: Tx, r: Omit<Refund, 'failureCode' | 'updatedAt'>): Promise<boolean> {
  return (await tx.run(
    `INSERT INTO refunds (id, payment_id, merchant_id, amount, currency, state, reason, idempotency_key, request_hash, proposal_id, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (merchant_id, idempotency_key) DO NOTHING`,
    [r.id, r.paymentId, r.merchantId, r.amount, r.currency, r.state, r.reason, r.idempotencyKey, r.requestHash, r.proposalId, r.createdAt, r.createdAt],
  )) === 1;
}

/** Conditional state change: false when another process moved the refund first. */
export async function moveRefund(tx: Tx, id: string, from: readonly RefundState[], to: RefundState, failureCode: string | null, now: number): Promise<boolean> {
  const list = from.map(() => '?').join(', ');
  return (await tx.run(`UPDATE refunds SET state = ?, failure_code = ?, updated_at = ? WHERE id = ? AND state IN (${list})`, [to, failureCode, now, id, ...from])) === 1;
}
