// The operational report's sections other capabilities own, plugged in here (issue 14 item 4):
// reconciliation breaks (src/reconciliation) and complaints (src/support's complaint report), each
// through its capability's door, so the report capability depends on neither.
import { breakSummary } from '../reconciliation/index.ts';
import { withSections, type ReportRow, type ReportSection } from '../reports/index.ts';
import { complaintReport } from '../support/index.ts';

/** Breaks opened in each period by class, open vs resolved (count and amount), and the open ones by age now. */
export const reconciliationSection: ReportSection = {
  name: 'reconciliation',
  async collect(input) {
    const rows: ReportRow[] = [];
    for (const p of input.periods) {
      const summary = await breakSummary(input.store, p.start, p.end, input.now);
      for (const [kind, c] of Object.entries(summary.byClass)) {
        rows.push(
          { period: p.label, dimension: kind, metric: 'open', value: c.open },
          { period: p.label, dimension: kind, metric: 'open_amount_minor', value: c.openAmount },
          { period: p.label, dimension: kind, metric: 'resolved', value: c.resolved },
          { period: p.label, dimension: kind, metric: 'resolved_amount_minor', value: c.resolvedAmount },
        );
      }
      for (const [age, n] of Object.entries(summary.openByAge))
        rows.push({ period: p.label, dimension: 'open_by_age', metric: age, value: n });
      rows.push({ period: p.label, dimension: 'all', metric: 'open_past_deadline', value: summary.openPastDeadline });
    }
    return { available: true, note: 'breaks opened in each period, by class; ages and deadlines as of now', rows };
  },
};

/** Support's complaint report per period: counts by category, SLA compliance, satisfaction, money paid. */
export const complaintsSection: ReportSection = {
  name: 'complaints',
  async collect(input) {
    const rows: ReportRow[] = [];
    for (const p of input.periods) {
      const r = await complaintReport({ store: input.store }, p.start, p.end);
      const period = p.label;
      for (const [category, n] of Object.entries(r.byCategory))
        rows.push({ period, dimension: category, metric: 'received', value: n });
      for (const [kind, k] of Object.entries(r.byKind)) {
        rows.push(
          { period, dimension: kind, metric: 'decided', value: k.decided },
          { period, dimension: kind, metric: 'sla_breached', value: k.breached },
        );
      }
      rows.push(
        { period, dimension: 'all', metric: 'sla_compliance', value: r.slaCompliance },
        { period, dimension: 'all', metric: 'satisfaction_average', value: r.satisfaction.average },
      );
      for (const paid of r.paid) {
        rows.push(
          { period, dimension: `${paid.kind}.${paid.currency}`, metric: 'paid_count', value: paid.count },
          { period, dimension: `${paid.kind}.${paid.currency}`, metric: 'paid_amount_minor', value: paid.amountMinor },
        );
      }
    }
    return { available: true, note: 'support cases opened in each period (src/support complaint report)', rows };
  },
};

/** Every section of the operational report, with the capability-owned ones plugged in. */
export const operationsReportSections: readonly ReportSection[] = withSections([
  reconciliationSection,
  complaintsSection,
]);
