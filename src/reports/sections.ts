// The sections of the operational report (R9.4), one function each. A section returns rows in long
// form (period, dimension, metric, value), which JSON and CSV both render. Sections that other
// capabilities own (reconciliation breaks, complaints and SLA compliance) are declared here as
// extension points: they say "not recorded" until their capability supplies its own function.
import { listIncidents } from '../access/index.ts';
import { paymentStatistics } from '../payments/index.ts';
import type { Store } from '../store/index.ts';
import { latencyCells, percentileMs } from './latency.ts';
import type { Period } from './periods.ts';

export interface ReportRow {
  readonly period: string;
  readonly dimension: string;
  readonly metric: string;
  /** Counts and milliseconds as numbers; money as a decimal string of minor units; rates as 0..1. */
  readonly value: number | string | null;
}

export interface SectionResult {
  readonly available: boolean;
  readonly note: string;
  readonly rows: readonly ReportRow[];
}

export interface ReportInput {
  readonly store: Store;
  readonly periods: readonly Period[];
  readonly origin: number;
  readonly periodMs: number;
  readonly from: number;
  readonly to: number;
  readonly now: number;
}

export interface ReportSection {
  readonly name: string;
  collect(input: ReportInput): Promise<SectionResult>;
}

const labelOf = (input: ReportInput, index: number) => input.periods[index]?.label ?? `#${index}`;
const rate = (part: number, whole: number) => (whole === 0 ? null : Math.round((part / whole) * 10_000) / 10_000);

async function statistics(input: ReportInput) {
  return paymentStatistics(input.store, {
    origin: input.origin,
    periodMs: input.periodMs,
    from: input.from,
    to: input.to,
  });
}

/** Payments and fundings created per period: count and amount per kind and currency. */
export const volumesSection: ReportSection = {
  name: 'volumes',
  async collect(input) {
    const totals = new Map<string, { period: number; dimension: string; count: number; amount: bigint }>();
    for (const row of await statistics(input)) {
      const key = `${row.period}|${row.kind}.${row.currency}`;
      const t = totals.get(key) ?? {
        period: row.period,
        dimension: `${row.kind}.${row.currency}`,
        count: 0,
        amount: 0n,
      };
      t.count += row.count;
      t.amount += row.amount;
      totals.set(key, t);
    }
    const rows = [...totals.values()].flatMap((t) => [
      { period: labelOf(input, t.period), dimension: t.dimension, metric: 'count', value: t.count },
      { period: labelOf(input, t.period), dimension: t.dimension, metric: 'amount_minor', value: t.amount.toString() },
    ]);
    return { available: true, note: 'payments and fundings by creation time', rows };
  },
};

/** Success and decline rates per period and kind, over payments that reached a final state. */
export const outcomesSection: ReportSection = {
  name: 'outcomes',
  async collect(input) {
    const byKind = new Map<string, { period: number; kind: string; succeeded: number; failed: number; open: number }>();
    for (const row of await statistics(input)) {
      const key = `${row.period}|${row.kind}`;
      const t = byKind.get(key) ?? { period: row.period, kind: row.kind, succeeded: 0, failed: 0, open: 0 };
      if (row.state === 'succeeded') t.succeeded += row.count;
      else if (row.state === 'failed' || row.state === 'reversed') t.failed += row.count;
      else t.open += row.count;
      byKind.set(key, t);
    }
    const rows = [...byKind.values()].flatMap((t) => {
      const period = labelOf(input, t.period);
      const final = t.succeeded + t.failed;
      return [
        { period, dimension: t.kind, metric: 'succeeded', value: t.succeeded },
        { period, dimension: t.kind, metric: 'declined_or_failed', value: t.failed },
        { period, dimension: t.kind, metric: 'in_progress', value: t.open },
        { period, dimension: t.kind, metric: 'success_rate', value: rate(t.succeeded, final) },
        { period, dimension: t.kind, metric: 'decline_rate', value: rate(t.failed, final) },
      ];
    });
    return { available: true, note: 'rates over payments in a final state (succeeded, failed, reversed)', rows };
  },
};

