// The daily large-value transaction report (大额交易报告): every settled movement of the day that, alone
// or with the same customer's other movements that day in the same direction and currency, reaches
// the PBOC threshold for the customer's kind. Written as CSV and JSON files with one row per reported
// movement; names are masked (the full identity stays in the sealed customer record), and the files
// are recorded in the store so each day is produced once across all processes.
/* eslint-disable security/detect-non-literal-fs-filename -- the report directory is the operator's configuration */
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { appendAudit } from '../audit/index.ts';
import { AnfuError } from '../errors.ts';
import { findCurrency, formatMajor } from '../money/index.ts';
import type { Store } from '../store/index.ts';
import { cstTime, reportDay, type ReportDay } from './report-day.ts';
import { settledMovements, type PartyType, type SettledMovement } from './settled-money.ts';
import { ruleArticle, type LargeValueRule, type ThresholdTable } from './thresholds.ts';

export interface LargeValueRow {
  readonly reportDate: string;
  readonly rule: LargeValueRule;
  readonly article: string;
  readonly basis: 'single' | 'cumulative';
  readonly customerId: string;
  readonly customerType: PartyType;
  readonly customerName: string;
  readonly direction: 'in' | 'out';
  readonly transactionId: string;
  readonly transactionKind: SettledMovement['kind'];
  readonly transactionTime: string;
  readonly amount: string;
  readonly currency: string;
  readonly dayTotal: string;
  readonly counterpartyId: string;
  readonly counterpartyType: PartyType;
  readonly counterpartyName: string;
  readonly crossBorder: boolean;
}

export const largeValueColumns: ReadonlyArray<keyof LargeValueRow> = [
  'reportDate',
  'rule',
  'article',
  'basis',
  'customerId',
  'customerType',
  'customerName',
  'direction',
  'transactionId',
  'transactionKind',
  'transactionTime',
  'amount',
  'currency',
  'dayTotal',
  'counterpartyId',
  'counterpartyType',
  'counterpartyName',
  'crossBorder',
];

interface Side {
  readonly party: string;
  readonly partyType: PartyType;
  readonly direction: 'in' | 'out';
  readonly counterparty: string;
  readonly counterpartyType: PartyType;
  readonly movement: SettledMovement;
}

function sidesOf(m: SettledMovement): Side[] {
  const sides: Side[] = [];
  if (m.payerType !== 'bank_card') {
    sides.push({
      party: m.payerId,
      partyType: m.payerType,
      direction: 'out',
      counterparty: m.payeeId,
      counterpartyType: m.payeeType,
      movement: m,
    });
  }
  if (m.payeeType !== 'bank_card') {
    sides.push({
      party: m.payeeId,
      partyType: m.payeeType,
      direction: 'in',
      counterparty: m.payerId,
      counterpartyType: m.payerType,
      movement: m,
    });
  }
  return sides;
}

function ruleOf(side: Side): LargeValueRule {
  if (side.partyType === 'non_natural_person') return 'non_natural_transfer';
  return side.movement.crossBorder ? 'natural_cross_border_transfer' : 'natural_domestic_transfer';
}

export type NameLookup = (partyId: string) => Promise<string | undefined>;

/** Pure: the reported sides of the day's movements, with the rule, the basis and the day's total. */
export function largeValueSides(movements: readonly SettledMovement[], thresholds: ThresholdTable) {
  const groups = new Map<string, { rule: LargeValueRule; sides: Side[]; total: bigint }>();
  for (const m of movements) {
    for (const side of sidesOf(m)) {
      const rule = ruleOf(side);
      const key = `${side.party}\u0000${side.direction}\u0000${m.currency}\u0000${rule}`;
      let group = groups.get(key);
      if (group === undefined) groups.set(key, (group = { rule, sides: [], total: 0n }));
      group.sides.push(side);
      group.total += m.amount;
    }
  }
  const reported: Array<{ side: Side; rule: LargeValueRule; basis: 'single' | 'cumulative'; total: bigint }> = [];
  for (const group of groups.values()) {
    const threshold = thresholds[group.rule][group.sides[0]?.movement.currency ?? ''];
    if (threshold === undefined || group.total < threshold) continue;
    for (const side of group.sides) {
      reported.push({
        side,
        rule: group.rule,
        basis: side.movement.amount >= threshold ? 'single' : 'cumulative',
        total: group.total,
      });
    }
  }
  return reported;
}

