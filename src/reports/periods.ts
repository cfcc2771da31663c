// Report periods: UTC days, or ISO weeks starting Monday 00:00 UTC, covering [from, to).
export type Granularity = 'day' | 'week';

export interface Period {
  readonly index: number;
  readonly start: number;
  readonly end: number;
  /** ISO date of the start, e.g. 2026-12-02. */
  readonly label: string;
}

export const dayMs = 24 * 3600_000;
/** 1970-01-01 was a Thursday: Monday 1970-01-05 is the origin of whole weeks. */
const firstMonday = 4 * dayMs;

export function periodMsOf(granularity: Granularity): number {
  return granularity === 'day' ? dayMs : 7 * dayMs;
}

export function originOf(from: number, granularity: Granularity): number {
  if (granularity === 'day') return Math.floor(from / dayMs) * dayMs;
  return Math.floor((from - firstMonday) / (7 * dayMs)) * 7 * dayMs + firstMonday;
}

export function periodsOf(from: number, to: number, granularity: Granularity): Period[] {
  const size = periodMsOf(granularity);
  const periods: Period[] = [];
  for (let start = originOf(from, granularity), index = 0; start < to; start += size, index += 1) {
    periods.push({ index, start, end: start + size, label: new Date(start).toISOString().slice(0, 10) });
  }
  return periods;
}
