// The SQL of a customer's payment history: one page from each table that holds a customer's money
// movements (payments as payer or payee, top-ups and withdrawals, refunds of payments they made),
// newest first and continuing after a cursor. Ids sort by creation (src/ids.ts), so each table pages
// on its own id index; payments/history.ts merges the pages. Written once for both stores.
import { toBigInt, toNumber, type Queryable, type Row } from '../../store/index.ts';

export interface HistoryRow {
  readonly id: string;
  readonly kind: string;
  readonly state: string;
  readonly payerId: string | null;
  readonly payeeId: string | null;
  readonly merchantId: string | null;
  readonly cardId: string | null;
  readonly paymentId: string | null;
  readonly amount: bigint;
  readonly fee: bigint;
  readonly currency: string;
  readonly failureCode: string | null;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export interface HistoryQuery {
  readonly customerId: string;
  /** Only ids created before this one's time-and-random part (the cursor), or everything. */
  readonly before: string | undefined;
  readonly state: string | undefined;
  readonly currency: string | undefined;
  readonly kinds: readonly string[] | undefined;
  readonly limit: number;
}

const text = (v: unknown): string | null => (v === null || v === undefined ? null : (v as string));

function historyFromRow(r: Row): HistoryRow {
  return {
    id: r.id as string, kind: r.kind as string, state: r.state as string,
    payerId: text(r.payer_id), payeeId: text(r.payee_id),
    merchantId: text(r.merchant_id), cardId: text(r.card_id), paymentId: text(r.payment_id), amount: toBigInt(r.amount),
    fee: toBigInt(r.fee ?? 0), currency: r.currency as string, failureCode: text(r.failure_code),
    createdAt: toNumber(r.created_at), updatedAt: toNumber(r.updated_at),
  };
}

/** The same position in another table: its prefix with the cursor's time-and-random part. */
function bound(prefix: string, before: string | undefined): string | undefined {
  return before === undefined ? undefined : `${prefix}_${before.slice(before.indexOf('_') + 1)}`;
}

function filters(alias: string, q: HistoryQuery, prefix: string, kindColumn: string | undefined) {
  const where: string[] = [];
  const params: (string | number)[] = [];
  const after = bound(prefix, q.before);
  if (after !== undefined) { where.push(`${alias}.id < ?`); params.push(after); }
  if (q.state !== undefined) { where.push(`${alias}.state = ?`); params.push(q.state); }
  if (q.currency !== undefined) { where.push(`${alias}.currency = ?`); params.push(q.currency); }
  if (q.kinds !== undefined && kindColumn !== undefined) {
    where.push(`${kindColumn} IN (${q.kinds.map(() => '?').join(', ')})`);
    params.push(...q.kinds);
  }
  return { sql: where.map((w) => ` AND ${w}`).join(''), params };
}

export async function paymentHistoryRows(q: Queryable, h: HistoryQuery): Promise<HistoryRow[]> {
  const f = filters('p', h, 'pay', 'p.kind');
  const rows = await q.all(
    `SELECT p.id, p.kind, p.state, p.payer_id, p.payee_id, p.merchant_id, NULL AS card_id, NULL AS payment_id,
            p.amount, p.fee, p.currency, p.failure_code, p.created_at, p.updated_at
       FROM payments p WHERE (p.payer_id = ? OR p.payee_id = ?)${f.sql} ORDER BY p.id DESC LIMIT ?`,
    [h.customerId, h.customerId, ...f.params, h.limit],
  );
  return rows.map(historyFromRow);
}

export async function fundingHistoryRows(q: Queryable, h: HistoryQuery): Promise<HistoryRow[]> {
  const f = filters('f', h, 'fnd', 'f.kind');
  const rows = await q.all(
    `SELECT f.id, f.kind, f.state, NULL AS payer_id, NULL AS payee_id, NULL AS merchant_id,
            f.card_id, NULL AS payment_id,
            f.amount, 0 AS fee, f.currency, f.failure_code, f.created_at, f.updated_at
       FROM funding_payments f WHERE f.customer_id = ?${f.sql} ORDER BY f.id DESC LIMIT ?`,
    [h.customerId, ...f.params, h.limit],
  );
  return rows.map(historyFromRow);
}

/** Refunds of the customer's payments (money coming back to them). */
export async function refundHistoryRows(q: Queryable, h: HistoryQuery): Promise<HistoryRow[]> {
  const f = filters('r', h, 'rfd', undefined);
  const rows = await q.all(
    `SELECT r.id, 'refund' AS kind, r.state, p.payer_id, p.payee_id, r.merchant_id, NULL AS card_id, r.payment_id,
            r.amount, 0 AS fee, r.currency, r.failure_code, r.created_at, r.updated_at
       FROM refunds r JOIN payments p ON p.id = r.payment_id WHERE p.payer_id = ?${f.sql} ORDER BY r.id DESC LIMIT ?`,
    [h.customerId, ...f.params, h.limit],
  );
  return rows.map(historyFromRow);
}
