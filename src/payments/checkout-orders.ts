// Checkout orders: a merchant asks for an amount until an expiry; the customer pays it by its
// payment code (shown as a QR code). One order is paid at most once (a conditional claim). The
// merchant's reference is its idempotency key: repeating it with the same amount, currency and
// description returns the existing order; with anything else it is refused (order_reference_conflict).
// A merchant frozen by a sanctions hit opens no order (`merchant_frozen`).
import { randomBytes } from 'node:crypto';
import QRCode from 'qrcode';
import { AnfuError } from '../errors.ts';
import { newId } from '../ids.ts';
import { refuseIfMerchantFrozen } from './merchant-freeze.ts';
import { toBigInt, toNumber, type Queryable, type Row, type Store, type Tx } from '../store/index.ts';

export type OrderState = 'open' | 'paying' | 'paid' | 'expired';

export interface CheckoutOrder {
  readonly id: string;
  readonly merchantId: string;
  readonly merchantReference: string;
  readonly amount: bigint;
  readonly currency: string;
  readonly description: string;
  readonly paymentCode: string;
  readonly state: OrderState;
  readonly paymentId: string | null;
  readonly expiresAt: number;
  readonly createdAt: number;
  readonly paidAt: number | null;
}

function orderFromRow(r: Row, now: number): CheckoutOrder {
  const expiresAt = toNumber(r.expires_at);
  const stored = r.state as OrderState;
  return {
    id: r.id as string,
    merchantId: r.merchant_id as string,
    merchantReference: r.merchant_reference as string,
    amount: toBigInt(r.amount),
    currency: r.currency as string,
    description: r.description as string,
    paymentCode: r.payment_code as string,
    state: stored === 'open' && expiresAt <= now ? 'expired' : stored,
    paymentId: (r.payment_id as string | null) ?? null,
    expiresAt,
    createdAt: toNumber(r.created_at),
    paidAt: r.paid_at === null || r.paid_at === undefined ? null : toNumber(r.paid_at),
  };
}

export interface OrderInput {
  readonly merchantId: string;
  readonly merchantReference: string;
  readonly amount: bigint;
  readonly currency: string;
  readonly description: string;
  readonly ttlMs: number;
}

/** Creates the order, or returns the one the reference already names when the request is the same. */
export async function openCheckoutOrder(
  store: Store,
  input: OrderInput,
  now: number,
): Promise<{ order: CheckoutOrder; replayed: boolean }> {
  await refuseIfMerchantFrozen(store, input.merchantId, { action: 'order.create', target: null, now });
  const id = newId('ord', now);
  const paymentCode = `AF${randomBytes(10).toString('hex').toUpperCase()}`;
  const inserted = await store.run(
    "INSERT INTO checkout_orders (id, merchant_id, merchant_reference, amount, currency, description, payment_code, state, expires_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'open', ?, ?) ON CONFLICT (merchant_id, merchant_reference) DO NOTHING",
    [
      id,
      input.merchantId,
      input.merchantReference,
      input.amount,
      input.currency,
      input.description,
      paymentCode,
      now + input.ttlMs,
      now,
    ],
  );
  if (inserted === 0)
    return {
      order: sameOrderAs(await orderByReference(store, input.merchantId, input.merchantReference, now), input),
      replayed: true,
    };
  const order = await orderById(store, id, now);
  if (order === undefined) throw new Error('payments invariant: order vanished');
  return { order, replayed: false };
}

function sameOrderAs(existing: CheckoutOrder | undefined, input: OrderInput): CheckoutOrder {
  if (existing === undefined) throw new Error('payments invariant: an order reference is taken but no order holds it');
  const same =
    existing.amount === input.amount &&
    existing.currency === input.currency &&
    existing.description === input.description;
  if (!same) throw new AnfuError('order_reference_conflict', undefined, { orderId: existing.id });
  return existing;
}

export async function createCheckoutOrder(store: Store, input: OrderInput, now: number): Promise<CheckoutOrder> {
  return (await openCheckoutOrder(store, input, now)).order;
}

export async function orderByReference(
  q: Queryable,
  merchantId: string,
  reference: string,
  now: number,
): Promise<CheckoutOrder | undefined> {
  const row = await q.get('SELECT * FROM checkout_orders WHERE merchant_id = ? AND merchant_reference = ?', [
    merchantId,
    reference,
  ]);
  return row === undefined ? undefined : orderFromRow(row, now);
}

export async function orderById(q: Queryable, id: string, now: number): Promise<CheckoutOrder | undefined> {
  const row = await q.get('SELECT * FROM checkout_orders WHERE id = ?', [id]);
  return row === undefined ? undefined : orderFromRow(row, now);
}

export async function orderByCode(q: Queryable, code: string, now: number): Promise<CheckoutOrder | undefined> {
  const row = await q.get('SELECT * FROM checkout_orders WHERE payment_code = ?', [code]);
  return row === undefined ? undefined : orderFromRow(row, now);
}

/** Claims an open, unexpired order for a payment; refuses an expired or already-paid one. */
export async function claimOrder(tx: Tx, orderId: string, paymentId: string, now: number): Promise<void> {
  const changed = await tx.run(
    "UPDATE checkout_orders SET state = 'paying', payment_id = ? WHERE id = ? AND state = 'open' AND expires_at > ?",
    [paymentId, orderId, now],
  );
  if (changed === 1) return;
  const row = await tx.get<{ state: string }>('SELECT state FROM checkout_orders WHERE id = ?', [orderId]);
  if (row === undefined) throw new AnfuError('order_not_found');
  throw new AnfuError(row.state === 'open' ? 'order_expired' : 'order_already_paid');
}

/** What the QR code carries: the payment code, for the wallet app to open the order. */
export function orderQrText(order: Pick<CheckoutOrder, 'paymentCode'>): string {
  return `anfu://pay?code=${order.paymentCode}`;
}

export function orderQrSvg(order: Pick<CheckoutOrder, 'paymentCode'>): Promise<string> {
  return QRCode.toString(orderQrText(order), { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
}