async function rowsOf(
  day: ReportDay,
  movements: readonly SettledMovement[],
  thresholds: ThresholdTable,
  names: NameLookup,
) {
  const rows: LargeValueRow[] = [];
  const nameOf = async (id: string, type: PartyType) => (type === 'bank_card' ? '' : ((await names(id)) ?? ''));
  for (const { side, rule, basis, total } of largeValueSides(movements, thresholds)) {
    const m = side.movement;
    rows.push({
      reportDate: day.date,
      rule,
      article: ruleArticle[rule],
      basis,
      customerId: side.party,
      customerType: side.partyType,
      customerName: await nameOf(side.party, side.partyType),
      direction: side.direction,
      transactionId: m.id,
      transactionKind: m.kind,
      transactionTime: cstTime(m.at),
      amount: major(m.amount, m.currency),
      currency: m.currency,
      dayTotal: major(total, m.currency),
      counterpartyId: side.counterparty,
      counterpartyType: side.counterpartyType,
      counterpartyName: await nameOf(side.counterparty, side.counterpartyType),
      crossBorder: m.crossBorder,
    });
  }
  return rows.sort((a, b) => (a.customerId + a.transactionTime < b.customerId + b.transactionTime ? -1 : 1));
}

/** Major units as a decimal string ("500000.00"); minor units for a currency the platform does not know. */
function major(minor: bigint, code: string): string {
  const currency = findCurrency(code);
  return currency === undefined ? minor.toString() : formatMajor(minor, currency);
}

function csvCell(value: unknown): string {
  const text = String(value);
  return /[",\n\r]/u.test(text) ? `"${text.replace(/"/gu, '""')}"` : text;
}

export function largeValueCsv(rows: readonly LargeValueRow[]): string {
  const lines = [largeValueColumns.join(',')];
  for (const row of rows) lines.push(largeValueColumns.map((c) => csvCell(row[c])).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

export interface LargeValueReport {
  readonly date: string;
  readonly rows: number;
  readonly csvPath: string;
  readonly jsonPath: string;
  readonly sha256: string;
  /** False when the day had been produced already (the recorded files are returned). */
  readonly produced: boolean;
}

export interface ReportOptions {
  readonly store: Store;
  readonly directory: string;
  readonly thresholds: ThresholdTable;
  readonly names: NameLookup;
  readonly producedBy: string;
  readonly now: number;
  /** Produce again even when the day was produced (a correction). */
  readonly force?: boolean;
}

/** Produces the day's files (once per day unless forced) and records them; audited. */
export async function produceLargeValueReport(options: ReportOptions, date: string): Promise<LargeValueReport> {
  const day = reportDay(date);
  if (day === undefined || day.from > options.now) throw new AnfuError('aml_report_date_invalid');
  const existing = await options.store.get<{ row_count: bigint; csv_path: string; json_path: string; sha256: string }>(
    'SELECT row_count, csv_path, json_path, sha256 FROM aml_reports WHERE report_date = ?',
    [date],
  );
  if (existing !== undefined && options.force !== true) {
    return {
      date,
      rows: Number(existing.row_count),
      csvPath: existing.csv_path,
      jsonPath: existing.json_path,
      sha256: existing.sha256,
      produced: false,
    };
  }
  const rows = await rowsOf(
    day,
    await settledMovements(options.store, day.from, day.to),
    options.thresholds,
    options.names,
  );
  const csv = largeValueCsv(rows);
  const document = { reportDate: date, kind: 'large_value', producedAt: cstTime(options.now), rows };
  const json = `${JSON.stringify(document, null, 2)}\n`;
  await mkdir(options.directory, { recursive: true, mode: 0o700 });
  const csvPath = join(options.directory, `large-value-${date}.csv`);
  const jsonPath = join(options.directory, `large-value-${date}.json`);
  await writeFile(csvPath, csv, { mode: 0o600 });
  await writeFile(jsonPath, json, { mode: 0o600 });
  const sha256 = createHash('sha256').update(csv).digest('hex');
  await options.store.transaction(async (tx) => {
    await tx.run('DELETE FROM aml_reports WHERE report_date = ?', [date]);
    await tx.run(
      `INSERT INTO aml_reports (report_date, row_count, sha256, csv_path, json_path, produced_by, produced_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
      [date, rows.length, sha256, csvPath, jsonPath, options.producedBy, options.now],
    );
    await appendAudit(
      tx,
      [
        {
          actorType: options.producedBy.startsWith('system:') ? 'system' : 'operator',
          actorId: options.producedBy,
          action: 'aml.report.large_value',
          target: date,
          outcome: 'success',
          details: { rows: rows.length, sha256 },
        },
      ],
      options.now,
    );
  });
  return { date, rows: rows.length, csvPath, jsonPath, sha256, produced: true };
}
