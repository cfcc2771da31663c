// Payments' SQL: payments and their transitions, instructions and nonces, limit usage counters,
// orders, refunds and collect requests. Written once for both stores.
import { toBigInt, toNumber, type PostgresStore, type Queryable, type Row, type Tx } from '../../store/index.ts';
import type { PaymentState } from '../payment-states.ts';

export type PaymentKind = 'transfer' | 'order_payment' | 'collect_payment';

export interface Payment {
  readonly id: string;
  readonly kind: PaymentKind;
  readonly state: PaymentState;
  readonly payerId: string;
  readonly payeeId: string;
  readonly merchantId: string | null;
  readonly orderId: string | null;
  readonly amount: bigint;
  readonly currency: string;
  readonly fee: bigint;
  readonly refundedAmount: bigint;
  readonly idempotencyKey: string;
  readonly requestHash: string;
  readonly failureCode: string | null;
  readonly riskReasons: readonly string[];
  readonly limitDay: bigint;
  readonly limitYear: bigint;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export interface PaymentTransition {
  readonly seq: bigint;
  readonly fromState: string | null;
  readonly toState: string;
  readonly event: string;
  readonly actorType: string;
  readonly actorId: string | null;
  readonly detail: string | null;
  readonly at: number;
}

const paymentColumns = 'id, kind, state, payer_id, payee_id, merchant_id, order_id, amount, currency, fee, refunded_amount, idempotency_key, request_hash, failure_code, risk_reasons, limit_day, limit_year, created_at, updated_at';

export function paymentFromRow(row: Row): Payment {
  return {
    id: row.id as string,
    kind: row.kind as PaymentKind,
    state: row.state as PaymentState,
    payerId: row.payer_id as string,
    payeeId: row.payee_id as string,
    merchantId: (row.merchant_id as string | null) ?? null,
    orderId: (row.order_id as string | null) ?? null,
    amount: toBigInt(row.amount),
    currency: row.currency as string,
    fee: toBigInt(row.fee),
    refundedAmount: toBigInt(row.refunded_amount),
    idempotencyKey: row.idempotency_key as string,
    requestHash: row.request_hash as string,
    failureCode: (row.failure_code as string | null) ?? null,
    riskReasons: JSON.parse(row.risk_reasons as string) as string[],
    limitDay: toBigInt(row.limit_day),
    limitYear: toBigInt(row.limit_year),
    createdAt: toNumber(row.created_at),
    updatedAt: toNumber(row.updated_at),
  };
}

export async function insertPayment(tx: Tx, p: Payment): Promise<void> {
  await tx.run(
    `INSERT INTO payments (${paymentColumns}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [p.id, p.kind, p.state, p.payerId, p.payeeId, p.merchantId, p.orderId, p.amount, p.currency, p.fee, p.refundedAmount, p.idempotencyKey, p.requestHash, p.failureCode, JSON.stringify(p.riskReasons), p.limitDay, p.limitYear, p.createdAt, p.updatedAt],
  );
}

export async function paymentById(q: Queryable, id: string): Promise<Payment | undefined> {
  const row = await q.get(`SELECT ${paymentColumns} FROM payments WHERE id = ?`, [id]);
  return row === undefined ? undefined : paymentFromRow(row);
}

export async function paymentByKey(q: Queryable, payerId: string, key: string): Promise<Payment | undefined> {
  const row = await q.get(`SELECT ${paymentColumns} FROM payments WHERE payer_id = ? AND idempotency_key = ?`, [payerId, key]);
  return row === undefined ? undefined : paymentFromRow(row);
}

/** paymentByKey over many (payer, key) pairs in one statement (PostgreSQL), in the pairs' order. */
export async function paymentsByKeys(
  store: PostgresStore,
  pairs: readonly (readonly [string, string])[],
): Promise<(Payment | undefined)[]> {
  const rows = await store.all(
    `SELECT ${paymentColumns} FROM payments
     WHERE (payer_id, idempotency_key) IN
       (SELECT k->>0, k->>1 FROM jsonb_array_elements(CAST(? AS jsonb)) AS k)`,
    [JSON.stringify(pairs)],
  );
  const found = new Map<string, Payment>();
  for (const row of rows) {
    const payment = paymentFromRow(row);
    found.set(`${payment.payerId}\u0000${payment.idempotencyKey}`, payment);
  }
  return pairs.map(([payerId, key]) => found.get(`${payerId}\u0000${key}`));
}

/** Conditional state change: 0 rows means another process moved the payment first. */
export async function updatePaymentState(tx: Tx, id: string, from: PaymentState, to: PaymentState, failureCode: string | null, now: number): Promise<number> {
  return tx.run('UPDATE payments SET state = ?, failure_code = COALESCE(?, failure_code), updated_at = ? WHERE id = ? AND state = ?', [to, failureCode, now, id, from]);
}

export async function insertTransition(tx: Tx, t: { paymentId: string; from: string | null; to: string; event: string; actorType: string; actorId: string | null; detail: string | null; at: number }): Promise<void> {
  await tx.run('INSERT INTO payment_transitions (payment_id, from_state, to_state, event, actor_type, actor_id, detail, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)', [t.paymentId, t.from, t.to, t.event, t.actorType, t.actorId, t.detail, t.at]);
}

export async function transitionsOf(q: Queryable, paymentId: string): Promise<PaymentTransition[]> {
  const rows = await q.all('SELECT seq, from_state, to_state, event, actor_type, actor_id, detail, at FROM payment_transitions WHERE payment_id = ? ORDER BY seq', [paymentId]);
  return rows.map((r) => ({
    seq: toBigInt(r.seq), fromState: (r.from_state as string | null) ?? null, toState: r.to_state as string, event: r.event as string,
    actorType: r.actor_type as string, actorId: (r.actor_id as string | null) ?? null, detail: (r.detail as string | null) ?? null, at: toNumber(r.at),
  }));
}

/** Records the nonce; false when the device already used it (the primary key refuses the replay). */
export async function claimNonce(tx: Tx, deviceId: string, nonce: string, paymentId: string, now: number): Promise<boolean> {
  return (await tx.run('INSERT INTO instruction_nonces (device_id, nonce, payment_id, seen_at) VALUES (?, ?, ?, ?) ON CONFLICT (device_id, nonce) DO NOTHING', [deviceId, nonce, paymentId, now])) === 1;
}

export interface StoredInstruction {
  readonly paymentId: string;
  readonly canonicalJson: string;
  readonly signature: Buffer;
  readonly profile: 'intl' | 'gm';
  readonly deviceId: string;
  readonly deviceCertificatePem: string;
  readonly caCertificatePem: string;
  readonly signedAt: number;
  readonly receivedAt: number;
}

export async function instructionOf(q: Queryable, paymentId: string): Promise<StoredInstruction | undefined> {
  const r = await q.get('SELECT * FROM payment_instructions WHERE payment_id = ?', [paymentId]);
  if (r === undefined) return undefined;
  return {
    paymentId: r.payment_id as string, canonicalJson: r.canonical_json as string, signature: Buffer.from(r.signature as Uint8Array), profile: r.profile as 'intl' | 'gm',
    deviceId: r.device_id as string, deviceCertificatePem: r.device_certificate_pem as string, caCertificatePem: r.ca_certificate_pem as string,
    signedAt: toNumber(r.signed_at), receivedAt: toNumber(r.received_at),
  };
}

/** Locks a customer's usage counter row (an UPDATE, so PostgreSQL queues concurrent payers) and returns it. */
export async function lockUsage(tx: Tx, customerId: string, period: string): Promise<bigint> {
  await tx.run('INSERT INTO payment_limit_usage (customer_id, period, used) VALUES (?, ?, 0) ON CONFLICT (customer_id, period) DO NOTHING', [customerId, period]);
  const row = await tx.get<{ used: unknown }>('UPDATE payment_limit_usage SET used = used WHERE customer_id = ? AND period = ? RETURNING used', [customerId, period]);
  if (row === undefined) throw new Error('payments invariant: usage row missing after insert');
  return toBigInt(row.used);
}

export async function addUsage(tx: Tx, customerId: string, period: string, delta: bigint): Promise<void> {
  await tx.run('UPDATE payment_limit_usage SET used = used + ? WHERE customer_id = ? AND period = ?', [delta, customerId, period]);
}

export async function recentPaymentCount(q: Queryable, payerId: string, since: number): Promise<number> {
  const row = await q.get<{ n: unknown }>('SELECT COUNT(*) AS n FROM payments WHERE payer_id = ? AND created_at >= ?', [payerId, since]);
  return row === undefined ? 0 : toNumber(row.n);
}

export async function hasPaidBefore(q: Queryable, payerId: string, payeeId: string): Promise<boolean> {
  return (await q.get("SELECT id FROM payments WHERE payer_id = ? AND payee_id = ? AND state = 'succeeded' LIMIT 1", [payerId, payeeId])) !== undefined;
}

/** Both risk features from the payer's history in one round trip: payments since `since`, and whether the payer ever paid this payee. */
export async function payerHistory(q: Queryable, payerId: string, payeeId: string, since: number): Promise<{ recentPaymentCount: number; paidBefore: boolean }> {
  const row = await q.get<{ n: unknown; paid: unknown }>(
    `SELECT (SELECT COUNT(*) FROM payments WHERE payer_id = ? AND created_at >= ?) AS n,
            (SELECT COUNT(*) FROM (SELECT 1 FROM payments WHERE payer_id = ? AND payee_id = ? AND state = 'succeeded' LIMIT 1) AS p) AS paid`,
    [payerId, since, payerId, payeeId],
  );
  return { recentPaymentCount: row === undefined ? 0 : toNumber(row.n), paidBefore: row !== undefined && toNumber(row.paid) > 0 };
}

export interface HistoryAsk {
  readonly payerId: string;
  readonly payeeId: string;
  readonly since: number;
}

type PayerHistory = { recentPaymentCount: number; paidBefore: boolean };

/** payerHistory for many asks in one statement (PostgreSQL), in the asks' order. */
export async function payerHistories(store: PostgresStore, asks: readonly HistoryAsk[]): Promise<PayerHistory[]> {
  const rows = await store.all<{ i: unknown; n: unknown; paid: unknown }>(
    `SELECT k.i,
            (SELECT COUNT(*) FROM payments
             WHERE payer_id = k.a->>0 AND created_at >= CAST(k.a->>2 AS BIGINT)) AS n,
            (SELECT COUNT(*) FROM (SELECT 1 FROM payments
             WHERE payer_id = k.a->>0 AND payee_id = k.a->>1 AND state = 'succeeded' LIMIT 1) AS p) AS paid
     FROM jsonb_array_elements(CAST(? AS jsonb)) WITH ORDINALITY AS k(a, i)`,
    [JSON.stringify(asks.map((ask) => [ask.payerId, ask.payeeId, String(ask.since)]))],
  );
  const byIndex = new Map(rows.map((row) => [toNumber(row.i), row]));
  return asks.map((_, i) => {
    const row = byIndex.get(i + 1);
    if (row === undefined) return { recentPaymentCount: 0, paidBefore: false };
    return { recentPaymentCount: toNumber(row.n), paidBefore: toNumber(row.paid) > 0 };
  });
}

export interface PaymentFilter {
  readonly payerId?: string | undefined;
  readonly partyId?: string | undefined;
  readonly merchantId?: string | undefined;
  readonly state?: PaymentState | undefined;
  readonly kind?: PaymentKind | undefined;
  /** Payment id to continue after (newest first). */
  readonly before?: string | undefined;
  readonly limit: number;
}

export async function listPayments(q: Queryable, f: PaymentFilter): Promise<Payment[]> {
  const where: string[] = [];
  const params: (string | number)[] = [];
  if (f.partyId !== undefined) { where.push('(payer_id = ? OR payee_id = ?)'); params.push(f.partyId, f.partyId); }
  if (f.merchantId !== undefined) { where.push('merchant_id = ?'); params.push(f.merchantId); }
  if (f.state !== undefined) { where.push('state = ?'); params.push(f.state); }
  if (f.kind !== undefined) { where.push('kind = ?'); params.push(f.kind); }
  if (f.before !== undefined) { where.push('id < ?'); params.push(f.before); }
  const rows = await q.all(`SELECT ${paymentColumns} FROM payments${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`, [...params, f.limit + 1]);
  return rows.map(paymentFromRow);
}

export async function paymentsInState(q: Queryable, state: PaymentState, updatedBefore: number, limit: number): Promise<Payment[]> {
  const rows = await q.all(`SELECT ${paymentColumns} FROM payments WHERE state = ? AND updated_at <= ? ORDER BY updated_at LIMIT ?`, [state, updatedBefore, limit]);
  return rows.map(paymentFromRow);
}

// The batched write path (flows/commit-payments.ts) writes many payments in one transaction with a
// constant number of statements per batch (multi-row VALUES, the same SQL on both stores), and one
// failing statement would abort all of them on PostgreSQL: conflicts come back as values, not errors.

const rowsPerStatement = 500;

function chunksOf<T>(items: readonly T[], size = rowsPerStatement): T[][] {
  const chunks: T[][] = [];
  for (let start = 0; start < items.length; start += size) chunks.push(items.slice(start, start + size));
  return chunks;
}

const values = (rows: number, columns: number) => Array.from({ length: rows }, () => `(${Array(columns).fill('?').join(', ')})`).join(', ');

/** Inserts payments whose (payer, idempotency key) is free; returns the ids inserted (the others lost to a concurrent request). */
export async function insertPaymentsIfNew(tx: Tx, payments: readonly Payment[]): Promise<Set<string>> {
  const inserted = new Set<string>();
  for (const chunk of chunksOf(payments)) {
    const rows = await tx.all<{ id: unknown }>(
      `INSERT INTO payments (${paymentColumns}) VALUES ${values(chunk.length, 19)} ON CONFLICT (payer_id, idempotency_key) DO NOTHING RETURNING id`,
      chunk.flatMap((p) => [p.id, p.kind, p.state, p.payerId, p.payeeId, p.merchantId, p.orderId, p.amount, p.currency, p.fee, p.refundedAmount, p.idempotencyKey, p.requestHash, p.failureCode, JSON.stringify(p.riskReasons), p.limitDay, p.limitYear, p.createdAt, p.updatedAt]),
    );
    for (const row of rows) inserted.add(row.id as string);
  }
  return inserted;
}

/** Claims nonces; returns the payment ids whose nonce was free (the others are replays). */
export async function claimNonces(tx: Tx, claims: ReadonlyArray<{ deviceId: string; nonce: string; paymentId: string; seenAt: number }>): Promise<Set<string>> {
  const claimed = new Set<string>();
  for (const chunk of chunksOf(claims)) {
    const rows = await tx.all<{ payment_id: unknown }>(
      `INSERT INTO instruction_nonces (device_id, nonce, payment_id, seen_at) VALUES ${values(chunk.length, 4)} ON CONFLICT (device_id, nonce) DO NOTHING RETURNING payment_id`,
      chunk.flatMap((c) => [c.deviceId, c.nonce, c.paymentId, c.seenAt]),
    );
    for (const row of rows) claimed.add(row.payment_id as string);
  }
  return claimed;
}

/** Takes back payment rows (and any nonce they claimed) inserted earlier in the same transaction. */
export async function deleteUncommittedPayments(tx: Tx, ids: readonly string[]): Promise<void> {
  for (const chunk of chunksOf(ids)) {
    const list = chunk.map(() => '?').join(', ');
    await tx.run(`DELETE FROM instruction_nonces WHERE payment_id IN (${list})`, chunk);
    await tx.run(`DELETE FROM payments WHERE id IN (${list})`, chunk);
  }
}

export async function insertInstructions(tx: Tx, instructions: readonly StoredInstruction[]): Promise<void> {
  for (const chunk of chunksOf(instructions, 200)) {
    await tx.run(
      `INSERT INTO payment_instructions (payment_id, canonical_json, signature, profile, device_id, device_certificate_pem, ca_certificate_pem, signed_at, received_at) VALUES ${values(chunk.length, 9)}`,
      chunk.flatMap((i) => [i.paymentId, i.canonicalJson, i.signature, i.profile, i.deviceId, i.deviceCertificatePem, i.caCertificatePem, i.signedAt, i.receivedAt]),
    );
  }
}

export interface UsageKey {
  readonly customerId: string;
  readonly period: string;
}

/** The key of a usage counter in the maps below. */
export const usageKeyOf = (customerId: string, period: string) => `${customerId}\u0000${period}`;

/**
 * Creates (at zero) and locks usage counters in one statement: an upsert whose no-op update takes the
 * row lock on PostgreSQL, in (customer, period) order so concurrent batches cannot deadlock on them
 * (SQLite's BEGIN IMMEDIATE already holds the whole database). Keys in the map are usageKeyOf's.
 */
export async function lockUsageRows(tx: Tx, keys: readonly UsageKey[]): Promise<Map<string, bigint>> {
  const used = new Map<string, bigint>();
  const sorted = [...keys].sort((a, b) => (usageKeyOf(a.customerId, a.period) < usageKeyOf(b.customerId, b.period) ? -1 : 1));
  for (const chunk of chunksOf(sorted)) {
    const rows = await tx.all<{ customer_id: unknown; period: unknown; used: unknown }>(
      `INSERT INTO payment_limit_usage (customer_id, period, used) VALUES ${chunk.map(() => '(?, ?, 0)').join(', ')}
       ON CONFLICT (customer_id, period) DO UPDATE SET used = payment_limit_usage.used RETURNING customer_id, period, used`,
      chunk.flatMap((k) => [k.customerId, k.period]),
    );
    for (const row of rows) used.set(usageKeyOf(row.customer_id as string, row.period as string), toBigInt(row.used));
  }
  for (const k of keys) if (!used.has(usageKeyOf(k.customerId, k.period))) throw new Error('payments invariant: a usage row is missing after upsert');
  return used;
}

/** Writes counters locked by lockUsageRows back with their new values (keys as there). */
export async function writeUsageRows(tx: Tx, used: ReadonlyMap<string, bigint>): Promise<void> {
  const rows = [...used].map(([key, value]) => [...key.split('\u0000'), value] as [string, string, bigint]);
  for (const chunk of chunksOf(rows)) {
    const changed = await tx.run(
      `UPDATE payment_limit_usage SET used = CAST(v.column3 AS BIGINT) FROM (VALUES ${values(chunk.length, 3)}) AS v WHERE payment_limit_usage.customer_id = v.column1 AND payment_limit_usage.period = v.column2`,
      chunk.flat(),
    );
    if (changed !== chunk.length) throw new Error('payments invariant: a usage row to update is missing');
  }
}

export interface TransitionRow {
  readonly paymentId: string;
  readonly from: string | null;
  readonly to: string;
  readonly event: string;
  readonly actorType: string;
  readonly actorId: string | null;
  readonly detail: string | null;
  readonly at: number;
}

const transitionsPerInsert = 500;

/** Appends transitions in order (seq follows the list), several hundred rows a statement. */
export async function insertTransitions(tx: Tx, rows: readonly TransitionRow[]): Promise<void> {
  for (let start = 0; start < rows.length; start += transitionsPerInsert) {
    const chunk = rows.slice(start, start + transitionsPerInsert);
    await tx.run(
      `INSERT INTO payment_transitions (payment_id, from_state, to_state, event, actor_type, actor_id, detail, at) VALUES ${chunk.map(() => '(?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`,
      chunk.flatMap((t) => [t.paymentId, t.from, t.to, t.event, t.actorType, t.actorId, t.detail, t.at]),
    );
  }
}
