// SQL of card bindings (migration 140): the attempts, the verified card they end in, and the
// funding rows' record of reserved limit usage. Written once for both stores.
import { toNumber, type Queryable, type Row } from '../store/index.ts';

export type CardBindingState = 'code_sent' | 'verified' | 'refused';

export interface CardBinding {
  readonly id: string;
  readonly customerId: string;
  readonly cardToken: string | null;
  readonly maskedPan: string | null;
  readonly bank: string;
  readonly state: CardBindingState;
  readonly failureCode: string | null;
  readonly retrievalReference: string | null;
  readonly otpAttempts: number;
  readonly createdAt: number;
  readonly expiresAt: number;
}

const text = (v: unknown): string | null => (v === null || v === undefined ? null : (v as string));

function bindingFromRow(r: Row): CardBinding {
  return {
    id: r.id as string,
    customerId: r.customer_id as string,
    cardToken: text(r.card_token),
    maskedPan: text(r.masked_pan),
    bank: r.bank as string,
    state: r.state as CardBindingState,
    failureCode: text(r.failure_code),
    retrievalReference: text(r.retrieval_reference),
    otpAttempts: toNumber(r.otp_attempts),
    createdAt: toNumber(r.created_at),
    expiresAt: toNumber(r.expires_at),
  };
}

export async function insertCardBinding(q: Queryable, b: CardBinding): Promise<void> {
  await q.run(
    `INSERT INTO card_bindings (id, customer_id, card_token, masked_pan, bank, state, failure_code, retrieval_reference, otp_attempts, created_at, expires_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      b.id,
      b.customerId,
      b.cardToken,
      b.maskedPan,
      b.bank,
      b.state,
      b.failureCode,
      b.retrievalReference,
      b.otpAttempts,
      b.createdAt,
      b.expiresAt,
      b.createdAt,
    ],
  );
}

export async function cardBindingById(q: Queryable, id: string): Promise<CardBinding | undefined> {
  const row = await q.get('SELECT * FROM card_bindings WHERE id = ?', [id]);
  return row === undefined ? undefined : bindingFromRow(row);
}

/** Bindings the customer started since `since`, whatever became of them. */
export async function cardBindingsSince(q: Queryable, customerId: string, since: number): Promise<number> {
  const row = await q.get<{ n: unknown }>(
    'SELECT COUNT(*) AS n FROM card_bindings WHERE customer_id = ? AND created_at >= ?',
    [customerId, since],
  );
  return row === undefined ? 0 : toNumber(row.n);
}

/** Moves a binding on from `code_sent`; 0 when another request moved it first. */
export async function settleCardBinding(
  q: Queryable,
  id: string,
  to: 'verified' | 'refused',
  failureCode: string | null,
  now: number,
): Promise<number> {
  return q.run(
    "UPDATE card_bindings SET state = ?, failure_code = ?, updated_at = ? WHERE id = ? AND state = 'code_sent'",
    [to, failureCode, now, id],
  );
}

/** Counts a wrong one-time code; returns the attempts made so far (undefined when the binding is no longer waiting). */
export async function countOtpAttempt(q: Queryable, id: string, now: number): Promise<number | undefined> {
  const row = await q.get<{ otp_attempts: unknown }>(
    "UPDATE card_bindings SET otp_attempts = otp_attempts + 1, updated_at = ? WHERE id = ? AND state = 'code_sent' RETURNING otp_attempts",
    [now, id],
  );
  return row === undefined ? undefined : toNumber(row.otp_attempts);
}

/** The active, verified card holding this vault token (any customer). */
export async function verifiedCardHolderOf(q: Queryable, cardToken: string): Promise<string | undefined> {
  const row = await q.get<{ customer_id: unknown }>(
    "SELECT customer_id FROM payment_cards WHERE card_token = ? AND status = 'active' AND verified_at IS NOT NULL",
    [cardToken],
  );
  return row === undefined ? undefined : String(row.customer_id);
}

/** Marks the customer's card verified by its issuer, inserting it first when new (and re-activating a removed one). */
export async function upsertVerifiedCard(
  q: Queryable,
  card: { id: string; customerId: string; cardToken: string; maskedPan: string; bank: string },
  now: number,
): Promise<void> {
  await q.run(
    `INSERT INTO payment_cards (id, customer_id, card_token, masked_pan, bank, status, verified_at, created_at) VALUES (?, ?, ?, ?, ?, 'active', ?, ?)
     ON CONFLICT (customer_id, card_token) DO UPDATE SET status = 'active', verified_at = excluded.verified_at`,
    [card.id, card.customerId, card.cardToken, card.maskedPan, card.bank, now, now],
  );
}

export async function markUsageReserved(q: Queryable, fundingId: string): Promise<void> {
  await q.run('UPDATE funding_payments SET usage_reserved = 1 WHERE id = ?', [fundingId]);
}

/** Clears the mark; true when this call cleared it (so the usage is given back exactly once). */
export async function clearUsageReserved(q: Queryable, fundingId: string): Promise<boolean> {
  return (
    (await q.run('UPDATE funding_payments SET usage_reserved = 0 WHERE id = ? AND usage_reserved = 1', [fundingId])) ===
    1
  );
}