/** Request latency percentiles per period, for all requests and per route, from the recorded buckets. */
export const latencySection: ReportSection = {
  name: 'latency',
  async collect(input) {
    const groups = new Map<string, Map<number, number>>();
    const add = (key: string, bucket: number, count: number) => {
      const counts = groups.get(key) ?? new Map<number, number>();
      counts.set(bucket, (counts.get(bucket) ?? 0) + count);
      groups.set(key, counts);
    };
    for (const cell of await latencyCells(input.store, input.from, input.to)) {
      const period = Math.floor((cell.hourStart - input.origin) / input.periodMs);
      if (period < 0 || period >= input.periods.length) continue;
      add(`${period}\u0000all`, cell.bucket, cell.count);
      add(`${period}\u0000${cell.route}`, cell.bucket, cell.count);
    }
    const rows = [...groups.entries()].flatMap(([key, counts]) => {
      const [index, dimension] = key.split('\u0000') as [string, string];
      const period = labelOf(input, Number(index));
      const count = [...counts.values()].reduce((a, b) => a + b, 0);
      return [
        { period, dimension, metric: 'requests', value: count },
        ...[50, 95, 99].map((p) => ({ period, dimension, metric: `p${p}_ms`, value: percentileMs(counts, p) })),
      ];
    });
    return {
      available: true,
      note: 'server-side request time, hourly buckets of ±10 %; percentiles are bucket upper bounds',
      rows,
    };
  },
};

/** Risk outcomes per period: payments the risk assessment flagged (challenge or deny) and denied. */
export const riskSection: ReportSection = {
  name: 'risk',
  async collect(input) {
    const per = new Map<number, { total: number; flagged: number; denied: number }>();
    for (const row of await statistics(input)) {
      const t = per.get(row.period) ?? { total: 0, flagged: 0, denied: 0 };
      t.total += row.count;
      t.flagged += row.riskFlagged;
      t.denied += row.riskDenied;
      per.set(row.period, t);
    }
    const rows = [...per.entries()].flatMap(([index, t]) => {
      const period = labelOf(input, index);
      return [
        { period, dimension: 'payments', metric: 'risk_flagged', value: t.flagged },
        { period, dimension: 'payments', metric: 'risk_denied', value: t.denied },
        { period, dimension: 'payments', metric: 'risk_flag_rate', value: rate(t.flagged, t.total) },
        { period, dimension: 'payments', metric: 'risk_deny_rate', value: rate(t.denied, t.total) },
      ];
    });
    return { available: true, note: 'from the payment risk decision recorded with each payment', rows };
  },
};

/** Incidents opened and closed per period, by severity, and how many were open at each period's end. */
export const incidentsSection: ReportSection = {
  name: 'incidents',
  async collect(input) {
    const incidents = [
      ...(await listIncidents(input.store, 'open', 1000)),
      ...(await listIncidents(input.store, 'closed', 1000)),
    ];
    const rows = input.periods.flatMap((p) => {
      const opened = incidents.filter((i) => i.openedAt >= p.start && i.openedAt < p.end);
      const closed = incidents.filter((i) => i.closedAt !== null && i.closedAt >= p.start && i.closedAt < p.end);
      const openAtEnd = incidents.filter((i) => i.openedAt < p.end && (i.closedAt === null || i.closedAt >= p.end));
      const bySeverity = ['critical', 'high', 'medium', 'low'].map((s) => ({
        period: p.label,
        dimension: s,
        metric: 'opened',
        value: opened.filter((i) => i.severity === s).length,
      }));
      return [
        ...bySeverity,
        { period: p.label, dimension: 'all', metric: 'closed', value: closed.length },
        { period: p.label, dimension: 'all', metric: 'open_at_end', value: openAtEnd.length },
      ];
    });
    return { available: true, note: 'incident records (/v1/incidents); the newest 1,000 open and closed', rows };
  },
};

/** An extension point: a section whose data another capability will record. */
export function pendingSection(name: string, owner: string): ReportSection {
  return {
    name,
    collect: async () => ({ available: false, note: `not recorded yet: ${owner} supplies this section`, rows: [] }),
  };
}

export const defaultReportSections: readonly ReportSection[] = [
  volumesSection,
  outcomesSection,
  latencySection,
  riskSection,
  incidentsSection,
  pendingSection('reconciliation', 'reconciliation (breaks per statement and their age)'),
  pendingSection('complaints', 'complaints (received, resolved, SLA compliance)'),
];

/** The default sections with any capability's own version replacing the one of the same name. */
export function withSections(extra: readonly ReportSection[]): ReportSection[] {
  const byName = new Map(defaultReportSections.map((s) => [s.name, s]));
  for (const section of extra) byName.set(section.name, section);
  return [...byName.values()];
}
