// A customer's payment history (`GET /v1/payments`): every movement of their money in one list —
// transfers sent and received, order and request payments, top-ups, withdrawals, and refunds of
// what they paid — newest first, each with its `kind` and direction, paged by a cursor (the last
// entry's id) and filtered by kind, state and currency.
import type { Queryable } from '../store/index.ts';
import {
  fundingHistoryRows, paymentHistoryRows, refundHistoryRows, type HistoryQuery, type HistoryRow,
} from './store/history.ts';

export const historyKinds = ['transfer', 'order_payment', 'collect_payment', 'top_up', 'withdrawal', 'refund'] as const;
export type HistoryKind = (typeof historyKinds)[number];

export interface HistoryEntry {
  readonly id: string;
  readonly kind: HistoryKind;
  readonly state: string;
  /** `in`: money to the customer's wallet; `out`: money from it. */
  readonly direction: 'in' | 'out';
  readonly amount: bigint;
  readonly fee: bigint;
  readonly currency: string;
  /** The other side: a customer's wallet, a merchant, or the customer's own card. */
  readonly counterparty: { readonly type: 'customer' | 'merchant' | 'card'; readonly id: string };
  /** A refund's payment. */
  readonly paymentId: string | null;
  readonly failureCode: string | null;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export interface HistoryFilter {
  readonly kind?: HistoryKind | undefined;
  readonly state?: string | undefined;
  readonly currency?: string | undefined;
  /** The last id of the previous page. */
  readonly cursor?: string | undefined;
  readonly limit: number;
}

const paymentKinds = new Set<string>(['transfer', 'order_payment', 'collect_payment']);
const fundingKinds = new Set<string>(['top_up', 'withdrawal']);

/** The time-and-random part of an id: what orders entries of different tables. */
const positionOf = (id: string) => id.slice(id.indexOf('_') + 1);

function entryOf(customerId: string, r: HistoryRow): HistoryEntry {
  const base = {
    id: r.id, kind: r.kind as HistoryKind, state: r.state, amount: r.amount, fee: r.fee, currency: r.currency,
    failureCode: r.failureCode, createdAt: r.createdAt, updatedAt: r.updatedAt, paymentId: r.paymentId,
  };
  const merchant = { type: 'merchant' as const, id: r.merchantId ?? '' };
  if (r.kind === 'refund') return { ...base, direction: 'in', counterparty: merchant };
  if (r.kind === 'top_up') return { ...base, direction: 'in', counterparty: { type: 'card', id: r.cardId ?? '' } };
  if (r.kind === 'withdrawal') return { ...base, direction: 'out', counterparty: { type: 'card', id: r.cardId ?? '' } };
  const out = r.payerId === customerId;
  const direction = out ? 'out' : 'in';
  if (r.merchantId !== null) return { ...base, direction, counterparty: merchant };
  return { ...base, direction, counterparty: { type: 'customer', id: (out ? r.payeeId : r.payerId) ?? '' } };
}

/** One page of the customer's history and the cursor of the next (null on the last page). */
export async function paymentHistory(
  q: Queryable,
  customerId: string,
  filter: HistoryFilter,
): Promise<{ items: HistoryEntry[]; nextCursor: string | null }> {
  const query: HistoryQuery = {
    customerId, before: filter.cursor, state: filter.state, currency: filter.currency,
    kinds: filter.kind === undefined ? undefined : [filter.kind], limit: filter.limit + 1,
  };
  const wanted = (set: Set<string>) => filter.kind === undefined || set.has(filter.kind);
  const pages = await Promise.all([
    wanted(paymentKinds) ? paymentHistoryRows(q, query) : [],
    wanted(fundingKinds) ? fundingHistoryRows(q, query) : [],
    filter.kind === undefined || filter.kind === 'refund' ? refundHistoryRows(q, { ...query, kinds: undefined }) : [],
  ]);
  const newestFirst = (a: HistoryRow, b: HistoryRow) => {
    const [x, y] = [positionOf(a.id), positionOf(b.id)];
    return x < y ? 1 : x > y ? -1 : 0;
  };
  const merged = pages.flat().sort(newestFirst);
  const items = merged.slice(0, filter.limit).map((r) => entryOf(customerId, r));
  return { items, nextCursor: merged.length > filter.limit ? (items.at(-1)?.id ?? null) : null };
}
