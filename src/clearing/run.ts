// A clearing run per partner (and so per currency): collect what is due — outgoing: pending instructions
// and those the net debit cap held before; incoming: card top-up captures and returns the partner owes us
// (clearing_incoming) — net the positions (net = gross debits − gross credits), hold the outgoing that
// would take the partner's unanswered net past its net debit cap, and lock the rest into one batch with its message
// (pain.001 to a settlement bank, pacs.008 to a clearing house), hashed and signed, all in one
// transaction. Sending is separate (no network inside a transaction).
import { appendAudit } from '../audit/index.ts';
import { newId } from '../ids.ts';
import type { Queryable, Tx } from '../store/index.ts';
import {
  ClearingRefused, isoDateTime, isoDate, withinLedger, type ClearingContext, type FileSignature,
} from './context.ts';
import { holdCaseInput, holdCaseKey } from './hold-case.ts';
import { instructionColumns, instructionOf, type Instruction } from './instructions.ts';
import { pacs008, pain001, type OutboundTransfer } from './messages.ts';
import { requirePartner, type Partner } from './partners.ts';

export const debtorName = 'Anfu Payment Services';

export interface Batch {
  readonly id: string;
  readonly partnerId: string;
  readonly currency: string;
  readonly messageId: string;
  readonly messageKind: string;
  readonly count: number;
  readonly total: bigint;
  /** What leaves in this batch (= total), what the partner owes us in it, and the net (debit − credit). */
  readonly grossDebit: bigint;
  readonly grossCredit: bigint;
  readonly netDebit: bigint;
  readonly state: 'locked' | 'sent' | 'answered';
  readonly valueDate: string;
  readonly fileSha256: string;
  readonly signatureAlgorithm: string;
  readonly signature: string;
}

export interface RunResult {
  readonly batch: Batch | undefined;
  readonly held: readonly string[];
  /** Held instructions past the hold limit, each with its `clearing_hold` case. */
  readonly overdue: readonly { readonly instructionId: string; readonly caseId: string }[];
  /** `clearing_hold` cases closed because their instruction went into this batch. */
  readonly closedCases: readonly string[];
  readonly body: string | undefined;
}

export function batchOf(r: Record<string, unknown>): Batch {
  return {
    id: r.id as string,
    partnerId: r.partner_id as string,
    currency: r.currency as string,
    messageId: r.message_id as string,
    messageKind: r.message_kind as string,
    count: Number(r.count),
    total: BigInt(r.total as bigint),
    grossDebit: BigInt(r.gross_debit as bigint),
    grossCredit: BigInt(r.gross_credit as bigint),
    netDebit: BigInt(r.net_debit as bigint),
    state: r.state as Batch['state'],
    valueDate: r.value_date as string,
    fileSha256: r.file_sha256 as string,
    signatureAlgorithm: r.signature_algorithm as string,
    signature: r.signature as string,
  };
}

export const batchColumns =
  'id, partner_id, currency, message_id, message_kind, count, total, gross_debit, gross_credit, net_debit, state, ' +
    'value_date, ' +
    'file_sha256, signature_algorithm, signature';

export async function batchById(q: Queryable, id: string): Promise<Batch | undefined> {
  const row = await q.get(`SELECT ${batchColumns} FROM clearing_batches WHERE id = ?`, [id]);
  return row === undefined ? undefined : batchOf(row);
}

export async function batchByMessageId(q: Queryable, messageId: string): Promise<Batch | undefined> {
  const row = await q.get(`SELECT ${batchColumns} FROM clearing_batches WHERE message_id = ?`, [messageId]);
  return row === undefined ? undefined : batchOf(row);
}

export async function batchFile(q: Queryable, id: string): Promise<string | undefined> {
  return (await q.get<{ body: string }>('SELECT body FROM clearing_batch_files WHERE batch_id = ?', [id]))?.body;
}

/**
 * The net the partner's cap already carries: payments batched and not yet answered, less the credits
 * batched with them in batches not yet answered.
 */
