// The support tables (migration 201): rows in and out. Ownership and state rules live in the use
// cases; the UNIQUE keys here are what make a second claim or dispute on one payment impossible even
// when two requests race.
import { newId } from '../ids.ts';
import { askTogether, toNumber, type Queryable, type Row } from '../store/index.ts';

export const ticketCategories = [
  'payment_problem',
  'unauthorised_payment',
  'account',
  'merchant',
  'fees',
  'other',
] as const;
export type TicketCategory = (typeof ticketCategories)[number];
export const disputeReasons = ['not_received', 'not_as_described', 'duplicate', 'amount'] as const;
export type DisputeReason = (typeof disputeReasons)[number];
export type DisputeStatus = 'needs_response' | 'under_review' | 'won' | 'lost';

export interface Ticket {
  readonly caseId: string;
  readonly customerId: string;
  readonly category: TicketCategory;
  readonly paymentIds: readonly string[];
  readonly satisfaction: number | null;
  readonly createdAt: number;
}

export interface Message {
  readonly id: string;
  readonly authorType: 'customer' | 'operator' | 'merchant' | 'system';
  readonly authorId: string;
  readonly body: string;
  readonly at: number;
}

export interface AttachmentMeta {
  readonly id: string;
  readonly authorType: string;
  readonly mediaType: string;
  readonly sizeBytes: number;
  readonly sha256: string;
  readonly at: number;
}

export interface Dispute {
  readonly caseId: string;
  readonly paymentId: string;
  readonly customerId: string;
  readonly merchantId: string;
  readonly reason: DisputeReason;
  readonly status: DisputeStatus;
  readonly respondBy: number;
  readonly merchantText: string | null;
  readonly respondedAt: number | null;
  readonly createdAt: number;
}

const ticketOf = (r: Row): Ticket => ({
  caseId: String(r.case_id),
  customerId: String(r.customer_id),
  category: String(r.category) as TicketCategory,
  paymentIds: JSON.parse(String(r.payment_ids)) as string[],
  satisfaction: r.satisfaction === null || r.satisfaction === undefined ? null : toNumber(r.satisfaction),
  createdAt: toNumber(r.created_at),
});

export async function insertTicket(q: Queryable, ticket: Omit<Ticket, 'satisfaction'>): Promise<void> {
  await q.run(
    'INSERT INTO support_tickets (case_id, customer_id, category, payment_ids, created_at) VALUES (?, ?, ?, ?, ?)',
    [ticket.caseId, ticket.customerId, ticket.category, JSON.stringify(ticket.paymentIds), ticket.createdAt],
  );
}

export async function ticketByCase(q: Queryable, caseId: string): Promise<Ticket | undefined> {
  const row = await q.get('SELECT * FROM support_tickets WHERE case_id = ?', [caseId]);
  return row === undefined ? undefined : ticketOf(row);
}

export async function ticketsOf(q: Queryable, customerId: string, limit: number): Promise<Ticket[]> {
  const rows = await q.all('SELECT * FROM support_tickets WHERE customer_id = ? ORDER BY case_id DESC LIMIT ?', [
    customerId,
    limit,
  ]);
  return rows.map(ticketOf);
}

export async function setSatisfaction(q: Queryable, caseId: string, score: number): Promise<boolean> {
  const sql = 'UPDATE support_tickets SET satisfaction = ? WHERE case_id = ? AND satisfaction IS NULL';
  return (await q.run(sql, [score, caseId])) === 1;
}

export async function insertMessage(
  q: Queryable,
  caseId: string,
  author: { type: Message['authorType']; id: string },
  body: string,
  now: number,
): Promise<string> {
  const id = newId('msg', now);
  await q.run(
    'INSERT INTO support_messages (id, case_id, author_type, author_id, body, at) VALUES (?, ?, ?, ?, ?, ?)',
    [id, caseId, author.type, author.id, body, now],
  );
  return id;
}

export async function messagesOf(q: Queryable, caseId: string): Promise<Message[]> {
  const rows = await q.all('SELECT * FROM support_messages WHERE case_id = ? ORDER BY seq', [caseId]);
  return rows.map((r) => ({
    id: String(r.id),
    authorType: String(r.author_type) as Message['authorType'],
    authorId: String(r.author_id),
    body: String(r.body),
    at: toNumber(r.at),
  }));
}

