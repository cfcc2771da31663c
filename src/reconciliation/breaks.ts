// Breaks: every difference between a statement and our ledger, kept until it is explained. Each opens
// a `reconciliation_break` case (the shared case system, through the port wiring gives us) with a
// severity from its amount and a resolution deadline from its severity; age escalates it. A break is
// corrected only by a ledger adjustment between the partner's own accounts (settlement against
// suspense, or fees for a bank charge) proposed by one operator and approved by another (maker–
// checker, `reconciliation.resolve_break`), never by editing a statement or a posting. A camt.054 booking no
// statement carried is corrected by reversing its in-transit leg (clearing/notified-entries.ts).
import { appendAudit } from '../audit/index.ts';
import { markWithdrawn, withdrawLeg } from '../clearing/index.ts';
import { newId } from '../ids.ts';
import type { Ledger } from '../ledger/index.ts';
import type { Queryable, Store, Tx } from '../store/index.ts';
import type { BreakClass } from './matcher.ts';

export type Severity = 'low' | 'medium' | 'high' | 'critical';
export type BreakKind = BreakClass | 'balance_mismatch';

/** What the case system's `openCase` takes (docs/CASES.md), narrowed to what reconciliation sends. */
export interface BreakCaseInput {
  readonly kind: 'reconciliation_break';
  readonly dedupeKey: string;
  readonly title: string;
  readonly subject: { readonly type: 'statement'; readonly id: string };
  readonly severity: Severity;
  readonly amount: { readonly minor: bigint; readonly currency: string };
  readonly evidence: readonly { readonly type: 'statement_line' | 'payment'; readonly ref: string }[];
  readonly openedBy: string;
  readonly details: Record<string, unknown>;
}

/** Opens (idempotently) the case for a break inside the caller's transaction; returns its id. */
export type BreakCaseOpener = (tx: Tx, input: BreakCaseInput, now: Date) => Promise<{ readonly id: string }>;

const hour = 3_600_000;
/** Resolution deadlines by severity (continuous hours; the case system applies its business calendar). */
export const breakSla: Readonly<Record<Severity, number>> = {
  critical: 4 * hour,
  high: 24 * hour,
  medium: 72 * hour,
  low: 120 * hour,
};

/** Severity by amount in minor units (currencies with 2 decimals; thresholds 100, 10 000, 1 000 000). */
export function severityOf(amount: bigint): Severity {
  const a = amount < 0n ? -amount : amount;
  if (a >= 100_000_000n) return 'critical';
  if (a >= 1_000_000n) return 'high';
  if (a >= 10_000n) return 'medium';
  return 'low';
}

/** Age escalates: past its deadline a break counts one step more severe. */
export function escalated(severity: Severity, openedAt: number, now: number): Severity {
  if (now - openedAt <= breakSla[severity]) return severity;
  const order: Severity[] = ['low', 'medium', 'high', 'critical'];
  return order[Math.min(order.indexOf(severity) + 1, 3)] as Severity;
}

export interface NewBreak {
  readonly fileId: string;
  readonly partnerId: string;
  readonly kind: BreakKind;
  readonly lineId: string | undefined;
  readonly instructionId: string | undefined;
  readonly endToEndId: string | undefined;
  readonly amount: bigint;
  readonly currency: string;
  readonly balanceEffect: bigint;
  readonly details: Record<string, unknown>;
}

export interface StoredBreak extends NewBreak {
  readonly id: string;
  readonly severity: Severity;
  readonly state: 'open' | 'approved' | 'resolved';
  readonly caseId: string | null;
  readonly openedAt: number;
  readonly dueAt: number;
}

function breakOf(r: Record<string, unknown>): StoredBreak {
  return {
    id: r.id as string,
    fileId: r.file_id as string,
    partnerId: r.partner_id as string,
    kind: r.class as BreakKind,
    lineId: (r.line_id as string | null) ?? undefined,
    instructionId: (r.instruction_id as string | null) ?? undefined,
    endToEndId: (r.end_to_end_id as string | null) ?? undefined,
    amount: BigInt(r.amount as bigint),
    currency: r.currency as string,
    balanceEffect: BigInt(r.balance_effect as bigint),
    details: JSON.parse(r.details as string) as Record<string, unknown>,
    severity: r.severity as Severity,
    state: r.state as StoredBreak['state'],
    caseId: (r.case_id as string | null) ?? null,
    openedAt: Number(r.opened_at),
    dueAt: Number(r.due_at),
  };
}