async function outstandingOf(q: Queryable, partnerId: string): Promise<bigint> {
  const row = await q.get<{ total: unknown }>(
    "SELECT COALESCE(SUM(amount), 0) AS total FROM clearing_instructions WHERE partner_id = ? AND state = 'batched'",
    [partnerId],
  );
  const credit = await q.get<{ total: unknown }>(
    `SELECT COALESCE(SUM(i.amount), 0) AS total FROM clearing_incoming i JOIN clearing_batches b ON b.id = i.batch_id
      WHERE i.partner_id = ? AND i.state = 'batched' AND b.state <> 'answered'`,
    [partnerId],
  );
  // Credits reversed after they were netted are owed back: a debit in the batch that carries them.
  const back = await q.get<{ total: unknown }>(
    `SELECT COALESCE(SUM(i.amount), 0) AS total FROM clearing_incoming i
      JOIN clearing_batches b ON b.id = i.reversal_batch_id WHERE i.partner_id = ? AND b.state <> 'answered'`,
    [partnerId],
  );
  return BigInt((row?.total ?? 0) as bigint) - BigInt((credit?.total ?? 0) as bigint) +
    BigInt((back?.total ?? 0) as bigint);
}

export interface NetPosition {
  readonly take: string[];
  readonly hold: string[];
  readonly grossDebit: bigint;
  readonly grossCredit: bigint;
  /** grossDebit − grossCredit: negative when the partner owes us more than we send. */
  readonly net: bigint;
}

/**
 * Nets one run: every credit counts (it only lowers the position); the outgoing are taken in order of
 * age while outstanding + net stays within the cap — one that would push it over is held (a large one
 * held does not block smaller ones).
 */
export function netUnderCap(
  outgoing: readonly { id: string; amount: bigint }[],
  incoming: readonly { amount: bigint }[],
  outstanding: bigint,
  cap: bigint,
): NetPosition {
  const take: string[] = [];
  const hold: string[] = [];
  const grossCredit = incoming.reduce((sum, i) => sum + i.amount, 0n);
  let grossDebit = 0n;
  for (const i of outgoing) {
    if (outstanding + grossDebit + i.amount - grossCredit <= cap) {
      grossDebit += i.amount;
      take.push(i.id);
    } else hold.push(i.id);
  }
  return { take, hold, grossDebit, grossCredit, net: grossDebit - grossCredit };
}

/** Which due instructions fit under the cap with no credits to net (see netUnderCap). */
export function underCap(
  due: readonly { id: string; amount: bigint }[],
  outstanding: bigint,
  cap: bigint,
): { take: string[]; hold: string[] } {
  const { take, hold } = netUnderCap(due, [], outstanding, cap);
  return { take, hold };
}

export interface IncomingInput {
  readonly partnerId: string;
  readonly kind: 'card_capture' | 'return';
  /** The capture's or the returned payment's id: an item is recorded once per (partner, kind, reference). */
  readonly reference: string;
  readonly currency: string;
  readonly amount: bigint;
}

/**
 * Records money the partner owes us for the next run to net (idempotent on the reference: a replayed
 * completion, or one recorded after its reversal, changes nothing).
 */
export async function recordIncoming(q: Queryable, input: IncomingInput, now: number): Promise<void> {
  if (input.amount <= 0n) throw new ClearingRefused('clearing_instruction_invalid', 'the amount must be positive');
  const partner = await requirePartner(q, input.partnerId);
  if (partner.currency !== input.currency)
    throw new ClearingRefused('clearing_instruction_invalid', 'the item is not in the partner currency');
  await q.run(
    `INSERT INTO clearing_incoming (id, partner_id, kind, reference, currency, amount, state, created_at, updated_at)
      VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?) ON CONFLICT (partner_id, kind, reference) DO NOTHING`,
    [newId('cic', now), input.partnerId, input.kind, input.reference, input.currency, input.amount, now, now],
  );
}

