// Importing an end-of-day statement (camt.053, or CSV through a column map) and reconciling it, in one
// transaction per file: every line is stored, matched against what our ledger expects on the
// partner's account (matcher.ts), every difference recorded as a break with its case, and the balance
// checked: the bank's closing balance against the settlement account's ledger balance, the difference
// explained by the breaks still open and the payments not yet due on a statement.
import { appendAudit, type AuditEvent } from '../audit/index.ts';
import {
  checkStatementAccount,
  markNotStated,
  notifiedFor,
  settleNotified,
  unstatedBy,
  instructionColumns,
  instructionOf,
  isoDate,
  registerBankFile,
  requirePartner,
  sealBankFile,
  streamCamt,
  withinLedger,
  ClearingRefused,
  isReturn,
  type CamtEntry,
  type ClearingContext,
  type Partner,
  type TextSource,
} from '../clearing/index.ts';
import { balanceOf, type LedgerTransaction } from '../ledger/index.ts';
import type { Tx } from '../store/index.ts';
import { newId } from '../ids.ts';
import {
  openBreaks, recordBreak, resolveByStatement, resolveNotifiedByStatement, type BreakCaseOpener, type NewBreak,
  type StoredBreak,
} from './breaks.ts';
import {
  Matcher, defaultMatcherOptions, type Expectation, type Match, type MatchResult, type StatementLine,
} from './matcher.ts';
import { streamCsvStatement, type CsvStatementOptions } from './csv.ts';

export interface ReconcileOutcome {
  readonly fileId: string;
  readonly statementDate: string;
  readonly lines: number;
  readonly matched: number;
  readonly breaks: readonly StoredBreak[];
  readonly carried: number;
  readonly closing: bigint | undefined;
  /** What the bank should hold by our ledger: minus the settlement account's balance. */
  readonly ledgerImplied: bigint;
  readonly explained: bigint;
  readonly balanced: boolean | undefined;
}

export interface ReconcileOptions {
  readonly format?: 'camt' | 'csv';
  readonly csv?: CsvStatementOptions;
  readonly caseOpener?: BreakCaseOpener | undefined;
  readonly dateToleranceDays?: number;
}

interface Expectations {
  readonly list: Expectation[];
  readonly reconciledBefore: Set<string>;
}

async function expectationsOf(tx: Tx, partnerId: string, now: number): Promise<Expectations> {
  const rows = await tx.all(
    `SELECT ${instructionColumns}, reconciled_file_id, return_reconciled_file_id, updated_at FROM clearing_instructions
      WHERE partner_id = ? AND state IN ('accepted', 'returned') AND (reconciled_file_id IS NULL OR (state =
        'returned' AND return_reconciled_file_id IS NULL) OR updated_at > ?)`,
    [partnerId, now - 31 * 86_400_000],
  );
  const list: Expectation[] = [];
  const reconciledBefore = new Set<string>();
  for (const row of rows) {
    const i = instructionOf(row);
    if (row.reconciled_file_id === null)
      list.push({
        id: i.id,
        endToEndId: i.endToEndId,
        direction: 'debit',
        amount: i.amount,
        currency: i.currency,
        valueDate: i.valueDate ?? '',
        counterparty: i.creditorName,
      });
    else reconciledBefore.add(`debit:${i.endToEndId}`);
    if (i.state !== 'returned') continue;
    if (row.return_reconciled_file_id === null)
      list.push({
        id: `${i.id}:return`,
        endToEndId: i.endToEndId,
        direction: 'credit',
        amount: i.amount,
        currency: i.currency,
        valueDate: isoDate(Number(row.updated_at)),
      });
    else reconciledBefore.add(`credit:${i.endToEndId}`);
  }
  return { list, reconciledBefore };
}

const feeCode = (code: string | undefined): boolean => code !== undefined && /(^|\/)(CHRG|FEES|COMM)(\/|$)/.test(code);

export function lineOf(id: string, e: CamtEntry): StatementLine {
  const ids = e.details.map((d) => d.endToEndId).filter((x): x is string => x !== undefined);
  return {
    id,
    direction: e.direction,
    amount: e.amount,
    currency: e.currency,
    valueDate: e.valueDate,
    endToEndIds: ids,
    counterparty: e.details[0]?.counterparty,
    fee: feeCode(e.bankCode),
  };
}

