// The seeded traffic of `anfu simulate` (issue 12, item 5), pure: who pays whom, how much, when and
// from which address. Background traffic is PaySim-like — each customer pays a few usual payees,
// amounts log-normal around ~120 CNY, at the customer's habitual hours, from a home address in China
// — over a 100-day warm-up (history the features need: counters, first-seen payees, habits), then a
// measured day in which labelled attacks run among the normal traffic. The same seed gives the same
// traffic. Amounts are minor units (fen).

export const attackTypes = [
  'account_takeover',
  'card_testing',
  'structuring',
  'rapid_in_out',
  'fan_in',
  'fan_out',
  'dormant_waking',
  'many_payees_one_device',
] as const;
export type AttackType = (typeof attackTypes)[number];
export type Label = 'warmup' | 'normal' | AttackType;

/** Who the simulation needs: ordinary customers, and the parties each attack uses (by role). */
export interface Cast {
  readonly normal: number;
  /** Attack actors with a device enrolled minutes before (account takeover). */
  readonly freshDevice: number;
  readonly mules: number;
  /** Customers who paid once at the start and then went quiet. */
  readonly dormant: number;
}

export interface SimEvent {
  /** Milliseconds after the simulation's start. */
  readonly at: number;
  /** Party names: `n3` (normal), `f0` (fresh device), `m2` (mule), `d1` (dormant). */
  readonly from: string;
  readonly to: string;
  readonly amountMinor: bigint;
  readonly ip: string;
  readonly label: Label;
  /** Events of one attack instance share an id (`fan_in#2`). */
  readonly instance: string | null;
}

export interface TrafficPlan {
  readonly cast: Cast;
  readonly events: readonly SimEvent[];
}

const day = 86_400_000;
const minute = 60_000;
export const warmupDays = 100;
const homeAddresses = ['114.114.114.114', '1.2.4.8', '223.5.5.5', '180.76.76.76', '202.96.128.86', '61.139.2.69'];
const foreignAddresses = ['8.8.8.8', '81.2.69.160', '193.0.6.139', '5.255.255.5'];

/** mulberry32: a small seeded generator (not for secrets). */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface TrafficOptions {
  readonly seed: number;
  readonly customers: number;
  /** Normal payments in the measured day. */
  readonly normalEvents: number;
  /** Instances of each attack type. */
  readonly attacksPerType: number;
}

export function planTraffic(options: TrafficOptions): TrafficPlan {
  const rnd = seeded(options.seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rnd() * items.length)] as T;
  const n = Math.max(6, options.customers);
  const k = Math.max(1, options.attacksPerType);
  const cast: Cast = { normal: n, freshDevice: k, mules: 6 * k, dormant: k };
  const home = Array.from({ length: n }, () => pick(homeAddresses));
  const habit = Array.from({ length: n }, () => 8 + Math.floor(rnd() * 12)); // usual local hour 8–19
  const friends = Array.from({ length: n }, (_, i) =>
    Array.from({ length: 3 }, (_v, j) => `n${(i + 1 + j + Math.floor(rnd() * (n - 4))) % n}`).filter(
      (p) => p !== `n${i}`,
    ),
  );
  const amount = () => BigInt(Math.max(100, Math.round(Math.exp(Math.log(12_000) + 0.9 * gauss(rnd)))));
  const localMs = (d: number, hour: number) => d * day + (hour - 8) * 3_600_000 + Math.floor(rnd() * 50) * minute;
  const events: SimEvent[] = [];
  // A habit is an hour most payments fall in, with some an hour or two either side (no burst in one hour).
  const hourNear = (h: number) => h + pick([-2, -1, -1, 0, 0, 0, 0, 1, 1, 2]);
  const normal = (i: number, d: number, label: Label): void => {
    const to = pick(friends[i] ?? ['n0']);
    const at = localMs(d, hourNear(habit[i] ?? 12));
    const ip = home[i] ?? '114.114.114.114';
    events.push({ at, from: `n${i}`, to, amountMinor: amount(), ip, label, instance: null });
  };
  // Warm-up: every customer pays a usual payee every few days; the dormant pay once, on day 0.
  for (let i = 0; i < n; i += 1)
    for (let d = i % 4; d < warmupDays; d += 4 + Math.floor(rnd() * 4)) normal(i, d, 'warmup');
  for (let j = 0; j < cast.dormant; j += 1)
    events.push({
      at: localMs(0, 11), from: `d${j}`, to: 'n0', amountMinor: 5_000n, ip: '114.114.114.114', label: 'warmup',
      instance: null,
    });
  // The measured day: normal traffic spread over it, attacks among it.
  for (let e = 0; e < options.normalEvents; e += 1) normal(Math.floor(rnd() * n), warmupDays, 'normal');
  const start = warmupDays * day;
  for (let x = 0; x < k; x += 1) events.push(...attacks(x, start + (2 + x) * 3_600_000, { rnd, pick, n }));
  events.sort((a, b) => a.at - b.at);
  return { cast, events };
}

function gauss(rnd: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
}

interface Draw {
  readonly rnd: () => number;
  readonly pick: <T>(items: readonly T[]) => T;
  readonly n: number;
}

/** One instance of every attack type, starting at `t0` (x = the instance number). */
function attacks(x: number, t0: number, draw: Draw): SimEvent[] {
  const { pick, n } = draw;
  const out: SimEvent[] = [];
  // With few customers two roles may fall on one customer: nobody pays themselves.
  const add = (label: AttackType, at: number, from: string, to: string, minor: bigint, ip: string) =>
    from === to ? 0 : out.push({ at, from, to, amountMinor: minor, ip, label, instance: `${label}#${x}` });
  const mule = (m: number) => `m${6 * x + m}`;
  const foreign = pick(foreignAddresses);
  const victim = (o: number) => `n${(x * 7 + o) % n}`;
  const home = () => pick(homeAddresses);
  // A device enrolled minutes ago empties the account to a payee never paid before, from abroad.
  add('account_takeover', t0, `f${x}`, mule(0), 480_000n, foreign);
  // Stolen credentials tested with tiny amounts, a burst within two minutes (wallet transfers: see docs).
  for (let i = 0; i < 8; i += 1) add('card_testing', t0 + i * 12_000, mule(1), victim(i + 1), BigInt(1 + i), foreign);
  // Amounts kept just under the new-payee challenge (2,000 CNY) to several new payees in a few hours.
  for (let i = 0; i < 5; i += 1)
    add('structuring', t0 + i * 40 * minute, victim(0), victim(10 + i), 195_000n + BigInt(i * 731), home());
  // Money received and sent on within minutes.
  add('rapid_in_out', t0 + 5 * minute, victim(2), mule(2), 150_000n, home());
  add('rapid_in_out', t0 + 7 * minute, mule(2), victim(20), 148_000n, foreign);
  // Many senders to one mule within an hour.
  for (let i = 0; i < 12; i += 1)
    add('fan_in', t0 + i * 4 * minute, victim(30 + i), mule(3), 30_000n + BigInt(i * 1000), home());
  // One mule to many new payees within an hour.
  for (let i = 0; i < 12; i += 1) add('fan_out', t0 + i * 4 * minute, mule(4), victim(50 + i), 25_000n, home());
  // A customer quiet for 100 days sends a large sum to a new payee.
  add('dormant_waking', t0 + 20 * minute, `d${x}`, mule(0), 490_000n, home());
  // One device paying many payees over the day, small amounts.
  for (let i = 0; i < 7; i += 1)
    add('many_payees_one_device', t0 + i * 90 * minute, mule(5), victim(70 + i), 8_000n, home());
  return out;
}
