// SLA clocks, computed from a case's events: time counts from opening (in business time when the
// kind's calendar is 'business'), stops while the case waits on the customer, and stops for good at
// the first response / the decision. The breach sweep (one process at a time, under a store lease)
// records each clock that ran out once: an event, an audit entry and the `onBreach` signal (metric).
import { acquireLease, type Queryable } from '../store/index.ts';
import { recordChange } from './audit.ts';
import { addBusinessMs, businessMsBetween, type BusinessCalendar } from './calendar.ts';
import type { CasesContext } from './context.ts';
import { within } from './open-case.ts';
import { caseEvents, undecidedCases, updateCase } from './store.ts';
import type { CaseEvent, CaseRecord, CaseSlaDefinition } from './types.ts';
import { systemActor } from '../access/index.ts';

export interface SlaClock {
  readonly limitMs: number;
  /** Counted time so far (business or continuous), pauses excluded. */
  readonly elapsedMs: number;
  /** When it runs out if nothing changes; null when stopped, paused or already out. */
  readonly dueAt: number | null;
  readonly stopped: boolean;
  readonly breached: boolean;
}

export interface CaseSla {
  readonly calendar: CaseSlaDefinition['calendar'];
  readonly paused: boolean;
  readonly firstResponse: SlaClock;
  readonly resolution: SlaClock;
  /** Time since the last operator change (a reply, a note, an assignment …), when the kind sets `update`. */
  readonly update?: SlaClock | undefined;
}

type Interval = readonly [number, number];

/** The waiting intervals the events describe, the last one open until `now`. */
export function waitingIntervals(events: readonly CaseEvent[], now: number): Interval[] {
  const intervals: Interval[] = [];
  let since: number | null = null;
  for (const event of events) {
    if (event.type === 'waiting' && since === null) since = event.at;
    else if ((event.type === 'resumed' || event.type === 'decided') && since !== null) {
      intervals.push([since, event.at]);
      since = null;
    }
  }
  if (since !== null) intervals.push([since, now]);
  return intervals;
}

function clockOf(
  measure: (a: number, b: number) => number,
  add: (from: number, ms: number) => number,
  pauses: readonly Interval[],
  created: number,
  stoppedAt: number | null,
  limitMs: number,
  now: number,
  paused: boolean,
): SlaClock {
  const until = stoppedAt ?? now;
  const pausedMs = pauses.reduce((sum, [a, b]) => sum + measure(Math.max(a, created), Math.min(b, until)), 0);
  const elapsedMs = Math.max(0, measure(created, until) - pausedMs);
  const breached = elapsedMs > limitMs;
  const running = stoppedAt === null && !paused && !breached;
  return {
    limitMs,
    elapsedMs,
    dueAt: running ? add(now, limitMs - elapsedMs) : null,
    stopped: stoppedAt !== null,
    breached,
  };
}

/** Pure: the case's SLA clocks at `now`. */
export function computeSla(
  sla: CaseSlaDefinition,
  calendar: BusinessCalendar,
  record: CaseRecord,
  events: readonly CaseEvent[],
  now: number,
): CaseSla {
  const business = sla.calendar === 'business';
  const measure = business
    ? (a: number, b: number) => businessMsBetween(calendar, a, b)
    : (a: number, b: number) => Math.max(0, b - a);
  const add = business
    ? (from: number, ms: number) => addBusinessMs(calendar, from, ms)
    : (from: number, ms: number) => from + ms;
  const pauses = waitingIntervals(events, now);
  const paused = record.status === 'waiting';
  return {
    calendar: sla.calendar,
    paused,
    firstResponse: clockOf(
      measure,
      add,
      pauses,
      record.createdAt,
      record.firstResponseAt,
      sla.firstResponse,
      now,
      paused,
    ),
    resolution: clockOf(measure, add, pauses, record.createdAt, record.decidedAt, sla.resolution, now, paused),
    ...(sla.update === undefined
      ? {}
      : {
          update: clockOf(
            measure,
            add,
            pauses,
            lastOperatorChange(record, events),
            record.decidedAt,
            sla.update,
            now,
            paused,
          ),
        }),
  };
}

/** When an operator last changed the case (operator ids are `opr_…`), or its opening. */
function lastOperatorChange(record: CaseRecord, events: readonly CaseEvent[]): number {
  return events.filter((e) => e.actor.startsWith('opr_')).reduce((last, e) => Math.max(last, e.at), record.createdAt);
}

/** The SLA of a case under its kind's definition (undefined for a kind not wired in). */
export async function caseSla(
  cases: CasesContext,
  q: Queryable,
  record: CaseRecord,
  now: number,
): Promise<CaseSla | undefined> {
  const definition = cases.definition(record.kind);
  if (definition === undefined) return undefined;
  return computeSla(definition.sla, cases.calendar, record, await caseEvents(q, record.id), now);
}

export interface SlaSweepOptions {
  /** This process (lease holder). */
  readonly holder: string;
  readonly leaseMs?: number;
  readonly pageSize?: number;
  readonly onBreach?: (record: CaseRecord, clock: 'first_response' | 'resolution' | 'update') => void;
}

async function sweepOne(
  cases: CasesContext,
  record: CaseRecord,
  now: number,
  options: SlaSweepOptions,
): Promise<number> {
  return within(cases.store, async (tx) => {
    const sla = await caseSla(cases, tx, record, now);
    if (sla === undefined) return 0;
    const newly = (
      [
        ['first_response', sla.firstResponse],
        ['resolution', sla.resolution],
        ...(sla.update === undefined ? [] : [['update', sla.update] as const]),
      ] as const
    ).filter(([name, clock]) => clock.breached && !record.breached.includes(name));
    const breached = [...record.breached, ...newly.map(([name]) => name)];
    const dues = { firstResponseDueAt: sla.firstResponse.dueAt, resolutionDueAt: sla.resolution.dueAt };
    if (!(await updateCase(tx, record.id, [record.status], { ...dues, breached }, now))) return 0;
    for (const [name, clock] of newly) {
      await recordChange(
        tx,
        systemActor,
        record.id,
        'sla_breached',
        { clock: name, limitMs: clock.limitMs, kind: record.kind },
        now,
      );
      options.onBreach?.(record, name);
    }
    return newly.length;
  });
}

/** Marks the clocks that ran out (once each) and refreshes due times; a no-op without the lease. */
export async function sweepCaseSla(
  cases: CasesContext,
  options: SlaSweepOptions,
): Promise<{ swept: number; breaches: number } | undefined> {
  const now = cases.clock();
  const leased = await acquireLease(cases.store, {
    name: 'sweep:case-sla',
    holder: options.holder,
    ttlMs: options.leaseMs ?? 60_000,
    now,
  });
  if (!leased) return undefined;
  let after = '';
  let swept = 0;
  let breaches = 0;
  for (;;) {
    const page = await undecidedCases(cases.store, after, options.pageSize ?? 200);
    for (const record of page) breaches += await sweepOne(cases, record, now, options);
    swept += page.length;
    if (page.length === 0) break;
    after = page[page.length - 1]?.id ?? after;
  }
  return { swept, breaches };
}