export type IncomingReversal = 'withdrawn' | 'owed_back' | 'not_recorded';

/**
 * The credit behind `reference` is no longer owed to us (a card top-up reversed): still pending, it is
 * withdrawn and never netted; already netted in a batch, the next run counts it as a debit (owed back).
 * Idempotent: a second reversal changes nothing and answers as the first did.
 */
export async function reverseIncoming(
  q: Queryable, input: Pick<IncomingInput, 'partnerId' | 'kind' | 'reference'>, now: number,
): Promise<IncomingReversal> {
  const key = [input.partnerId, input.kind, input.reference];
  await q.run(
    `UPDATE clearing_incoming SET reversed_at = ?, updated_at = ? WHERE partner_id = ? AND kind = ? AND reference = ?
      AND reversed_at IS NULL`,
    [now, now, ...key],
  );
  const row = await q.get<{ state: string }>(
    'SELECT state FROM clearing_incoming WHERE partner_id = ? AND kind = ? AND reference = ?', key,
  );
  if (row === undefined) return 'not_recorded';
  return row.state === 'batched' ? 'owed_back' : 'withdrawn';
}

async function transfersOf(
  ctx: ClearingContext,
  rows: readonly Record<string, unknown>[],
): Promise<OutboundTransfer[]> {
  const out: OutboundTransfer[] = [];
  for (const row of rows) {
    const i = instructionOf(row);
    const revealed = await ctx.creditorAccounts.reveal(i.id, row, ['creditorAccount']);
    out.push({
      instructionId: i.id,
      endToEndId: i.endToEndId,
      amount: i.amount,
      currency: i.currency,
      creditorName: i.creditorName,
      creditorAccount: revealed.creditorAccount ?? '',
      creditorAgent: i.creditorAgent,
      remittance: i.kind === 'withdrawal' ? 'Anfu withdrawal' : 'Anfu merchant settlement',
    });
  }
  return out;
}

function messageFor(
  partner: Partner,
  messageId: string,
  created: string,
  valueDate: string,
  transfers: OutboundTransfer[],
): string {
  const batch = {
    messageId,
    created,
    valueDate,
    currency: partner.currency,
    debtorName,
    debtorAccount: partner.accountNumber,
    debtorAgent: partner.bic,
    transfers,
  };
  return partner.messageKind === 'pacs.008' ? pacs008(batch) : pain001(batch);
}

interface LockedBatch {
  readonly id: string;
  readonly partner: Partner;
  readonly body: string;
  readonly signature: FileSignature;
  readonly valueDate: string;
  readonly transfers: readonly OutboundTransfer[];
  readonly total: bigint;
  readonly incoming: readonly string[];
  readonly grossCredit: bigint;
  /** Credits netted before and since reversed: debits of this batch. */
  readonly owedBack: readonly { id: string; amount: bigint }[];
  readonly now: number;
}

