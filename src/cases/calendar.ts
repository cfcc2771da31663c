// The business calendar SLA clocks count in: working days and hours in a time zone, holidays, and the
// weekend days that are worked instead (China moves working days around public holidays). Pure: the
// instants in, business milliseconds out. Default: Mon–Fri 09:00–18:00 Asia/Shanghai.

export interface BusinessCalendar {
  /** An IANA zone, e.g. 'Asia/Shanghai'. */
  readonly timeZone: string;
  /** ISO weekdays that are worked: 1 = Monday … 7 = Sunday. */
  readonly workdays: readonly number[];
  /** 'HH:MM' local opening and closing time. */
  readonly opens: string;
  readonly closes: string;
  /** 'YYYY-MM-DD' local dates that are not worked. */
  readonly holidays: readonly string[];
  /** 'YYYY-MM-DD' local dates worked although their weekday is not (make-up working days). */
  readonly extraWorkdays?: readonly string[] | undefined;
}

export const defaultBusinessCalendar: BusinessCalendar = {
  timeZone: 'Asia/Shanghai',
  workdays: [1, 2, 3, 4, 5],
  opens: '09:00',
  closes: '18:00',
  holidays: [],
};

const dayMs = 86_400_000;
/** Calendars are consulted over at most ten years; a longer span is a bug, not a case. */
const daysMax = 3660;
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterOf(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (formatter === undefined) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** The zone's offset from UTC at `instant`, in milliseconds. */
function offsetAt(timeZone: string, instant: number): number {
  const parts = Object.fromEntries(
    formatterOf(timeZone)
      .formatToParts(new Date(instant))
      .map((p) => [p.type, p.value]),
  );
  const local = Date.UTC(
    Number(parts.year),
    Number(parts.month) - 1,
    Number(parts.day),
    Number(parts.hour),
    Number(parts.minute),
    Number(parts.second),
  );
  return local - Math.floor(instant / 1000) * 1000;
}

const minutesOf = (hhmm: string) => {
  const match = /^([01][0-9]|2[0-3]):([0-5][0-9])$/.exec(hhmm);
  if (match === null) throw new Error(`business calendar: bad time ${hhmm}`);
  return Number(match[1]) * 60 + Number(match[2]);
};

/** Checks a calendar once (configuration errors surface at start-up). */
export function checkCalendar(calendar: BusinessCalendar): void {
  formatterOf(calendar.timeZone);
  if (minutesOf(calendar.opens) >= minutesOf(calendar.closes))
    throw new Error('business calendar: opens after it closes');
  for (const day of [...calendar.holidays, ...(calendar.extraWorkdays ?? [])]) {
    if (!/^[0-9]{4}-[0-9]{2}-[0-9]{2}$/.test(day)) throw new Error(`business calendar: bad date ${day}`);
  }
  if (calendar.workdays.some((d) => !Number.isInteger(d) || d < 1 || d > 7))
    throw new Error('business calendar: bad weekday');
}

interface Window {
  readonly start: number;
  readonly end: number;
}

/** The local day containing `instant` as midnight-UTC of its local date. */
function localDay(calendar: BusinessCalendar, instant: number): number {
  const local = instant + offsetAt(calendar.timeZone, instant);
  return Math.floor(local / dayMs) * dayMs;
}

/** The working window of the local date `day` (midnight UTC of that date), or undefined when not worked. */
function windowOf(calendar: BusinessCalendar, day: number): Window | undefined {
  const date = new Date(day).toISOString().slice(0, 10);
  const weekday = ((new Date(day).getUTCDay() + 6) % 7) + 1;
  const worked =
    (calendar.workdays.includes(weekday) || (calendar.extraWorkdays ?? []).includes(date)) &&
    !calendar.holidays.includes(date);
  if (!worked) return undefined;
  const localStart = day + minutesOf(calendar.opens) * 60_000;
  const localEnd = day + minutesOf(calendar.closes) * 60_000;
  return {
    start: localStart - offsetAt(calendar.timeZone, localStart),
    end: localEnd - offsetAt(calendar.timeZone, localEnd),
  };
}

/** Business milliseconds in [from, to). */
export function businessMsBetween(calendar: BusinessCalendar, from: number, to: number): number {
  if (to <= from) return 0;
  let total = 0;
  let day = localDay(calendar, from);
  for (let i = 0; i < daysMax; i++, day += dayMs) {
    const window = windowOf(calendar, day);
    if (window !== undefined) {
      if (window.start >= to) break;
      total += Math.max(0, Math.min(window.end, to) - Math.max(window.start, from));
    } else if (day - dayMs > to) break;
  }
  return total;
}

/** The instant at which `ms` business milliseconds have passed since `from`. */
export function addBusinessMs(calendar: BusinessCalendar, from: number, ms: number): number {
  let left = ms;
  let day = localDay(calendar, from);
  for (let i = 0; i < daysMax; i++, day += dayMs) {
    const window = windowOf(calendar, day);
    if (window === undefined || window.end <= from) continue;
    const start = Math.max(window.start, from);
    if (start + left <= window.end) return start + left;
    left -= window.end - start;
  }
  throw new Error('business calendar: no working time within ten years');
}
