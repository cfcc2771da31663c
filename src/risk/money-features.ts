// The stored features of a money event (payment, top-up, withdrawal): which counter, first-seen and
// list rows it reads, the typed feature values made of them, and the rows it updates once it is
// decided. Keys are plain strings so one query reads them all (features-store.ts). Pure.
import { added, countable, estimateCount, estimateSum, windowNames, windows, type CounterRow } from './counters.ts';
import type { AmountValue, RiskEvent, Value } from './features.ts';
import { localHourOf, networksOf } from './login-risk.ts';
import { profileFeatures, type RiskProfile } from './profile.ts';

export interface MoneyEvent {
  readonly event: Extract<RiskEvent, 'payment' | 'topup' | 'withdrawal'>;
  readonly customerId: string;
  readonly deviceId: string;
  readonly ip?: string | null | undefined;
  readonly payeeId?: string | null | undefined;
  readonly cardRef?: string | null | undefined;
  /** Hex of the customer's ID-number blind index (the `id` list), when known. */
  readonly idHash?: string | null | undefined;
  readonly amount: AmountValue;
}

export interface StoredRows {
  readonly counters: ReadonlyMap<string, CounterRow>;
  readonly seen: ReadonlySet<string>;
  /** list key → effect */
  readonly lists: ReadonlyMap<string, 'block' | 'allow'>;
  /** customer id → habit (hour histogram, last location); absent = no history */
  readonly profiles: ReadonlyMap<string, RiskProfile>;
  /** customer id → money-laundering risk level in force (AML's rating); absent = never rated */
  readonly mlRisk?: ReadonlyMap<string, string>;
}

type Subject = 'customer' | 'device' | 'address' | 'payee' | 'card';
type SeenKeys = Record<'device' | 'address' | 'region' | 'payee' | 'card' | 'devicePayee', string | undefined>;
type ListKeys = Record<'device' | 'payee' | 'card' | 'network' | 'region' | 'id', string | undefined>;

interface EventKeys {
  readonly subjects: ReadonlyArray<readonly [Subject, string | undefined]>;
  /** The counter row key of each of windowSlots (undefined: no such subject, e.g. no address), made once. */
  readonly windowKeys: ReadonlyArray<string | undefined>;
  readonly seen: SeenKeys;
  readonly lists: ListKeys;
  /** The stored rows the features read: counter rows (one per subject, every window in it), marks, lists. */
  readonly rows: RowKeys;
}

export interface RowKeys {
  readonly counters: readonly string[];
  readonly seen: readonly string[];
  readonly lists: readonly string[];
}

// An event's keys are read four times per batch (the feature read, its features, its counting, its
// marks): they are made once per event object (the address parsed once), never changed after.
const keysCache = new WeakMap<MoneyEvent, EventKeys>();

function eventKeysOf(e: MoneyEvent): EventKeys {
  const cached = keysCache.get(e);
  if (cached !== undefined) return cached;
  const cur = e.amount.currency;
  const nets = networksOf(e.ip ?? null);
  const subjects: EventKeys['subjects'] = [
      ['customer', `cu:${e.customerId}:${cur}`],
      ['device', `dv:${e.deviceId}:${cur}`],
      ['address', nets === undefined ? undefined : `ad:${nets.network}:${cur}`],
      ['payee', e.payeeId == null ? undefined : `pe:${e.payeeId}:${cur}`],
      ['card', e.cardRef == null ? undefined : `ca:${e.cardRef}:${cur}`],
  ];
  const keys: Omit<EventKeys, 'rows'> = {
    subjects,
    windowKeys: windowSlots.map((slot) => {
      const key = subjects[slot.subject]?.[1];
      return key === undefined ? undefined : key + slot.suffix;
    }),
    seen: {
      device: `dv:${e.customerId}:${e.deviceId}`,
      address: nets === undefined ? undefined : `ad:${e.customerId}:${nets.network}`,
      region: nets === undefined ? undefined : `rg:${e.customerId}:${nets.region}`,
      payee: e.payeeId == null ? undefined : `pe:${e.customerId}:${e.payeeId}`,
      card: e.cardRef == null ? undefined : `ca:${e.customerId}:${e.cardRef}`,
      devicePayee: e.payeeId == null ? undefined : `dp:${e.deviceId}:${e.payeeId}`,
    },
    lists: {
      device: `device:${e.deviceId}`,
      id: e.idHash == null ? undefined : `id:${e.idHash}`,
      payee: e.payeeId == null ? undefined : `payee:${e.payeeId}`,
      card: e.cardRef == null ? undefined : `card:${e.cardRef}`,
      network: nets === undefined ? undefined : `address:${nets.network}`,
      region: nets === undefined ? undefined : `address:${nets.region}`,
    },
  };
  const rows: RowKeys = {
    counters: [...defined(subjects.map(([, key]) => key)), devicePayeesSubject(e)],
    seen: defined(Object.values(keys.seen)),
    lists: defined(Object.values(keys.lists)),
  };
  const made = { ...keys, rows };
  keysCache.set(e, made);
  return made;
}

