// SQL of money in and out by card: bound cards, top-ups and withdrawals (funding payments), their
// transitions and signed instructions. Written once for both stores.
import { toBigInt, toNumber, type Queryable, type Row, type Tx } from '../../store/index.ts';
import type { PaymentState } from '../payment-states.ts';

export interface PaymentCard {
  readonly id: string;
  readonly customerId: string;
  readonly cardToken: string;
  readonly maskedPan: string;
  readonly bank: string;
  readonly status: 'active' | 'removed';
  readonly verifiedAt: number | null;
  readonly createdAt: number;
}

export type FundingKind = 'top_up' | 'withdrawal';

/** The ISO 8583 exchange of a funding payment, enough to rebuild its request for a reversal or status. */
export interface BankExchange {
  readonly stan: string;
  readonly transmitted: string | null;
  readonly localTime: string | null;
  readonly authorisationCode: string | null;
  readonly retrievalReference: string | null;
  readonly responseCode: string | null;
}

export interface FundingPayment {
  readonly id: string;
  readonly kind: FundingKind;
  readonly state: PaymentState;
  readonly customerId: string;
  readonly cardId: string;
  readonly amount: bigint;
  readonly currency: string;
  readonly idempotencyKey: string;
  readonly requestHash: string;
  readonly failureCode: string | null;
  readonly bank: string;
  readonly exchange: BankExchange;
  readonly reversalOwed: boolean;
  readonly holdSeq: bigint | null;
  /** Withdrawals: payout status queries made so far, and when the next one is due (back-off). */
  readonly statusAttempts: number;
  readonly nextStatusAt: number | null;
  /** Withdrawals: when the payout was listed for operations as "outcome unknown" (null: not listed). */
  readonly outcomeUnknownAt: number | null;
  /**
   * When the request in `exchange` was stamped to go to the bank (the platform's clock): the creation, or
   * the review's release or passed step-up that restamped it. A withdrawal's "outcome unknown" age counts from here.
   */
  readonly sentAt: number;
  readonly createdAt: number;
  readonly updatedAt: number;
}

function cardFromRow(r: Row): PaymentCard {
  return {
    id: r.id as string, customerId: r.customer_id as string, cardToken: r.card_token as string, maskedPan: r.masked_pan as string, bank: r.bank as string,
    status: r.status as 'active' | 'removed', verifiedAt: r.verified_at === null || r.verified_at === undefined ? null : toNumber(r.verified_at), createdAt: toNumber(r.created_at),
  };
}

export async function insertCard(q: Queryable, c: PaymentCard): Promise<void> {
  await q.run('INSERT INTO payment_cards (id, customer_id, card_token, masked_pan, bank, status, verified_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (customer_id, card_token) DO NOTHING', [c.id, c.customerId, c.cardToken, c.maskedPan, c.bank, c.status, c.verifiedAt, c.createdAt]);
}

export async function cardByToken(q: Queryable, customerId: string, token: string): Promise<PaymentCard | undefined> {
  const row = await q.get('SELECT * FROM payment_cards WHERE customer_id = ? AND card_token = ?', [customerId, token]);
  return row === undefined ? undefined : cardFromRow(row);
}

export async function cardById(q: Queryable, id: string): Promise<PaymentCard | undefined> {
  const row = await q.get('SELECT * FROM payment_cards WHERE id = ?', [id]);
  return row === undefined ? undefined : cardFromRow(row);
}

export async function cardsOf(q: Queryable, customerId: string): Promise<PaymentCard[]> {
  return (await q.all("SELECT * FROM payment_cards WHERE customer_id = ? AND status = 'active' ORDER BY id", [customerId])).map(cardFromRow);
}

const fundingColumns = 'id, kind, state, customer_id, card_id, amount, currency, idempotency_key, request_hash, failure_code, response_code, bank, bank_stan, bank_transmitted, bank_local_time, authorisation_code, retrieval_reference, reversal_owed, hold_seq, status_attempts, next_status_at, outcome_unknown_at, sent_at, created_at, updated_at';
const text = (v: unknown): string | null => (v === null || v === undefined ? null : (v as string));
const numberOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : toNumber(v));