/** The batch row, its file, and its instructions moved to `batched` (each only from pending or held). */
async function lockBatch(tx: Tx, b: LockedBatch): Promise<void> {
  const grossDebit = b.owedBack.reduce((sum, i) => sum + i.amount, b.total);
  const kind = b.partner.messageKind === 'pacs.008' ? 'pacs.008.001.08' : 'pain.001.001.09';
  await tx.run(
    `INSERT INTO clearing_batches (id, partner_id, currency, message_id, message_kind, count, total, gross_debit,
      gross_credit, net_debit, state, value_date, file_sha256, signature_algorithm, signature, created_at, updated_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'locked', ?, ?, ?, ?, ?, ?)`,
    [b.id, b.partner.id, b.partner.currency, b.id, kind, b.transfers.length, b.total, grossDebit, b.grossCredit,
      grossDebit - b.grossCredit, b.valueDate, b.signature.sha256, b.signature.algorithm, b.signature.signature, b.now,
      b.now],
  );
  for (const id of b.incoming) {
    const taken = await tx.run(
      `UPDATE clearing_incoming SET state = 'batched', batch_id = ?, updated_at = ? WHERE id = ? AND state = 'pending'
        AND reversed_at IS NULL`,
      [b.id, b.now, id],
    );
    if (taken !== 1) throw new Error('clearing: an incoming item changed during the run; try again');
  }
  for (const { id } of b.owedBack) {
    const taken = await tx.run(
      `UPDATE clearing_incoming SET reversal_batch_id = ?, updated_at = ? WHERE id = ? AND state = 'batched'
        AND reversed_at IS NOT NULL AND reversal_batch_id IS NULL`,
      [b.id, b.now, id],
    );
    if (taken !== 1) throw new Error('clearing: a reversed credit changed during the run; try again');
  }
  await tx.run('INSERT INTO clearing_batch_files (batch_id, body) VALUES (?, ?)', [b.id, b.body]);
  for (const t of b.transfers) {
    const changed = await tx.run(
      "UPDATE clearing_instructions SET state = 'batched', batch_id = ?, value_date = ?, reason_code = " +
        "NULL, updated_at = ? WHERE id = ? AND state IN ('pending', 'held')",
      [b.id, b.valueDate, b.now, t.instructionId],
    );
    if (changed !== 1) throw new Error('clearing: an instruction changed during the run; try again');
  }
}

/** Held past the limit: each opens its case (idempotent, one per instruction) in the run's transaction. */
async function openHoldCases(
  ctx: ClearingContext, tx: Tx, held: readonly Instruction[], now: number,
): Promise<{ instructionId: string; caseId: string }[]> {
  const limits = ctx.holds;
  if (limits === undefined) return [];
  const out: { instructionId: string; caseId: string }[] = [];
  for (const i of held) {
    if (now - i.createdAt < limits.maxMs) continue;
    const opened = await limits.open(tx, holdCaseInput(i, now - i.createdAt), new Date(now));
    out.push({ instructionId: i.id, caseId: opened.id });
  }
  return out;
}

/** Held instructions now batched: each closes its `clearing_hold` case, if one was opened. */
async function closeHoldCases(
  ctx: ClearingContext, tx: Tx, released: readonly Instruction[], batchId: string, now: number,
): Promise<string[]> {
  const close = ctx.holds?.close;
  if (close === undefined) return [];
  const closed: string[] = [];
  for (const i of released) {
    const reason = `instruction ${i.id} batched in ${batchId}`;
    const c = await close(tx, { kind: 'clearing_hold', dedupeKey: holdCaseKey(i.id) }, reason, new Date(now));
    if (c !== undefined) closed.push(c.id);
  }
  return closed;
}

/** What a run collects: outgoing instructions (pending or held) and incoming credits, each in order of age. */
async function collectDue(q: Queryable, partnerId: string) {
  const rows = await q.all(
    `SELECT ${instructionColumns}, creditor_account_sealed FROM clearing_instructions WHERE partner_id = ? AND
      state IN ('pending', 'held') ORDER BY created_at, id`,
    [partnerId],
  );
  const itemsOf = async (where: string) => (
    await q.all(`SELECT id, amount FROM clearing_incoming WHERE partner_id = ? AND ${where} ORDER BY created_at, id`,
      [partnerId])
  ).map((r) => ({ id: r.id as string, amount: BigInt(r.amount as bigint) }));
  const incoming = await itemsOf("state = 'pending' AND reversed_at IS NULL");
  const owedBack = await itemsOf("state = 'batched' AND reversed_at IS NOT NULL AND reversal_batch_id IS NULL");
  return { rows, due: rows.map(instructionOf), incoming, owedBack };
}

