// The stored features of a money event (payment, top-up, withdrawal): which counter, first-seen and
// list rows it reads, the typed feature values made of them, and the rows it updates once it is
// decided. Keys are plain strings so one query reads them all (features-store.ts). Pure.
import { estimate, windowNames, windows, added, type CounterRow } from './counters.ts';
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
}

type Subject = 'customer' | 'device' | 'address' | 'payee' | 'card';

function subjectsOf(e: MoneyEvent): Array<[Subject, string | undefined]> {
  const cur = e.amount.currency;
  const net = networksOf(e.ip ?? null)?.network;
  return [
    ['customer', `cu:${e.customerId}:${cur}`],
    ['device', `dv:${e.deviceId}:${cur}`],
    ['address', net === undefined ? undefined : `ad:${net}:${cur}`],
    ['payee', e.payeeId == null ? undefined : `pe:${e.payeeId}:${cur}`],
    ['card', e.cardRef == null ? undefined : `ca:${e.cardRef}:${cur}`],
  ];
}

function seenKeysOf(
  e: MoneyEvent,
): Record<'device' | 'address' | 'region' | 'payee' | 'card' | 'devicePayee', string | undefined> {
  const nets = networksOf(e.ip ?? null);
  return {
    device: `dv:${e.customerId}:${e.deviceId}`,
    address: nets === undefined ? undefined : `ad:${e.customerId}:${nets.network}`,
    region: nets === undefined ? undefined : `rg:${e.customerId}:${nets.region}`,
    payee: e.payeeId == null ? undefined : `pe:${e.customerId}:${e.payeeId}`,
    card: e.cardRef == null ? undefined : `ca:${e.customerId}:${e.cardRef}`,
    devicePayee: e.payeeId == null ? undefined : `dp:${e.deviceId}:${e.payeeId}`,
  };
}

function listKeysOf(
  e: MoneyEvent,
): Record<'device' | 'payee' | 'card' | 'network' | 'region' | 'id', string | undefined> {
  const nets = networksOf(e.ip ?? null);
  return {
    device: `device:${e.deviceId}`,
    id: e.idHash == null ? undefined : `id:${e.idHash}`,
    payee: e.payeeId == null ? undefined : `payee:${e.payeeId}`,
    card: e.cardRef == null ? undefined : `card:${e.cardRef}`,
    network: nets === undefined ? undefined : `address:${nets.network}`,
    region: nets === undefined ? undefined : `address:${nets.region}`,
  };
}

const devicePayeesKey = (e: MoneyEvent): string => `dpn:${e.deviceId}|24h`;
const defined = (keys: ReadonlyArray<string | undefined>): string[] => keys.filter((k): k is string => k !== undefined);

/** Every key the features of this event read. */
export function keysOf(e: MoneyEvent): { counters: string[]; seen: string[]; lists: string[] } {
  const counters = subjectsOf(e).flatMap(([, key]) => (key === undefined ? [] : windowNames.map((w) => `${key}|${w}`)));
  return {
    counters: [...counters, devicePayeesKey(e)],
    seen: defined(Object.values(seenKeysOf(e))),
    lists: defined(Object.values(listKeysOf(e))),
  };
}

/** The stored features of the event, typed, before the event is counted. */
export function moneyFeatureValues(e: MoneyEvent, rows: StoredRows, now: number): Record<string, Value> {
  const out: Record<string, Value> = {};
  for (const [subject, key] of subjectsOf(e)) {
    for (const w of windowNames) {
      const value =
        key === undefined ? { count: 0, sum: 0n } : estimate(rows.counters.get(`${key}|${w}`), now, windows[w]);
      out[`${subject}.count_${w}`] = value.count;
      out[`${subject}.sum_${w}`] = { minor: value.sum, currency: e.amount.currency };
    }
  }
  const seen = seenKeysOf(e);
  const isNew = (key: string | undefined): boolean => key !== undefined && !rows.seen.has(key);
  out['device.new'] = isNew(seen.device);
  out['address.new'] = isNew(seen.address);
  out['address.region_new'] = isNew(seen.region);
  out['card.new'] = isNew(seen.card);
  out['device.payees_24h'] = estimate(rows.counters.get(devicePayeesKey(e)), now, windows['24h']).count;
  const last = rows.counters.get(`cu:${e.customerId}:${e.amount.currency}|30d`)?.lastAt;
  out['customer.dormant'] = last === undefined || last === 0 ? Number.POSITIVE_INFINITY : now - last;
  const lists = listKeysOf(e);
  const effect = (key: string | undefined): 'block' | 'allow' | undefined =>
    key === undefined ? undefined : rows.lists.get(key);
  out['device.blocked'] = effect(lists.device) === 'block';
  out['device.allowed'] = effect(lists.device) === 'allow';
  out['payee.blocked'] = effect(lists.payee) === 'block';
  out['card.blocked'] = effect(lists.card) === 'block';
  out['address.blocked'] = effect(lists.network) === 'block' || effect(lists.region) === 'block';
  out['id.blocked'] = effect(lists.id) === 'block';
  out['payee.allowed'] = effect(lists.payee) === 'allow';
  out['card.allowed'] = effect(lists.card) === 'allow';
  out['address.allowed'] = effect(lists.network) === 'allow' || effect(lists.region) === 'allow';
  out['id.allowed'] = effect(lists.id) === 'allow';
  return { ...out, ...profileFeatures(rows.profiles.get(e.customerId), e.ip, localHourOf(now), now) };
}

/** The counter rows and first-seen keys after counting the events in order (pure; `rows` are the locked rows). */
export function countedRows(
  events: readonly MoneyEvent[],
  rows: ReadonlyMap<string, CounterRow>,
  newlySeen: ReadonlySet<string>,
  now: number,
): Map<string, CounterRow> {
  const out = new Map<string, CounterRow>();
  const current = (key: string): CounterRow | undefined => out.get(key) ?? rows.get(key);
  for (const e of events) {
    for (const [, key] of subjectsOf(e)) {
      if (key === undefined) continue;
      for (const w of windowNames)
        out.set(`${key}|${w}`, added(current(`${key}|${w}`), now, windows[w], e.amount.minor));
    }
    const pair = seenKeysOf(e).devicePayee;
    if (pair !== undefined && newlySeen.has(pair))
      out.set(devicePayeesKey(e), added(current(devicePayeesKey(e)), now, windows['24h'], 0n));
  }
  return out;
}

export function seenKeysToMark(e: MoneyEvent): string[] {
  return defined(Object.values(seenKeysOf(e)));
}