const devicePayeesSubject = (e: MoneyEvent): string => `dpn:${e.deviceId}`;
const devicePayeesKey = (e: MoneyEvent): string => `dpn:${e.deviceId}|24h`;
const defined = (keys: ReadonlyArray<string | undefined>): string[] => keys.filter((k): k is string => k !== undefined);

/** Every window of every subject, in the order of an event's `subjects`: feature names, key suffix, length. */
const windowSlots = (['customer', 'device', 'address', 'payee', 'card'] as const).flatMap((subject, index) =>
  windowNames.map((w) => ({
    subject: index,
    count: `${subject}.count_${w}`,
    sum: `${subject}.sum_${w}`,
    suffix: `|${w}`,
    windowMs: windows[w],
  })),
);

const windowMsOf = (slot: number): number => (windowSlots[slot] as (typeof windowSlots)[number]).windowMs;

/** Every stored row the features of this event read (made once per event: read, counted and marked). */
export function rowKeysOf(e: MoneyEvent): RowKeys {
  return eventKeysOf(e).rows;
}

// Module-level, not closures inside the hot function: each closure made per call costs an allocation
// (and, under the tsx loader, a __name call).
const isZeroAmount = (value: Value | undefined, currency: string): boolean =>
  typeof value === 'object' && 'minor' in value && value.minor === 0n && value.currency === currency;
const isNew = (rows: StoredRows, key: string | undefined): boolean => key !== undefined && !rows.seen.has(key);
const effectOf = (rows: StoredRows, key: string | undefined): 'block' | 'allow' | undefined =>
  key === undefined ? undefined : rows.lists.get(key);

/**
 * The stored features of the event, typed, before the event is counted: written into `out` (the
 * event's feature record, so the caller copies nothing) and returned.
 */
