// The operational report (R9.4): the chosen sections over days or weeks of [from, to), as one JSON
// document or a CSV in long form (one row per period, section, dimension and metric).
import type { Store } from '../store/index.ts';
import { dayMs, originOf, periodMsOf, periodsOf, type Granularity } from './periods.ts';
import { defaultReportSections, type ReportSection, type SectionResult } from './sections.ts';

export const reportSpanDaysMax = 400;

export interface ReportQuery {
  readonly from: number;
  readonly to: number;
  readonly granularity: Granularity;
}

export interface OperationsReport {
  readonly from: string;
  readonly to: string;
  readonly granularity: Granularity;
  readonly generatedAt: string;
  readonly periods: readonly string[];
  readonly sections: Readonly<Record<string, SectionResult>>;
}

/** A problem with the range, or null: from before to, both real times, within the maximum span. */
export function reportRangeProblem(query: ReportQuery): string | null {
  if (!Number.isFinite(query.from) || !Number.isFinite(query.to)) return 'from and to must be ISO dates or times';
  if (query.from >= query.to) return 'from must be before to';
  if (query.to - query.from > reportSpanDaysMax * dayMs) return `the range is longer than ${reportSpanDaysMax} days`;
  return null;
}

export async function operationsReport(
  deps: { store: Store; clock: () => number; sections?: readonly ReportSection[] },
  query: ReportQuery,
): Promise<OperationsReport> {
  const problem = reportRangeProblem(query);
  if (problem !== null) throw new RangeError(problem);
  const periods = periodsOf(query.from, query.to, query.granularity);
  const input = {
    store: deps.store,
    periods,
    origin: originOf(query.from, query.granularity),
    periodMs: periodMsOf(query.granularity),
    from: query.from,
    to: query.to,
    now: deps.clock(),
  };
  const sections: Record<string, SectionResult> = {};
  for (const section of deps.sections ?? defaultReportSections) sections[section.name] = await section.collect(input);
  return {
    from: new Date(query.from).toISOString(),
    to: new Date(query.to).toISOString(),
    granularity: query.granularity,
    generatedAt: new Date(input.now).toISOString(),
    periods: periods.map((p) => p.label),
    sections,
  };
}

function csvCell(value: string | number | null): string {
  if (value === null) return '';
  const text = String(value);
  // Quote when needed; a leading =, +, - or @ is prefixed so a spreadsheet never runs it as a formula.
  const safe = /^[=+\-@\t\r]/.test(text) && !/^-?[0-9.]+$/.test(text) ? `'${text}` : text;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function reportCsv(report: OperationsReport): string {
  const lines = ['period,section,dimension,metric,value'];
  for (const [name, section] of Object.entries(report.sections)) {
    for (const row of section.rows) {
      lines.push([row.period, name, row.dimension, row.metric, row.value].map(csvCell).join(','));
    }
  }
  return `${lines.join('\n')}\n`;
}