const columns =
  'id, file_id, partner_id, class, line_id, instruction_id, end_to_end_id, amount, currency, ' +
    'balance_effect, details, severity, state, case_id, opened_at, due_at';

export async function breakById(q: Queryable, id: string): Promise<StoredBreak | undefined> {
  const row = await q.get(`SELECT ${columns} FROM reconciliation_breaks WHERE id = ?`, [id]);
  return row === undefined ? undefined : breakOf(row);
}

/** Breaks not yet corrected (open, or approved and waiting for their adjustment to post). */
export async function openBreaks(q: Queryable, partnerId: string): Promise<StoredBreak[]> {
  return (
    await q.all(
      `SELECT ${columns} FROM reconciliation_breaks WHERE partner_id = ? AND state IN ('open', 'approved') ORDER BY
        opened_at, id`,
      [partnerId],
    )
  ).map(breakOf);
}

/** A case's four-eyes decision approves the correction inside the case's transaction ... */
export async function approveBreak(tx: Tx, breakId: string, now: number): Promise<boolean> {
  return (
    (await tx.run(
      "UPDATE reconciliation_breaks SET state = 'approved', resolution = 'approved', resolved_at = ? WHERE " +
        "id = ? AND state = 'open'",
      [now, breakId],
    )) === 1
  );
}

/** ... and the adjustments of approved breaks post after it commits (idempotent on each break). */
export async function postApprovedBreaks(
  store: Store,
  ledger: Ledger,
  accountsOf: (partnerId: string) => Promise<PartnerAccounts>,
  actorId: string,
  now: number,
): Promise<number> {
  const approved = await store.all<{ id: string }>(
    "SELECT id FROM reconciliation_breaks WHERE state = 'approved' ORDER BY opened_at, id LIMIT 1000",
  );
  let posted = 0;
  for (const { id } of approved) if ((await resolveBreak(store, ledger, accountsOf, id, actorId, now)).ok) posted += 1;
  return posted;
}

/** Records a break and opens its case. A payment still missing on the bank's side keeps its one break. */
export async function recordBreak(
  tx: Tx,
  b: NewBreak,
  opener: BreakCaseOpener | undefined,
  now: number,
): Promise<StoredBreak> {
  if (b.kind === 'missing_on_bank_side' && b.instructionId !== undefined) {
    const open = await tx.get(
      `SELECT ${columns} FROM reconciliation_breaks WHERE instruction_id = ? AND class = ? AND state = 'open'`,
      [b.instructionId, b.kind],
    );
    if (open !== undefined) return breakOf(open);
  }
  const id = newId('rbk', now);
  const severity = severityOf(b.amount);
  const dueAt = now + breakSla[severity];
  let caseId: string | null = null;
  if (opener !== undefined) {
    const opened = await opener(
      tx,
      {
        kind: 'reconciliation_break',
        dedupeKey: id,
        title: `${b.kind.replaceAll('_', ' ')} on a bank statement`,
        subject: { type: 'statement', id: b.fileId },
        severity,
        amount: { minor: b.amount < 0n ? -b.amount : b.amount, currency: b.currency },
        evidence: [
          ...(b.lineId === undefined ? [] : [{ type: 'statement_line' as const, ref: b.lineId }]),
          ...(b.instructionId === undefined ? [] : [{ type: 'payment' as const, ref: b.instructionId }]),
        ],
        openedBy: 'system:reconciliation',
        details: { breakId: id, class: b.kind, ...b.details },
      },
      new Date(now),
    );
    caseId = opened.id;
  }
  await tx.run(
    `INSERT INTO reconciliation_breaks (id, file_id, partner_id, class, line_id, instruction_id, end_to_end_id,
      amount, currency, severity, state, case_id,
      balance_effect, details, opened_at, due_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', ?, ?, ?, ?, ?)`,
    [
      id,
      b.fileId,
      b.partnerId,
      b.kind,
      b.lineId ?? null,
      b.instructionId ?? null,
      b.endToEndId ?? null,
      b.amount,
      b.currency,
      severity,
      caseId,
      b.balanceEffect,
      JSON.stringify(b.details),
      now,
      dueAt,
    ],
  );
  return { ...b, id, severity, state: 'open', caseId, openedAt: now, dueAt };
}