/** Runs clearing for one partner now; an empty run (nothing due or all held) locks no batch. */
export async function runClearing(
  ctx: ClearingContext,
  partnerId: string,
  actorId = 'system:clearing',
): Promise<RunResult> {
  const partner = await requirePartner(ctx.store, partnerId);
  const now = ctx.clock();
  const { rows, due, incoming, owedBack } = await collectDue(ctx.store, partnerId);
  const outstanding = await outstandingOf(ctx.store, partnerId);
  // What we owe back for reversed credits comes first: it weighs on the cap like a payment already batched.
  const back = owedBack.reduce((sum, i) => sum + i.amount, 0n);
  const { take, hold, grossCredit } = netUnderCap(due, incoming, outstanding + back, partner.netDebitCap);
  const taken = new Set(take);
  const transfers = await transfersOf(
    ctx,
    rows.filter((r) => taken.has(r.id as string)),
  );
  const id = newId('cbt', now);
  const valueDate = isoDate(now);
  const body = transfers.length === 0 ? undefined : messageFor(partner, id, isoDateTime(now), valueDate, transfers);
  const signature = body === undefined ? undefined : await ctx.signer.sign(body);
  const total = transfers.reduce((sum, t) => sum + t.amount, 0n);
  const overdue: { instructionId: string; caseId: string }[] = [];
  const closedCases: string[] = [];
  await withinLedger(ctx.store, async (tx) => {
    overdue.length = 0;
    closedCases.length = 0;
    // The cap is checked again under the transaction: a concurrent run must not double-spend liquidity.
    if ((await outstandingOf(tx, partnerId)) !== outstanding)
      throw new Error('clearing: a concurrent run changed the outstanding total; try again');
    for (const held of hold)
      await tx.run(
        "UPDATE clearing_instructions SET state = 'held', reason_code = 'net_debit_cap', updated_at = ? " +
          "WHERE id = ? AND state IN ('pending', 'held')",
        [now, held],
      );
    overdue.push(...(await openHoldCases(ctx, tx, due.filter((i) => hold.includes(i.id)), now)));
    if (body !== undefined && signature !== undefined) {
      const credits = incoming.map((i) => i.id);
      await lockBatch(tx, { id, partner, body, signature, valueDate, transfers, total, incoming: credits, grossCredit,
        owedBack, now });
      const released = due.filter((i) => i.state === 'held' && taken.has(i.id));
      closedCases.push(...(await closeHoldCases(ctx, tx, released, id, now)));
    }
    const credit = body === undefined ? 0n : grossCredit;
    const debit = body === undefined ? 0n : total + back;
    await appendAudit(tx, [{
      actorType: actorId.startsWith('system') ? 'system' : 'operator', actorId, action: 'clearing.run',
      target: partnerId, outcome: 'success',
      details: {
        batchId: body === undefined ? null : id, count: transfers.length, total: total.toString(),
        grossDebit: debit.toString(), grossCredit: credit.toString(), net: (debit - credit).toString(),
        held: hold.length,
        overdue: overdue.length, closedCases, sha256: signature?.sha256 ?? null,
      },
    }], now);
  });
  const batch = body === undefined ? undefined : await batchById(ctx.store, id);
  return { batch, held: hold, overdue, closedCases, body };
}

export type Transport = (
  partner: Partner,
  body: string,
  signature: { algorithm: string; signature: string; sha256: string },
) => Promise<string>;

/** Loopback HTTP to the partner's endpoint: POST the message, the answer is its pacs.002. */
export const httpTransport: Transport = async (partner, body, signature) => {
  if (partner.endpoint === null) throw new Error(`partner ${partner.name} has no endpoint`);
  const response = await fetch(new URL('/v1/messages', partner.endpoint), {
    method: 'POST',
    body,
    headers: {
      'content-type': 'application/xml',
      'x-anfu-sha256': signature.sha256,
      'x-anfu-signature': signature.signature,
      'x-anfu-signature-algorithm': signature.algorithm,
    },
    signal: AbortSignal.timeout(15_000),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`partner ${partner.name} answered HTTP ${response.status}`);
  return text;
};

export async function markSent(ctx: ClearingContext, batchId: string): Promise<void> {
  await ctx.store.run("UPDATE clearing_batches SET state = 'sent', updated_at = ? WHERE id = ? AND state = 'locked'", [
    ctx.clock(),
    batchId,
  ]);
}