interface ImportState {
  fileId: string;
  statementDate: string;
  closing: bigint | undefined;
  lines: number;
  matched: number;
  matcher: Matcher | undefined;
  /** Matches found and not yet written (drained after every line). */
  readonly pending: Match[];
  /** Breaks of the camt.054 two step (a notified booking settled here, or never stated). */
  readonly notified: StoredBreak[];
  /** Audit events of this import's ledger postings. */
  readonly audit: AuditEvent[];
}

interface StepTwo {
  readonly ctx: ClearingContext;
  readonly tx: Tx;
  readonly ledgerTx: LedgerTransaction;
  readonly partner: Partner;
  readonly state: ImportState;
  readonly opener: BreakCaseOpener | undefined;
  readonly now: number;
}

/**
 * A line carrying a camt.054 booking the notification moved through in-transit: settled (in-transit →
 * settlement, once) and linked instead of matched; the money waits in suspense, so it opens a
 * `missing_on_our_side` break with no balance effect for someone to attribute it. False: not notified.
 */
async function settleAnnounced(s: StepTwo, e: CamtEntry, line: StatementLine): Promise<boolean> {
  if (line.fee) return false;
  const n = await notifiedFor(s.tx, s.partner.id, e);
  if (n === undefined) return false;
  await settleNotified(s.ctx, s.tx, s.ledgerTx, s.partner, n, line.id, s.state.audit, s.now);
  if (n.breakId !== undefined) await resolveNotifiedByStatement(s.tx, n.breakId, s.state.fileId, s.now);
  s.state.notified.push(await recordBreak(s.tx, {
    fileId: s.state.fileId, partnerId: s.partner.id, kind: 'missing_on_our_side', lineId: line.id,
    instructionId: undefined, endToEndId: n.endToEndId, amount: n.amount, currency: n.currency, balanceEffect: 0n,
    details: { notificationId: n.id, direction: n.direction, inSuspense: n.amount.toString() },
  }, s.opener, s.now));
  await s.tx.run("UPDATE statement_lines SET state = 'break' WHERE id = ?", [line.id]);
  return true;
}

/** The cut-off: notified bookings of this statement's day or before that it did not carry become breaks. */
async function breakUnstated(s: StepTwo): Promise<void> {
  for (const n of await unstatedBy(s.tx, s.partner.id, s.state.statementDate)) {
    const b = await recordBreak(s.tx, {
      fileId: s.state.fileId, partnerId: s.partner.id, kind: 'notified_not_stated', lineId: undefined,
      instructionId: undefined, endToEndId: n.endToEndId, amount: n.amount, currency: n.currency, balanceEffect: 0n,
      details: { notificationId: n.id, direction: n.direction, bookingDate: n.bookingDate },
    }, s.opener, s.now);
    await markNotStated(s.tx, n.id, b.id, s.now);
    s.state.notified.push(b);
  }
}

/** Marks what a match or a break consumed as reconciled by this file (a payment's break closes when booked). */
async function consume(tx: Tx, fileId: string, ids: readonly string[], now: number): Promise<void> {
  for (const id of ids) {
    if (id.endsWith(':return'))
      await tx.run('UPDATE clearing_instructions SET return_reconciled_file_id = ? WHERE id = ?', [
        fileId,
        id.slice(0, -7),
      ]);
    else {
      await tx.run('UPDATE clearing_instructions SET reconciled_file_id = ? WHERE id = ?', [fileId, id]);
      await resolveByStatement(tx, id, fileId, now);
    }
  }
}

/** Matches are written as the matcher finds them, so a large statement never holds them all in memory. */
async function writeMatches(tx: Tx, state: ImportState, matches: readonly Match[], now: number): Promise<void> {
  for (const m of matches) {
    await tx.run(
      'INSERT INTO reconciliation_matches (id, file_id, shape, rule, confidence, line_ids, ' +
        'instruction_ids, amount, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      [newId('rmt', now), state.fileId, m.shape, m.rule, m.confidence, m.lineIds.join(','),
        m.expectationIds.join(','), m.amount, now],
    );
    await consume(tx, state.fileId, m.expectationIds, now);
    state.matched += 1;
  }
}

