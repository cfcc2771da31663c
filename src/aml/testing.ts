// Test support: settled payments and card funding written straight into their tables, as the
// payment flows leave them, so AML's reading of them can be tested with exact amounts and times; and a
// customer's rating row as AML stores it, for the readers of the level in force (risk rules, limits).
import type { Queryable } from '../store/index.ts';

let sequence = 0;

export interface PaymentFixture {
  readonly payer: string;
  readonly payee: string;
  readonly amount: bigint;
  readonly at: number;
  readonly currency?: string;
  readonly device?: string;
  readonly state?: string;
}

export async function insertSettledPayment(tx: Queryable, p: PaymentFixture): Promise<string> {
  sequence += 1;
  const id = `pay_test${sequence.toString().padStart(6, '0')}`;
  const kind = p.payee.startsWith('mch_') ? 'order_payment' : 'transfer';
  await tx.run(
    `INSERT INTO payments (id, kind, state, payer_id, payee_id, merchant_id, amount, currency, idempotency_key,
       request_hash,
       limit_day, limit_year, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      id,
      kind,
      p.state ?? 'succeeded',
      p.payer,
      p.payee,
      kind === 'order_payment' ? p.payee : null,
      p.amount,
      p.currency ?? 'CNY',
      id,
      'h',
      0,
      0,
      p.at - 1000,
      p.at,
    ],
  );
  if (p.device !== undefined) {
    await tx.run(
      `INSERT INTO payment_instructions (payment_id, canonical_json, signature, profile, device_id,
         device_certificate_pem,
         ca_certificate_pem, signed_at, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [id, '{}', Buffer.from('s'), 'intl', p.device, 'pem', 'pem', p.at - 1000, p.at - 1000],
    );
  }
  return id;
}

export async function insertSettledFunding(
  tx: Queryable,
  f: { customer: string; kind: 'top_up' | 'withdrawal'; amount: bigint; at: number },
): Promise<string> {
  sequence += 1;
  const id = `fnd_test${sequence.toString().padStart(6, '0')}`;
  const card = `card_${f.customer}`;
  await tx.run(
    `INSERT INTO payment_cards (id, customer_id, card_token, masked_pan, bank, created_at) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (id) DO NOTHING`,
    [card, f.customer, `tok_${f.customer}`, '622202******3445', 'bank-sim', f.at],
  );
  await tx.run(
    `INSERT INTO funding_payments (id, kind, state, customer_id, card_id, amount, currency, idempotency_key,
       request_hash, bank, bank_stan, created_at, updated_at)
     VALUES (?, ?, 'succeeded', ?, ?, ?, 'CNY', ?, 'h', 'bank-sim', '000001', ?, ?)`,
    [id, f.kind, f.customer, card, f.amount, id, f.at - 1000, f.at],
  );
  return id;
}

/** A rating row as AML stores it (the rating itself is tested in customer-rating.test.ts). */
export async function insertRating(q: Queryable, customerId: string, level: string, at: number): Promise<void> {
  await q.run(
    `INSERT INTO aml_customer_ratings (customer_id, level, computed_level, score, factors, id_region, cause, rated_at)
     VALUES (?, ?, ?, 0, '[]', 'mainland', 'registration', ?)`,
    [customerId, level, level, at],
  );
}