export function moneyFeatureValues(
  e: MoneyEvent,
  rows: StoredRows,
  now: number,
  out: Record<string, Value> = {},
): Record<string, Value> {
  const { currency } = e.amount;
  const keys = eventKeysOf(e);
  for (let i = 0; i < windowSlots.length; i++) {
    const w = windowSlots[i] as (typeof windowSlots)[number];
    const key = keys.windowKeys[i];
    const row = key === undefined ? undefined : rows.counters.get(key);
    out[w.count] = estimateCount(row, now, w.windowMs);
    const sum = estimateSum(row, now, w.windowMs);
    // A zero sum keeps the record's own zero amount of this currency (the neutral one, when `out` is a
    // neutralRecord): one object less, and the snapshot sees it neutral by identity.
    if (sum !== 0 || !isZeroAmount(out[w.sum], currency)) out[w.sum] = { minor: BigInt(sum), currency };
  }
  const seen = keys.seen;
  out['device.new'] = isNew(rows, seen.device);
  out['address.new'] = isNew(rows, seen.address);
  out['address.region_new'] = isNew(rows, seen.region);
  out['card.new'] = isNew(rows, seen.card);
  out['device.payees_24h'] = estimateCount(rows.counters.get(devicePayeesKey(e)), now, windows['24h']);
  const last = rows.counters.get(`cu:${e.customerId}:${currency}|30d`)?.lastAt;
  out['customer.dormant'] = last === undefined || last === 0 ? Number.POSITIVE_INFINITY : now - last;
  const lists = keys.lists;
  out['device.blocked'] = effectOf(rows, lists.device) === 'block';
  out['device.allowed'] = effectOf(rows, lists.device) === 'allow';
  out['payee.blocked'] = effectOf(rows, lists.payee) === 'block';
  out['card.blocked'] = effectOf(rows, lists.card) === 'block';
  out['address.blocked'] = effectOf(rows, lists.network) === 'block' || effectOf(rows, lists.region) === 'block';
  out['id.blocked'] = effectOf(rows, lists.id) === 'block';
  out['payee.allowed'] = effectOf(rows, lists.payee) === 'allow';
  out['card.allowed'] = effectOf(rows, lists.card) === 'allow';
  out['address.allowed'] = effectOf(rows, lists.network) === 'allow' || effectOf(rows, lists.region) === 'allow';
  out['id.allowed'] = effectOf(rows, lists.id) === 'allow';
  return Object.assign(out, profileFeatures(rows.profiles.get(e.customerId), e.ip, localHourOf(now), now));
}

/**
 * The counter rows after counting the events in order (pure; `rows` are the locked rows, `newlySeen` the
 * device–payee pairs the batch marked first): the rows the batch's decisions were made against (countInto).
 */
export function countedRows(
  events: readonly MoneyEvent[],
  rows: ReadonlyMap<string, CounterRow>,
  newlySeen: ReadonlySet<string>,
  now: number,
): Map<string, CounterRow> {
  const out = new Map<string, CounterRow>();
  const current = (key: string): CounterRow | undefined => out.get(key) ?? rows.get(key);
  // A pair newly seen counts once, on the first of the batch's events that has it (as countInto does).
  const pairsCounted = new Set<string>();
  for (const e of events) {
    const keys = eventKeysOf(e);
    const amount = countable(e.amount.minor);
    for (let i = 0; i < keys.windowKeys.length; i++) {
      const key = keys.windowKeys[i];
      if (key !== undefined) out.set(key, added(current(key), now, windowMsOf(i), amount));
    }
    const pair = keys.seen.devicePayee;
    if (pair !== undefined && newlySeen.has(pair) && !pairsCounted.has(pair)) {
      pairsCounted.add(pair);
      out.set(devicePayeesKey(e), added(current(devicePayeesKey(e)), now, windows['24h'], 0));
    }
  }
  return out;
}

/**
 * Counts one event into a batch's working copy, in place: the same rows as countedRows([e]) with the
 * keys `seen` does not hold as newly seen, and those keys then marked seen. Made for assessBatch, which
 * counts every event of the batch before deciding the next one.
 */
export function countInto(counters: Map<string, CounterRow>, seen: Set<string>, e: MoneyEvent, now: number): void {
  const keys = eventKeysOf(e);
  const amount = countable(e.amount.minor);
  for (let i = 0; i < keys.windowKeys.length; i++) {
    const key = keys.windowKeys[i];
    if (key !== undefined) counters.set(key, added(counters.get(key), now, windowMsOf(i), amount));
  }
  const pair = keys.seen.devicePayee;
  if (pair !== undefined && !seen.has(pair))
    counters.set(devicePayeesKey(e), added(counters.get(devicePayeesKey(e)), now, windows['24h'], 0));
  for (const key of Object.values(keys.seen)) if (key !== undefined) seen.add(key);
}

export function seenKeysToMark(e: MoneyEvent): readonly string[] {
  return eventKeysOf(e).rows.seen;
}
