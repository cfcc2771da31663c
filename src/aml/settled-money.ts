// The money movements AML looks at, read from payments and card funding in one shape: each settled
// (succeeded) movement with who paid, who was paid, the kind of party on each side, and the device
// that signed it. Wallet-to-wallet and merchant payments are transfers between payment accounts;
// top-ups and withdrawals move money between a customer's wallet and their own bank card.
import type { Queryable } from '../store/index.ts';

export type PartyType = 'natural_person' | 'non_natural_person' | 'bank_card';

export interface SettledMovement {
  readonly id: string;
  readonly kind: 'transfer' | 'order_payment' | 'collect_payment' | 'top_up' | 'withdrawal';
  readonly payerId: string;
  readonly payerType: PartyType;
  readonly payeeId: string;
  readonly payeeType: PartyType;
  readonly amount: bigint;
  readonly currency: string;
  readonly at: number;
  readonly deviceId: string | null;
  /** Where the money crossed a border; no payment channel of the platform does today. */
  readonly crossBorder: boolean;
}

export function partyTypeOf(id: string): PartyType {
  if (id.startsWith('mch_')) return 'non_natural_person';
  if (id.startsWith('card_') || id.startsWith('crd_')) return 'bank_card';
  return 'natural_person';
}

interface PaymentRow {
  id: string;
  kind: SettledMovement['kind'];
  payer_id: string;
  payee_id: string;
  amount: bigint;
  currency: string;
  at: bigint | number;
  device_id: string | null;
}

interface FundingRow {
  id: string;
  kind: 'top_up' | 'withdrawal';
  customer_id: string;
  card_id: string;
  amount: bigint;
  currency: string;
  at: bigint | number;
}

/** Settled movements with `from <= settled time < to`, oldest first. */
export async function settledMovements(store: Queryable, from: number, to: number): Promise<SettledMovement[]> {
  const payments = await store.all<PaymentRow & Record<string, unknown>>(
    `SELECT p.id, p.kind, p.payer_id, p.payee_id, p.amount, p.currency, p.updated_at AS at, i.device_id
     FROM payments p LEFT JOIN payment_instructions i ON i.payment_id = p.id
     WHERE p.state = 'succeeded' AND p.updated_at >= ? AND p.updated_at < ?`,
    [from, to],
  );
  const funding = await store.all<FundingRow & Record<string, unknown>>(
    `SELECT id, kind, customer_id, card_id, amount, currency, updated_at AS at FROM funding_payments
     WHERE state = 'succeeded' AND updated_at >= ? AND updated_at < ?`,
    [from, to],
  );
  const movements: SettledMovement[] = payments.map((p) => ({
    id: p.id,
    kind: p.kind,
    payerId: p.payer_id,
    payerType: partyTypeOf(p.payer_id),
    payeeId: p.payee_id,
    payeeType: partyTypeOf(p.payee_id),
    amount: BigInt(p.amount),
    currency: p.currency,
    at: Number(p.at),
    deviceId: p.device_id ?? null,
    crossBorder: false,
  }));
  for (const f of funding) {
    const card = { id: f.card_id, type: 'bank_card' as const };
    const wallet = { id: f.customer_id, type: 'natural_person' as const };
    const [payer, payee] = f.kind === 'top_up' ? [card, wallet] : [wallet, card];
    movements.push({
      id: f.id,
      kind: f.kind,
      payerId: payer.id,
      payerType: payer.type,
      payeeId: payee.id,
      payeeType: payee.type,
      amount: BigInt(f.amount),
      currency: f.currency,
      at: Number(f.at),
      deviceId: null,
      crossBorder: false,
    });
  }
  return movements.sort((a, b) => a.at - b.at || (a.id < b.id ? -1 : 1));
}

/** The last settled movement of a customer before `before` (for dormancy), or undefined. */
export async function lastActivityBefore(
  store: Queryable,
  customerId: string,
  before: number,
): Promise<number | undefined> {
  const row = await store.get<{ at: bigint | number | null }>(
    `SELECT MAX(at) AS at FROM (
       SELECT MAX(updated_at) AS at FROM payments
       WHERE state = 'succeeded' AND (payer_id = ? OR payee_id = ?) AND updated_at < ?
       UNION ALL
       SELECT MAX(updated_at) AS at FROM funding_payments
       WHERE state = 'succeeded' AND customer_id = ? AND updated_at < ?
     ) activity`,
    [customerId, customerId, before, customerId, before],
  );
  return row?.at === null || row?.at === undefined ? undefined : Number(row.at);
}

/** When the customer registered (dormancy counts from there for a customer who never paid). */
export async function customerSince(store: Queryable, customerId: string): Promise<number | undefined> {
  const row = await store.get<{ created_at: bigint | number }>('SELECT created_at FROM customers WHERE id = ?', [
    customerId,
  ]);
  return row === undefined ? undefined : Number(row.created_at);
}

/** The settled movements with these ids (payments and card funding), oldest first; unknown ids are skipped. */
export async function movementsByIds(store: Queryable, ids: readonly string[]): Promise<SettledMovement[]> {
  const found: SettledMovement[] = [];
  for (const id of ids.slice(0, 200)) {
    const row = await store.get<{ at: bigint | number }>(
      `SELECT updated_at AS at FROM payments WHERE id = ? AND state = 'succeeded'
       UNION ALL SELECT updated_at AS at FROM funding_payments WHERE id = ? AND state = 'succeeded'`,
      [id, id],
    );
    if (row === undefined) continue;
    const at = Number(row.at);
    found.push(...(await settledMovements(store, at, at + 1)).filter((m) => m.id === id));
  }
  return found.sort((a, b) => a.at - b.at);
}