/** A break the bank's later statement explained (a payment booked a day late): closed without money. */
export async function resolveByStatement(tx: Tx, instructionId: string, fileId: string, now: number): Promise<number> {
  return tx.run(
    "UPDATE reconciliation_breaks SET state = 'resolved', resolution = ?, resolved_at = ? WHERE " +
      "instruction_id = ? AND class = 'missing_on_bank_side' AND state = 'open'",
    [`booked on statement ${fileId}`, now, instructionId],
  );
}

export interface PartnerAccounts {
  readonly settlementAccountId: string;
  readonly suspenseAccountId: string;
  readonly feesAccountId: string;
  readonly inTransitAccountId: string;
}

/** A notified booking a later statement carried after all: its not-stated break closes without money. */
export async function resolveNotifiedByStatement(
  tx: Tx, breakId: string, fileId: string, now: number,
): Promise<number> {
  return tx.run(
    "UPDATE reconciliation_breaks SET state = 'resolved', resolution = ?, resolved_at = ? WHERE id = ? AND " +
      "class = 'notified_not_stated' AND state IN ('open', 'approved')",
    [`stated on ${fileId}`, now, breakId],
  );
}

/** The correcting transfer: the settlement account moves by the break's balance effect, against suspense
 * (against fees for a bank charge). */
export function adjustmentFor(
  b: StoredBreak,
  accounts: PartnerAccounts,
): { debit: string; credit: string; amount: bigint } | undefined {
  // Never stated: the notification's own leg (in-transit against suspense) is reversed; settlement never moved.
  if (b.kind === 'notified_not_stated') {
    const leg = withdrawLeg(accounts, b.details.direction === 'debit' ? 'debit' : 'credit');
    return { ...leg, amount: b.amount };
  }
  if (b.balanceEffect === 0n) return undefined;
  const other = b.kind === 'fee_variance' ? accounts.feesAccountId : accounts.suspenseAccountId;
  // The bank holds less than the ledger implies (effect < 0): credit settlement; more: debit it.
  return b.balanceEffect < 0n
    ? { debit: other, credit: accounts.settlementAccountId, amount: -b.balanceEffect }
    : { debit: accounts.settlementAccountId, credit: other, amount: b.balanceEffect };
}

/** Executes an approved resolution: posts the adjustment (idempotent on the break) and closes the break. */
export async function resolveBreak(
  store: Store,
  ledger: Ledger,
  accountsOf: (partnerId: string) => Promise<PartnerAccounts>,
  breakId: string,
  actorId: string,
  now: number,
): Promise<{ ok: true; seq: bigint | null } | { ok: false; code: string }> {
  const b = await breakById(store, breakId);
  if (b === undefined) return { ok: false, code: 'break_not_found' };
  if (b.state === 'resolved') return { ok: false, code: 'break_resolved' };
  const adjustment = adjustmentFor(b, await accountsOf(b.partnerId));
  let seq: bigint | null = null;
  if (adjustment !== undefined) {
    const outcome = await ledger.submit({
      kind: 'single',
      key: `reconciliation:${b.id}`,
      debitAccountId: adjustment.debit,
      creditAccountId: adjustment.credit,
      amount: adjustment.amount,
      currency: b.currency,
      reference: b.id,
    });
    if (!outcome.ok) return { ok: false, code: outcome.code };
    seq = outcome.transfer.seq;
  }
  await store.transaction(async (tx) => {
    await tx.run(
      "UPDATE reconciliation_breaks SET state = 'resolved', resolution = 'adjustment', adjustment_seq = ?, " +
        "resolved_at = ? WHERE id = ? AND state IN ('open', 'approved')",
      [seq, now, b.id],
    );
    if (b.kind === 'notified_not_stated' && typeof b.details.notificationId === 'string')
      await markWithdrawn(tx, b.details.notificationId, now);
    // A payment the bank never booked is closed by the adjustment: no later statement is expected to carry it.
    if (b.kind === 'missing_on_bank_side' && b.instructionId !== undefined) {
      await tx.run(
        'UPDATE clearing_instructions SET reconciled_file_id = ? WHERE id = ? AND reconciled_file_id IS NULL',
        [`adjusted:${b.id}`, b.instructionId],
      );
    }
    await appendAudit(
      tx,
      [
        {
          actorType: 'system',
          actorId,
          action: 'reconciliation.break.resolve',
          target: b.id,
          outcome: 'success',
          details: { class: b.kind, adjustmentSeq: seq?.toString() ?? null, caseId: b.caseId },
        },
      ],
      now,
    );
  });
  return { ok: true, seq };
}
