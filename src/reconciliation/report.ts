// The daily reconciliation report per partner: for the statements of a day, lines matched and in
// break (counts and amounts), breaks by class, the balance check of each statement, and every break
// still open by age (under a day, 1–3 days, 3–7 days, older) and by how far past its deadline.
import type { Queryable } from '../store/index.ts';

export interface DailyReport {
  readonly partnerId: string;
  readonly date: string;
  readonly statements: {
    fileId: string;
    lines: number;
    closing: string | null;
    ledgerImplied: string | null;
    balanced: boolean | null;
  }[];
  readonly matched: { count: number; amount: string };
  readonly unmatched: { count: number; amount: string };
  readonly breaksByClass: Record<string, { count: number; amount: string }>;
  readonly openByAge: Record<'under_1d' | '1_3d' | '3_7d' | 'over_7d', number>;
  readonly openPastDeadline: number;
}

const day = 86_400_000;

export async function dailyReport(q: Queryable, partnerId: string, date: string, now: number): Promise<DailyReport> {
  const files = await q.all(
    "SELECT id, entries, closing_balance, ledger_balance, balanced FROM bank_files WHERE partner_id = ? " +
      "AND kind IN ('camt.053', 'csv') AND statement_date = ? ORDER BY imported_at",
    [partnerId, date],
  );
  const ids = files.map((f) => f.id as string);
  const marks = ids.map(() => '?').join(', ') || "''";
  const lines = await q.all(
    `SELECT state, COUNT(*) AS n, COALESCE(SUM(amount), 0) AS total FROM statement_lines WHERE file_id IN
      (${marks}) GROUP BY state`,
    ids,
  );
  const of = (state: string) => lines.find((l) => l.state === state);
  const byClass = await q.all(
    `SELECT class, COUNT(*) AS n, COALESCE(SUM(amount), 0) AS total FROM reconciliation_breaks WHERE file_id IN
      (${marks}) GROUP BY class ORDER BY class`,
    ids,
  );
  const open = await q.all(
    "SELECT opened_at, due_at FROM reconciliation_breaks WHERE partner_id = ? AND state = 'open'",
    [partnerId],
  );
  const openByAge = { under_1d: 0, '1_3d': 0, '3_7d': 0, over_7d: 0 };
  let openPastDeadline = 0;
  for (const b of open) {
    const age = now - Number(b.opened_at);
    if (age < day) openByAge.under_1d += 1;
    else if (age < 3 * day) openByAge['1_3d'] += 1;
    else if (age < 7 * day) openByAge['3_7d'] += 1;
    else openByAge.over_7d += 1;
    if (now > Number(b.due_at)) openPastDeadline += 1;
  }
  return {
    partnerId,
    date,
    statements: files.map((f) => ({
      fileId: f.id as string,
      lines: Number(f.entries),
      closing: f.closing_balance === null ? null : String(f.closing_balance),
      ledgerImplied: f.ledger_balance === null ? null : String(f.ledger_balance),
      balanced: f.balanced === null ? null : Number(f.balanced) === 1,
    })),
    matched: { count: Number(of('matched')?.n ?? 0), amount: String(of('matched')?.total ?? 0) },
    unmatched: { count: Number(of('break')?.n ?? 0), amount: String(of('break')?.total ?? 0) },
    breaksByClass: Object.fromEntries(
      byClass.map((b) => [b.class as string, { count: Number(b.n), amount: String(b.total) }]),
    ),
    openByAge,
    openPastDeadline,
  };
}

/** Breaks opened in [from, to) by class and state (open, or approved/resolved), for the operational report. */
export interface BreakSummary {
  readonly byClass: Record<string, { open: number; resolved: number; openAmount: string; resolvedAmount: string }>;
  /** Breaks of the range still open at `now`, by age. */
  readonly openByAge: Record<'under_1d' | '1_3d' | '3_7d' | 'over_7d', number>;
  readonly openPastDeadline: number;
}

export async function breakSummary(q: Queryable, from: number, to: number, now: number): Promise<BreakSummary> {
  const rows = await q.all(
    'SELECT class, state, amount, opened_at, due_at FROM reconciliation_breaks WHERE opened_at >= ? AND opened_at < ?',
    [from, to],
  );
  const byClass: Record<string, { open: number; resolved: number; openAmount: string; resolvedAmount: string }> = {};
  const openByAge = { under_1d: 0, '1_3d': 0, '3_7d': 0, over_7d: 0 };
  let openPastDeadline = 0;
  for (const r of rows) {
    const entry = (byClass[String(r.class)] ??= { open: 0, resolved: 0, openAmount: '0', resolvedAmount: '0' });
    const amount = BigInt(r.amount as bigint);
    const magnitude = amount < 0n ? -amount : amount;
    if (r.state === 'open') {
      entry.open += 1;
      entry.openAmount = (BigInt(entry.openAmount) + magnitude).toString();
      const age = now - Number(r.opened_at);
      if (age < day) openByAge.under_1d += 1;
      else if (age < 3 * day) openByAge['1_3d'] += 1;
      else if (age < 7 * day) openByAge['3_7d'] += 1;
      else openByAge.over_7d += 1;
      if (now > Number(r.due_at)) openPastDeadline += 1;
    } else {
      entry.resolved += 1;
      entry.resolvedAmount = (BigInt(entry.resolvedAmount) + magnitude).toString();
    }
  }
  return { byClass, openByAge, openPastDeadline };
}
