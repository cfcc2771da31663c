// The complaint report for the operational reports: counts by category, SLA compliance (decided or
// open cases whose clocks never ran out, over all), satisfaction, and money paid by decisions
// (compensation, dispute refunds) per currency, over cases opened in a period. JSON, no personal data.
import { toNumber } from '../store/index.ts';
import type { SupportContext } from './context.ts';
import { reportRows } from './store.ts';

export interface ComplaintReport {
  readonly from: string;
  readonly to: string;
  readonly byCategory: Record<string, number>;
  readonly byKind: Record<string, { total: number; decided: number; breached: number }>;
  readonly slaCompliance: number | null;
  readonly satisfaction: { readonly rated: number; readonly average: number | null };
  readonly paid: readonly { kind: string; currency: string; amountMinor: string; count: number }[];
}

export async function complaintReport(
  ctx: Pick<SupportContext, 'store'>,
  from: number,
  to: number,
): Promise<ComplaintReport> {
  const rows = await reportRows(ctx.store, from, to);
  const byCategory = Object.fromEntries(rows.categories.map((r) => [String(r.category), toNumber(r.n)]));
  const byKind: Record<string, { total: number; decided: number; breached: number }> = {};
  for (const r of rows.sla) {
    const entry = (byKind[String(r.kind)] ??= { total: 0, decided: 0, breached: 0 });
    entry.total += 1;
    if (r.status === 'decided' || r.status === 'closed') entry.decided += 1;
    if (r.breached !== null && r.breached !== '') entry.breached += 1;
  }
  const total = rows.sla.length;
  const breached = Object.values(byKind).reduce((sum, k) => sum + k.breached, 0);
  const rated = toNumber(rows.satisfaction?.n ?? 0);
  const sum =
    rows.satisfaction?.total === null || rows.satisfaction?.total === undefined ? 0 : toNumber(rows.satisfaction.total);
  return {
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    byCategory,
    byKind,
    slaCompliance: total === 0 ? null : (total - breached) / total,
    satisfaction: { rated, average: rated === 0 ? null : sum / rated },
    paid: rows.payouts.map((r) => ({
      kind: String(r.kind),
      currency: String(r.currency),
      amountMinor: String(r.total),
      count: toNumber(r.n),
    })),
  };
}
