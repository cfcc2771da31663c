// A report day is a calendar day in China Standard Time (UTC+8, no daylight saving), as PBOC counts
// "当日" (the day's cumulative amount).
const offsetMs = 8 * 3600 * 1000;
const dayMs = 24 * 3600 * 1000;

export interface ReportDay {
  readonly date: string;
  readonly from: number;
  readonly to: number;
}

/** The day as YYYY-MM-DD and its bounds in epoch ms; undefined for a malformed or impossible date. */
export function reportDay(date: string): ReportDay | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/u.test(date)) return undefined;
  const utc = Date.parse(`${date}T00:00:00Z`);
  if (Number.isNaN(utc) || new Date(utc).toISOString().slice(0, 10) !== date) return undefined;
  return { date, from: utc - offsetMs, to: utc - offsetMs + dayMs };
}

export function dayOf(at: number): string {
  return new Date(at + offsetMs).toISOString().slice(0, 10);
}

export function previousDay(at: number): string {
  return dayOf(at - dayMs);
}

export function cstTime(at: number): string {
  return `${new Date(at + offsetMs).toISOString().slice(0, 19)}+08:00`;
}
