// Counts and sums of payments and fundings per period, kind, currency and state, with how many risk
// flagged or denied: what the operational reports (R9.4, src/reports) read. Read-only.
import { toBigInt, toNumber, type Queryable } from '../../store/index.ts';

export interface PaymentPeriodRow {
  /** Index of the period from `origin` (0 = the first). */
  readonly period: number;
  readonly kind: string;
  readonly currency: string;
  readonly state: string;
  readonly count: number;
  readonly amount: bigint;
  /** Payments whose risk assessment gave reasons (challenged or denied). */
  readonly riskFlagged: number;
  /** Payments refused by the risk decision. */
  readonly riskDenied: number;
}

export interface PeriodQuery {
  readonly origin: number;
  readonly periodMs: number;
  readonly from: number;
  readonly to: number;
}

const grouped = (table: string, flagged: string, denied: string) => `
  SELECT (created_at - ?) / ? AS period, kind, currency, state, COUNT(*) AS n, SUM(amount) AS amount,
         SUM(${flagged}) AS flagged, SUM(${denied}) AS denied
  FROM ${table} WHERE created_at >= ? AND created_at < ? GROUP BY 1, 2, 3, 4`;

export async function paymentStatistics(q: Queryable, query: PeriodQuery): Promise<PaymentPeriodRow[]> {
  // Integers bound as bigint, so SQLite divides as integers (a JS number binds as REAL).
  const params = [query.origin, query.periodMs, query.from, query.to].map((n) => BigInt(Math.trunc(n)));
  const payments = grouped(
    'payments',
    "CASE WHEN risk_reasons <> '[]' THEN 1 ELSE 0 END",
    "CASE WHEN failure_code = 'payment_denied' THEN 1 ELSE 0 END",
  );
  const fundings = grouped('funding_payments', '0', "CASE WHEN failure_code = 'payment_denied' THEN 1 ELSE 0 END");
  const rows = await q.all(`${payments} UNION ALL ${fundings} ORDER BY 1, 2, 3, 4`, [...params, ...params]);
  return rows.map((row) => ({
    period: toNumber(row.period),
    kind: String(row.kind),
    currency: String(row.currency),
    state: String(row.state),
    count: toNumber(row.n),
    amount: toBigInt(row.amount),
    riskFlagged: toNumber(row.flagged),
    riskDenied: toNumber(row.denied),
  }));
}