async function writeBreaks(
  tx: Tx,
  ctx: ClearingContext,
  partner: Partner,
  state: ImportState,
  result: MatchResult,
  opener: BreakCaseOpener | undefined,
): Promise<StoredBreak[]> {
  const now = ctx.clock();
  const consumed = result.breaks
    .filter((b) => b.class !== 'missing_on_bank_side')
    .flatMap((b) => (b.expectationId === undefined ? [] : [b.expectationId]));
  await consume(tx, state.fileId, consumed, now);
  const stored: StoredBreak[] = [];
  for (const b of result.breaks) {
    const instructionId = b.expectationId?.replace(/:return$/, '');
    stored.push(
      await recordBreak(
        tx,
        {
          fileId: state.fileId,
          partnerId: partner.id,
          kind: b.class,
          lineId: b.lineIds[0],
          instructionId,
          endToEndId: b.endToEndId,
          amount: b.amount,
          currency: b.currency,
          balanceEffect: b.balanceEffect,
          details: { lines: b.lineIds.length },
        },
        opener,
        now,
      ),
    );
    for (const lineId of b.lineIds) await tx.run("UPDATE statement_lines SET state = 'break' WHERE id = ?", [lineId]);
  }
  return stored;
}

async function storeLine(tx: Tx, state: ImportState, partnerId: string, e: CamtEntry): Promise<StatementLine> {
  state.lines += 1;
  const id = `${state.fileId}:${state.lines}`;
  const line = lineOf(id, e);
  await tx.run(
    `INSERT INTO statement_lines (id, file_id, partner_id, line_no, direction, amount, currency, booking_date,
      value_date, end_to_end_id, counterparty, bank_code, state)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'matched')`,
    [
      id,
      state.fileId,
      partnerId,
      state.lines,
      e.direction,
      e.amount,
      e.currency,
      e.bookingDate,
      e.valueDate,
      line.endToEndIds.join(',') || null,
      null,
      e.bankCode ?? null,
    ],
  );
  return line;
}

/** The file registered (replays refused) and the matcher set up for the statement's date. */
async function beginStatement(
  s: StepTwo, expected: Expectations, options: ReconcileOptions, identity: string, date: string,
): Promise<void> {
  const { state } = s;
  if (state.fileId !== '') throw new ClearingRefused('bank_file_unsupported', 'one statement per file');
  state.fileId = await registerBankFile(s.tx, {
    partnerId: s.partner.id,
    kind: options.format === 'csv' ? 'csv' : 'camt.053',
    identity,
    sha256: `pending:${identity}`,
    now: s.now,
  });
  state.statementDate = date;
  state.matcher = new Matcher(expected.list, {
    ...defaultMatcherOptions,
    ...(options.dateToleranceDays === undefined ? {} : { dateToleranceDays: options.dateToleranceDays }),
    statementDate: date,
    reconciledBefore: expected.reconciledBefore,
    onMatch: (m) => void state.pending.push(m),
  });
}

export async function reconcileStatement(
  ctx: ClearingContext,
  partnerId: string,
  source: TextSource,
  options: ReconcileOptions = {},
): Promise<ReconcileOutcome> {
  const partner = await requirePartner(ctx.store, partnerId);
  const now = ctx.clock();
  return withinLedger(ctx.store, async (tx, ledgerTx) => {
    const expected = await expectationsOf(tx, partnerId, now);
    const state: ImportState = {
      fileId: '', statementDate: '', closing: undefined, lines: 0, matched: 0, matcher: undefined, pending: [],
      notified: [], audit: [],
    };
    const step: StepTwo = { ctx, tx, ledgerTx, partner, state, opener: options.caseOpener, now };
    const drain = async (): Promise<void> => {
      await writeMatches(tx, state, state.pending, now);
      state.pending.length = 0;
    };
    const begin = (identity: string, date: string) => beginStatement(step, expected, options, identity, date);
    const entry = async (e: CamtEntry): Promise<void> => {
      if (e.currency !== partner.currency)
        throw new ClearingRefused('bank_file_wrong_account', 'a line in another currency than the account');
      if (e.status !== 'BOOK') return;
      const line = await storeLine(tx, state, partnerId, e);
      if (await settleAnnounced(step, e, line)) return;
      state.matcher?.add(line);
      if (state.pending.length > 0) await drain();
    };
    const sha256 =
      options.format === 'csv'
        ? await streamCsvStatement(source, options.csv ?? { columns: {} }, {
            begin,
            entry,
            closing: (c) => void (state.closing = c),
          })
        : await streamCamt(source, {
            async header(h) {
              checkStatementAccount(partner, h, 'camt.053');
              const closing = h.balances.find((b) => b.type === 'CLBD');
              await begin(`${h.account}/${h.statementId}/${h.sequence}`, closing?.date ?? h.created.slice(0, 10));
            },
            entry: async (_h, e) => entry(e),
            async end(h) {
              state.closing = h.balances.find((b) => b.type === 'CLBD')?.signed;
            },
          });
    if (state.matcher === undefined)
      throw new ClearingRefused('bank_file_schema_invalid', 'a file without a statement');
    const result = state.matcher.finish();
    await drain();
    const breaks = await writeBreaks(tx, ctx, partner, state, result, options.caseOpener);
    await breakUnstated(step);
    breaks.push(...state.notified);
    return finishStatement(tx, partner, state, expected, result, breaks, sha256, options.caseOpener, now);
  });
}

