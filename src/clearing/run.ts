// A clearing run per partner (and so per currency): collect what is due (pending instructions, and
// those the net debit cap held before), net the positions, hold what would take the partner's
// unanswered total past its net debit cap, and lock the rest into one batch with its message
// (pain.001 to a settlement bank, pacs.008 to a clearing house), hashed and signed, all in one
// transaction. Sending is separate (no network inside a transaction).
import { appendAudit } from '../audit/index.ts';
import { newId } from '../ids.ts';
import type { Queryable, Tx } from '../store/index.ts';
import { isoDateTime, isoDate, withinLedger, type ClearingContext, type FileSignature } from './context.ts';
import { holdCaseInput } from './hold-case.ts';
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
  readonly body: string | undefined;
}

function batchOf(r: Record<string, unknown>): Batch {
  return {
    id: r.id as string,
    partnerId: r.partner_id as string,
    currency: r.currency as string,
    messageId: r.message_id as string,
    messageKind: r.message_kind as string,
    count: Number(r.count),
    total: BigInt(r.total as bigint),
    netDebit: BigInt(r.net_debit as bigint),
    state: r.state as Batch['state'],
    valueDate: r.value_date as string,
    fileSha256: r.file_sha256 as string,
    signatureAlgorithm: r.signature_algorithm as string,
    signature: r.signature as string,
  };
}

const batchColumns =
  'id, partner_id, currency, message_id, message_kind, count, total, net_debit, state, value_date, ' +
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

/** Sent and not yet answered: the liquidity the partner's cap already carries. */
async function outstandingOf(q: Queryable, partnerId: string): Promise<bigint> {
  const row = await q.get<{ total: unknown }>(
    "SELECT COALESCE(SUM(amount), 0) AS total FROM clearing_instructions WHERE partner_id = ? AND state = 'batched'",
    [partnerId],
  );
  return BigInt((row?.total ?? 0) as bigint);
}

/** Which due instructions fit under the cap (in order of age; a large one held does not block smaller ones). */
export function underCap(
  due: readonly { id: string; amount: bigint }[],
  outstanding: bigint,
  cap: bigint,
): { take: string[]; hold: string[] } {
  const take: string[] = [];
  const hold: string[] = [];
  let used = outstanding;
  for (const i of due) {
    if (used + i.amount <= cap) {
      used += i.amount;
      take.push(i.id);
    } else hold.push(i.id);
  }
  return { take, hold };
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
  readonly now: number;
}

/** The batch row, its file, and its instructions moved to `batched` (each only from pending or held). */
async function lockBatch(tx: Tx, b: LockedBatch): Promise<void> {
  const kind = b.partner.messageKind === 'pacs.008' ? 'pacs.008.001.08' : 'pain.001.001.09';
  await tx.run(
    `INSERT INTO clearing_batches (id, partner_id, currency, message_id, message_kind, count, total, net_debit,
      state, value_date, file_sha256, signature_algorithm, signature, created_at, updated_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'locked', ?, ?, ?, ?, ?, ?)`,
    [b.id, b.partner.id, b.partner.currency, b.id, kind, b.transfers.length, b.total, b.total, b.valueDate,
      b.signature.sha256, b.signature.algorithm, b.signature.signature, b.now, b.now],
  );
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

/** Runs clearing for one partner now; an empty run (nothing due or all held) locks no batch. */
export async function runClearing(
  ctx: ClearingContext,
  partnerId: string,
  actorId = 'system:clearing',
): Promise<RunResult> {
  const partner = await requirePartner(ctx.store, partnerId);
  const now = ctx.clock();
  const rows = await ctx.store.all(
    `SELECT ${instructionColumns}, creditor_account_sealed FROM clearing_instructions WHERE partner_id = ? AND
      state IN ('pending', 'held') ORDER BY created_at, id`,
    [partnerId],
  );
  const due = rows.map(instructionOf);
  const outstanding = await outstandingOf(ctx.store, partnerId);
  const { take, hold } = underCap(due, outstanding, partner.netDebitCap);
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
  await withinLedger(ctx.store, async (tx) => {
    overdue.length = 0;
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
      await lockBatch(tx, { id, partner, body, signature, valueDate, transfers, total, now });
    }
    await appendAudit(
      tx,
      [
        {
          actorType: actorId.startsWith('system') ? 'system' : 'operator',
          actorId,
          action: 'clearing.run',
          target: partnerId,
          outcome: 'success',
          details: {
            batchId: body === undefined ? null : id,
            count: transfers.length,
            total: total.toString(),
            held: hold.length,
            overdue: overdue.length,
            sha256: signature?.sha256 ?? null,
          },
        },
      ],
      now,
    );
  });
  return { batch: body === undefined ? undefined : await batchById(ctx.store, id), held: hold, overdue, body };
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