export async function insertAttachment(
  q: Queryable,
  row: AttachmentMeta & { caseId: string; authorId: string; sealed: Buffer },
): Promise<void> {
  await q.run(
    `INSERT INTO support_attachments (id, case_id, author_type, author_id, media_type, size_bytes, sha256, sealed, at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [row.id, row.caseId, row.authorType, row.authorId, row.mediaType, row.sizeBytes, row.sha256, row.sealed, row.at],
  );
}

export async function attachmentsOf(q: Queryable, caseId: string): Promise<AttachmentMeta[]> {
  const rows = await q.all(
    'SELECT id, author_type, media_type, size_bytes, sha256, at FROM support_attachments WHERE case_id = ? ORDER BY id',
    [caseId],
  );
  return rows.map((r) => ({
    id: String(r.id),
    authorType: String(r.author_type),
    mediaType: String(r.media_type),
    sizeBytes: toNumber(r.size_bytes),
    sha256: String(r.sha256),
    at: toNumber(r.at),
  }));
}

export async function sealedAttachment(
  q: Queryable,
  caseId: string,
  id: string,
): Promise<{ mediaType: string; sealed: Buffer } | undefined> {
  const row = await q.get('SELECT media_type, sealed FROM support_attachments WHERE case_id = ? AND id = ?', [
    caseId,
    id,
  ]);
  return row === undefined
    ? undefined
    : { mediaType: String(row.media_type), sealed: Buffer.from(row.sealed as Uint8Array) };
}

/** True when this call recorded the claim; false when the payment already has one. */
export async function insertClaim(
  q: Queryable,
  claim: {
    caseId: string;
    paymentId: string;
    customerId: string;
    factors: readonly string[];
    auto: boolean;
    now: number;
  },
): Promise<boolean> {
  const changed = await q.run(
    `INSERT INTO support_claims (case_id, payment_id, customer_id, factors, auto_compensation, created_at)
     VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (payment_id) DO NOTHING`,
    [claim.caseId, claim.paymentId, claim.customerId, JSON.stringify(claim.factors), claim.auto ? 1 : 0, claim.now],
  );
  return changed === 1;
}

export async function claimOfPayment(q: Queryable, paymentId: string): Promise<{ caseId: string } | undefined> {
  const row = await q.get('SELECT case_id FROM support_claims WHERE payment_id = ?', [paymentId]);
  return row === undefined ? undefined : { caseId: String(row.case_id) };
}

const disputeOf = (r: Row): Dispute => ({
  caseId: String(r.case_id),
  paymentId: String(r.payment_id),
  customerId: String(r.customer_id),
  merchantId: String(r.merchant_id),
  reason: String(r.reason) as DisputeReason,
  status: String(r.status) as DisputeStatus,
  respondBy: toNumber(r.respond_by),
  merchantText: r.merchant_text === null ? null : String(r.merchant_text),
  respondedAt: r.responded_at === null ? null : toNumber(r.responded_at),
  createdAt: toNumber(r.created_at),
});

export async function insertDispute(
  q: Queryable,
  d: Omit<Dispute, 'merchantText' | 'respondedAt' | 'status'>,
): Promise<boolean> {
  const changed = await q.run(
    `INSERT INTO support_disputes (case_id, payment_id, customer_id, merchant_id, reason, status, respond_by,
       created_at,
       updated_at) VALUES (?, ?, ?, ?, ?, 'needs_response', ?, ?, ?) ON CONFLICT (payment_id) DO NOTHING`,
    [d.caseId, d.paymentId, d.customerId, d.merchantId, d.reason, d.respondBy, d.createdAt, d.createdAt],
  );
  return changed === 1;
}

export async function disputeByCase(q: Queryable, caseId: string): Promise<Dispute | undefined> {
  const row = await q.get('SELECT * FROM support_disputes WHERE case_id = ?', [caseId]);
  return row === undefined ? undefined : disputeOf(row);
}

export async function disputeOfPayment(q: Queryable, paymentId: string): Promise<Dispute | undefined> {
  const row = await q.get('SELECT * FROM support_disputes WHERE payment_id = ?', [paymentId]);
  return row === undefined ? undefined : disputeOf(row);
}

export async function disputesOfMerchant(q: Queryable, merchantId: string): Promise<Dispute[]> {
  const rows = await q.all('SELECT * FROM support_disputes WHERE merchant_id = ? ORDER BY case_id DESC LIMIT 200', [
    merchantId,
  ]);
  return rows.map(disputeOf);
}

/** The merchant's answer, accepted once and only before the deadline. */
export async function recordMerchantResponse(
  q: Queryable,
  caseId: string,
  text: string,
  now: number,
): Promise<boolean> {
  const changed = await q.run(
    `UPDATE support_disputes SET status = 'under_review', merchant_text = ?, responded_at = ?, updated_at = ?
     WHERE case_id = ? AND status = 'needs_response' AND respond_by > ?`,
    [text, now, now, caseId, now],
  );
  return changed === 1;
}

export async function setDisputeStatus(
  q: Queryable,
  caseId: string,
  to: 'won' | 'lost',
  now: number,
): Promise<boolean> {
  const changed = await q.run(
    `UPDATE support_disputes SET status = ?, updated_at = ?
     WHERE case_id = ? AND status IN ('needs_response', 'under_review')`,
    [to, now, caseId],
  );
  return changed === 1;
}

export async function insertFreeze(
  q: Queryable,
  f: { caseId: string; customerId: string; deviceId: string | null; now: number },
): Promise<void> {
  await q.run(
    'INSERT INTO support_freezes (id, case_id, customer_id, device_id, active, created_at) VALUES (?, ?, ?, ?, 1, ?)',
    [newId('frz', f.now), f.caseId, f.customerId, f.deviceId, f.now],
  );
}

export async function liftFreezes(q: Queryable, caseId: string, now: number): Promise<number> {
  return q.run('UPDATE support_freezes SET active = 0, lifted_at = ? WHERE case_id = ? AND active = 1', [now, caseId]);
}

/** What holds a customer's outgoing money: a claim under review (here) and a sanctions re-screening hit. */
export interface CustomerFreezes {
  readonly claim: boolean;
  readonly sanctions: boolean;
}

/**
 * Both freezes on a customer in one indexed read, for payments' identity port: asked once per payer and
 * payee of every payment, two reads each were a measurable share of the payment path (issue 11). It
 * reads sanctions' table as well as support's; sanctions still writes and lifts its own freezes.
 */
/** A customer's active freezes: a claim under review (support) and a sanctions re-screening hit. */
export const customerFreezes: (q: Queryable, customerId: string) => Promise<CustomerFreezes> =
  askTogether<string, CustomerFreezes>({
  identity: (customerId) => customerId,
  async one(q, customerId) {
    const row = await q.get<{ claim: unknown; sanctions: unknown }>(
      `SELECT
         CASE WHEN EXISTS (SELECT 1 FROM support_freezes WHERE customer_id = ? AND active = 1)
           THEN 1 ELSE 0 END AS claim,
         CASE WHEN EXISTS (SELECT 1 FROM sanctions_freezes WHERE customer_id = ? AND active = 1)
           THEN 1 ELSE 0 END AS sanctions`,
      [customerId, customerId],
    );
    return { claim: Number(row?.claim) === 1, sanctions: Number(row?.sanctions) === 1 };
  },
  async many(store, customerIds) {
    const rows = await store.all<{ customer_id: string; kind: string }>(
      `SELECT DISTINCT customer_id, 'claim' AS kind FROM support_freezes
         WHERE active = 1 AND customer_id IN (SELECT jsonb_array_elements_text(CAST(? AS jsonb)))
       UNION ALL
       SELECT DISTINCT customer_id, 'sanctions' AS kind FROM sanctions_freezes
         WHERE active = 1 AND customer_id IN (SELECT jsonb_array_elements_text(CAST(? AS jsonb)))`,
      [JSON.stringify(customerIds), JSON.stringify(customerIds)],
    );
    const kinds = new Map<string, Set<string>>();
    for (const row of rows) kinds.set(row.customer_id, (kinds.get(row.customer_id) ?? new Set()).add(row.kind));
    return customerIds.map((id) => {
      const found = kinds.get(id);
      return { claim: found?.has('claim') === true, sanctions: found?.has('sanctions') === true };
    });
  },
});

/** Whether a claim under review froze the device. */
export const deviceFrozen: (q: Queryable, deviceId: string) => Promise<boolean> = askTogether<string, boolean>({
  identity: (deviceId) => deviceId,
  async one(q, deviceId) {
    return (await q.get('SELECT id FROM support_freezes WHERE device_id = ? AND active = 1', [deviceId])) !== undefined;
  },
  async many(store, deviceIds) {
    const rows = await store.all<{ device_id: string }>(
      `SELECT DISTINCT device_id FROM support_freezes
         WHERE active = 1 AND device_id IN (SELECT jsonb_array_elements_text(CAST(? AS jsonb)))`,
      [JSON.stringify(deviceIds)],
    );
    const frozen = new Set(rows.map((row) => row.device_id));
    return deviceIds.map((id) => frozen.has(id));
  },
});

export interface Payout {
  readonly amount: bigint;
  readonly fromMerchant: bigint;
  readonly paid: boolean;
}

/** Plans a payout once per key (a retry finds the first plan) and returns the plan. */
export async function planPayout(
  q: Queryable,
  p: {
    caseId: string;
    kind: 'compensation' | 'dispute_refund';
    amount: bigint;
    fromMerchant: bigint;
    currency: string;
    key: string;
    now: number;
  },
): Promise<Payout> {
  await q.run(
    `INSERT INTO support_payouts (id, case_id, kind, amount, currency, transfer_key, from_merchant, paid, at)
     VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?) ON CONFLICT (transfer_key) DO NOTHING`,
    [newId('pyo', p.now), p.caseId, p.kind, p.amount, p.currency, p.key, p.fromMerchant, p.now],
  );
  const row = await q.get('SELECT amount, from_merchant, paid FROM support_payouts WHERE transfer_key = ?', [p.key]);
  return {
    amount: BigInt(row?.amount as bigint),
    fromMerchant: BigInt(row?.from_merchant as bigint),
    paid: toNumber(row?.paid) === 1,
  };
}

export async function markPaid(q: Queryable, key: string): Promise<void> {
  await q.run('UPDATE support_payouts SET paid = 1 WHERE transfer_key = ?', [key]);
}

/** Idempotent on `id` (derived from the decision's key), so a retried execution records one debt. */
export async function insertDebt(
  q: Queryable,
  d: { id: string; caseId: string; merchantId: string; currency: string; owed: bigint; now: number },
): Promise<void> {
  await q.run(
    `INSERT INTO support_merchant_debts (id, case_id, merchant_id, currency, owed, recovered, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, 0, ?, ?) ON CONFLICT (id) DO NOTHING`,
    [d.id, d.caseId, d.merchantId, d.currency, d.owed, d.now, d.now],
  );
}

export interface Debt {
  readonly id: string;
  readonly merchantId: string;
  readonly currency: string;
  readonly owed: bigint;
  readonly recovered: bigint;
}

export async function openDebts(q: Queryable, limit: number): Promise<Debt[]> {
  const rows = await q.all('SELECT * FROM support_merchant_debts WHERE recovered < owed ORDER BY id LIMIT ?', [limit]);
  return rows.map((r) => ({
    id: String(r.id),
    merchantId: String(r.merchant_id),
    currency: String(r.currency),
    owed: BigInt(r.owed as bigint),
    recovered: BigInt(r.recovered as bigint),
  }));
}

export async function debtsOfCase(q: Queryable, caseId: string): Promise<Debt[]> {
  const rows = await q.all('SELECT * FROM support_merchant_debts WHERE case_id = ? ORDER BY id', [caseId]);
  return rows.map((r) => ({
    id: String(r.id),
    merchantId: String(r.merchant_id),
    currency: String(r.currency),
    owed: BigInt(r.owed as bigint),
    recovered: BigInt(r.recovered as bigint),
  }));
}

export async function addRecovered(q: Queryable, id: string, amount: bigint, now: number): Promise<boolean> {
  const sql = `UPDATE support_merchant_debts SET recovered = recovered + ?, updated_at = ?
     WHERE id = ? AND recovered + ? <= owed`;
  return (await q.run(sql, [amount, now, id, amount])) === 1;
}

/** The report's raw figures over cases opened in [from, to). */
export async function reportRows(q: Queryable, from: number, to: number) {
  const categories = await q.all(
    `SELECT t.category AS category, COUNT(*) AS n FROM support_tickets t JOIN cases c ON c.id = t.case_id
     WHERE c.created_at >= ? AND c.created_at < ? GROUP BY t.category ORDER BY t.category`,
    [from, to],
  );
  const sla = await q.all(
    `SELECT c.kind AS kind, c.status AS status, c.breached AS breached
     FROM support_tickets t JOIN cases c ON c.id = t.case_id
     WHERE c.created_at >= ? AND c.created_at < ?`,
    [from, to],
  );
  const payouts = await q.all(
    `SELECT kind, currency, SUM(amount) AS total, COUNT(*) AS n FROM support_payouts
     WHERE paid = 1 AND at >= ? AND at < ?
     GROUP BY kind, currency ORDER BY kind, currency`,
    [from, to],
  );
  const satisfaction = await q.get(
    `SELECT COUNT(satisfaction) AS n, SUM(satisfaction) AS total FROM support_tickets
     WHERE created_at >= ? AND created_at < ?`,
    [from, to],
  );
  return { categories, sla, payouts, satisfaction };
}