/** The balance check, the file sealed with its hash, and the audit entry. */
/** What the bank should hold by our ledger: minus the settlement account's balance (read through the transaction). */
async function ledgerImpliedOf(tx: Tx, partner: Partner): Promise<bigint> {
  const row = await tx.get<{ credits_posted: unknown; debits_posted: unknown }>(
    'SELECT credits_posted, debits_posted FROM ledger_accounts WHERE id = ?',
    [partner.settlementAccountId],
  );
  const credits = BigInt((row?.credits_posted ?? 0) as bigint);
  const debits = BigInt((row?.debits_posted ?? 0) as bigint);
  return -balanceOf({ creditsPosted: credits, debitsPosted: debits });
}

function gapBreak(state: ImportState, partner: Partner, gap: bigint, ledgerImplied: bigint): NewBreak {
  return {
    fileId: state.fileId, partnerId: partner.id, kind: 'balance_mismatch', lineId: undefined, instructionId: undefined,
    endToEndId: undefined, amount: gap < 0n ? -gap : gap, currency: partner.currency, balanceEffect: gap,
    details: { closing: String(state.closing), ledgerImplied: ledgerImplied.toString() },
  };
}

/** The balance check, the file sealed with its hash, and the audit entry. */
async function finishStatement(
  tx: Tx, partner: Partner, state: ImportState, expected: Expectations, result: MatchResult, breaks: StoredBreak[],
  sha256: string, opener: BreakCaseOpener | undefined, now: number,
): Promise<ReconcileOutcome> {
  const ledgerImplied = await ledgerImpliedOf(tx, partner);
  const carriedEffect = expected.list
    .filter((e) => result.carried.includes(e.id))
    .reduce((s, e) => s + (e.direction === 'debit' ? e.amount : -e.amount), 0n);
  const explained = (await openBreaks(tx, partner.id)).reduce((s, b) => s + b.balanceEffect, 0n) + carriedEffect;
  const balanced = state.closing === undefined ? undefined : state.closing - ledgerImplied === explained;
  if (balanced === false && state.closing !== undefined) {
    const gap = gapBreak(state, partner, state.closing - ledgerImplied - explained, ledgerImplied);
    breaks.push(await recordBreak(tx, gap, opener, now));
  }
  await sealBankFile(tx, state.fileId, sha256, state.lines);
  await tx.run(
    'UPDATE bank_files SET statement_date = ?, closing_balance = ?, ledger_balance = ?, balanced = ? WHERE id = ?',
    [state.statementDate, state.closing ?? null, ledgerImplied, balanced === undefined ? null : Number(balanced),
      state.fileId],
  );
  const matched = state.matched;
  const [lineCount, balancedOrNull] = [state.lines, balanced ?? null];
  const details = { partnerId: partner.id, lines: lineCount, matched, breaks: breaks.length, balanced: balancedOrNull };
  await appendAudit(
    tx,
    [...state.audit, { actorType: 'system', actorId: 'system:reconciliation', action: 'reconciliation.statement.import',
      target: state.fileId, outcome: 'success', details }],
    now,
  );
  const { fileId, statementDate, lines, closing } = state;
  const carried = result.carried.length;
  return { fileId, statementDate, lines, matched, breaks, carried, closing, ledgerImplied, explained, balanced };
}

export { isReturn };