function fundingFromRow(r: Row): FundingPayment {
  return {
    id: r.id as string, kind: r.kind as FundingKind, state: r.state as PaymentState, customerId: r.customer_id as string, cardId: r.card_id as string,
    amount: toBigInt(r.amount), currency: r.currency as string, idempotencyKey: r.idempotency_key as string, requestHash: r.request_hash as string,
    failureCode: text(r.failure_code), bank: r.bank as string,
    exchange: { stan: r.bank_stan as string, transmitted: text(r.bank_transmitted), localTime: text(r.bank_local_time), authorisationCode: text(r.authorisation_code), retrievalReference: text(r.retrieval_reference), responseCode: text(r.response_code) },
    reversalOwed: toNumber(r.reversal_owed) === 1, holdSeq: r.hold_seq === null || r.hold_seq === undefined ? null : toBigInt(r.hold_seq),
    statusAttempts: toNumber(r.status_attempts), nextStatusAt: numberOrNull(r.next_status_at), outcomeUnknownAt: numberOrNull(r.outcome_unknown_at),
    sentAt: toNumber(r.sent_at), createdAt: toNumber(r.created_at), updatedAt: toNumber(r.updated_at),
  };
}

export async function insertFunding(tx: Tx, f: FundingPayment): Promise<void> {
  await tx.run(
    `INSERT INTO funding_payments (id, kind, state, customer_id, card_id, amount, currency, idempotency_key, request_hash, bank, bank_stan, bank_transmitted, bank_local_time, sent_at, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [f.id, f.kind, f.state, f.customerId, f.cardId, f.amount, f.currency, f.idempotencyKey, f.requestHash, f.bank, f.exchange.stan, f.exchange.transmitted, f.exchange.localTime, f.sentAt, f.createdAt, f.updatedAt],
  );
}

export async function fundingById(q: Queryable, id: string): Promise<FundingPayment | undefined> {
  const row = await q.get(`SELECT ${fundingColumns} FROM funding_payments WHERE id = ?`, [id]);
  return row === undefined ? undefined : fundingFromRow(row);
}

export async function fundingByKey(q: Queryable, customerId: string, key: string): Promise<FundingPayment | undefined> {
  const row = await q.get(`SELECT ${fundingColumns} FROM funding_payments WHERE customer_id = ? AND idempotency_key = ?`, [customerId, key]);
  return row === undefined ? undefined : fundingFromRow(row);
}

export async function fundingInState(q: Queryable, kind: FundingKind, state: PaymentState, updatedBefore: number, limit: number): Promise<FundingPayment[]> {
  const rows = await q.all(`SELECT ${fundingColumns} FROM funding_payments WHERE kind = ? AND state = ? AND updated_at <= ? ORDER BY updated_at LIMIT ?`, [kind, state, updatedBefore, limit]);
  return rows.map(fundingFromRow);
}

export async function fundingWithReversalOwed(q: Queryable, limit: number): Promise<FundingPayment[]> {
  return (await q.all(`SELECT ${fundingColumns} FROM funding_payments WHERE reversal_owed = 1 ORDER BY updated_at LIMIT ?`, [limit])).map(fundingFromRow);
}

/**
 * The identity of the request about to be sent (fields 11, 7 and 12), replacing one taken earlier that
 * was never sent (a review's release: the bank would see a stale field 7 and a STAN of another day);
 * `now`, the moment it is stamped, becomes its `sentAt`.
 */
export async function restampExchange(
  tx: Tx, id: string, e: Pick<BankExchange, 'stan'> & { transmitted: string; localTime: string }, now: number,
): Promise<void> {
  await tx.run(
    `UPDATE funding_payments SET bank_stan = ?, bank_transmitted = ?, bank_local_time = ?, sent_at = ?, updated_at = ?
     WHERE id = ?`,
    [e.stan, e.transmitted, e.localTime, now, now, id],
  );
}

/** Records what the bank answered (any subset); never touches the state. */
export async function recordExchange(q: Queryable, id: string, e: Partial<Omit<BankExchange, 'stan'>> & { reversalOwed?: boolean; holdSeq?: bigint }, now: number): Promise<void> {
  await q.run(
    `UPDATE funding_payments SET bank_transmitted = COALESCE(?, bank_transmitted), bank_local_time = COALESCE(?, bank_local_time), authorisation_code = COALESCE(?, authorisation_code),
      retrieval_reference = COALESCE(?, retrieval_reference), response_code = COALESCE(?, response_code), reversal_owed = COALESCE(?, reversal_owed), hold_seq = COALESCE(?, hold_seq), updated_at = ? WHERE id = ?`,
    [e.transmitted ?? null, e.localTime ?? null, e.authorisationCode ?? null, e.retrievalReference ?? null, e.responseCode ?? null, e.reversalOwed === undefined ? null : e.reversalOwed ? 1 : 0, e.holdSeq ?? null, now, id],
  );
}

export async function updateFundingState(tx: Tx, id: string, from: PaymentState, to: PaymentState, failureCode: string | null, now: number): Promise<number> {
  return tx.run('UPDATE funding_payments SET state = ?, failure_code = COALESCE(?, failure_code), updated_at = ? WHERE id = ? AND state = ?', [to, failureCode, now, id, from]);
}

export async function insertFundingTransition(tx: Tx, t: { fundingId: string; from: string | null; to: string; event: string; actorType: string; actorId: string | null; detail: string | null; at: number }): Promise<void> {
  await tx.run('INSERT INTO funding_transitions (funding_id, from_state, to_state, event, actor_type, actor_id, detail, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)', [t.fundingId, t.from, t.to, t.event, t.actorType, t.actorId, t.detail, t.at]);
}

export async function fundingTransitionsOf(q: Queryable, fundingId: string): Promise<Array<{ from: string | null; to: string; event: string; at: number }>> {
  const rows = await q.all('SELECT from_state, to_state, event, at FROM funding_transitions WHERE funding_id = ? ORDER BY seq', [fundingId]);
  return rows.map((r) => ({ from: text(r.from_state), to: r.to_state as string, event: r.event as string, at: toNumber(r.at) }));
}

export async function insertFundingInstruction(tx: Tx, i: { fundingId: string; canonicalJson: string; signature: Buffer; profile: 'intl' | 'gm'; deviceId: string; deviceCertificatePem: string; caCertificatePem: string; signedAt: number; receivedAt: number }): Promise<void> {
  await tx.run(
    'INSERT INTO funding_instructions (funding_id, canonical_json, signature, profile, device_id, device_certificate_pem, ca_certificate_pem, signed_at, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    [i.fundingId, i.canonicalJson, i.signature, i.profile, i.deviceId, i.deviceCertificatePem, i.caCertificatePem, i.signedAt, i.receivedAt],
  );
}

/** Withdrawals still `processing` whose next status query is due. */
export async function withdrawalsDue(q: Queryable, now: number, limit: number): Promise<FundingPayment[]> {
  const rows = await q.all(
    `SELECT ${fundingColumns} FROM funding_payments WHERE kind = 'withdrawal' AND state = 'processing' AND (next_status_at IS NULL OR next_status_at <= ?) ORDER BY updated_at LIMIT ?`,
    [now, limit],
  );
  return rows.map(fundingFromRow);
}

/** Records one more status query and when the next is due; never touches the state. */
export async function scheduleStatusQuery(q: Queryable, id: string, attempts: number, nextAt: number): Promise<void> {
  await q.run('UPDATE funding_payments SET status_attempts = ?, next_status_at = ? WHERE id = ?', [attempts, nextAt, id]);
}

/** Lists a withdrawal for operations; false when it was listed already. */
export async function markOutcomeUnknown(q: Queryable, id: string, now: number): Promise<boolean> {
  return (await q.run("UPDATE funding_payments SET outcome_unknown_at = ? WHERE id = ? AND state = 'processing' AND outcome_unknown_at IS NULL", [now, id])) === 1;
}

export async function outcomeUnknownWithdrawals(q: Queryable, limit: number): Promise<FundingPayment[]> {
  const rows = await q.all(`SELECT ${fundingColumns} FROM funding_payments WHERE kind = 'withdrawal' AND state = 'processing' AND outcome_unknown_at IS NOT NULL ORDER BY outcome_unknown_at LIMIT ?`, [limit]);
  return rows.map(fundingFromRow);
}
