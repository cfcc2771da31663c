// Suspicious patterns in one window of settled money, decided purely from the movements (the
// dormancy check also needs each candidate's last earlier activity, which the caller loads):
//   structuring        several payments each just under a reporting line;
//   rapid_in_out       money received and sent on almost whole within the window (pass-through);
//   fan_in / fan_out   many distinct senders to one customer / payees from one customer;
//   device_payees      many distinct payees paid from one device;
//   dormant_wake       a long-silent customer suddenly moving a large amount.
// A customer's money-laundering risk level (rate-customer.ts) tunes the structuring count, the rapid
// in-and-out amount and the fan counts (thresholdsFor): a high-risk customer is flagged sooner.
import type { RiskLevel } from './customer-risk-rating.ts';
import type { SettledMovement } from './settled-money.ts';
import { thresholdsFor, type MonitorSettings } from './thresholds.ts';

/** The level in force of each rated customer (absent: never rated, watched as low). */
export type CustomerLevels = ReadonlyMap<string, RiskLevel>;

export type Pattern = 'structuring' | 'rapid_in_out' | 'fan_in' | 'fan_out' | 'device_payees' | 'dormant_wake';

export interface PatternHit {
  readonly pattern: Pattern;
  readonly subjectType: 'customer' | 'device';
  readonly subjectId: string;
  /** The customer to file the case under (for a device: the customer of its first payment). */
  readonly customerId: string;
  readonly amount: bigint;
  readonly currency: string;
  readonly movementIds: readonly string[];
  readonly details: Readonly<Record<string, string | number>>;
}

function groupBy<K>(
  items: readonly SettledMovement[],
  key: (m: SettledMovement) => K | undefined,
): Map<K, SettledMovement[]> {
  const groups = new Map<K, SettledMovement[]>();
  for (const m of items) {
    const k = key(m);
    if (k === undefined) continue;
    const list = groups.get(k);
    if (list === undefined) groups.set(k, [m]);
    else list.push(m);
  }
  return groups;
}

const sum = (list: readonly SettledMovement[]) => list.reduce((total, m) => total + m.amount, 0n);
const customerSide = (id: string, type: string) => (type === 'natural_person' ? id : undefined);

function hit(
  pattern: Pattern,
  subjectId: string,
  list: readonly SettledMovement[],
  s: MonitorSettings,
  details: Record<string, string | number>,
  customerId = subjectId,
  subjectType: 'customer' | 'device' = 'customer',
): PatternHit {
  return {
    pattern,
    subjectType,
    subjectId,
    customerId,
    amount: sum(list),
    currency: s.currency,
    movementIds: list.map((m) => m.id),
    details,
  };
}

/** The customer's level, as a hit's details show it. */
const levelLabel = (levels: CustomerLevels, id: string) => levels.get(id) ?? 'unrated';

function structuring(inCurrency: readonly SettledMovement[], s: MonitorSettings, levels: CustomerLevels): PatternHit[] {
  const floor = (s.structuringLine * BigInt(100 - s.structuringBandPercent)) / 100n;
  const near = inCurrency.filter((m) => m.amount >= floor && m.amount < s.structuringLine);
  const hits: PatternHit[] = [];
  for (const [payer, list] of groupBy(near, (m) => customerSide(m.payerId, m.payerType))) {
    const countMin = thresholdsFor(s, levels.get(payer)).structuringCountMin;
    if (list.length >= countMin) {
      const line = s.structuringLine.toString();
      const details = { count: list.length, line, countMin, riskLevel: levelLabel(levels, payer) };
      hits.push(hit('structuring', payer, list, s, details));
    }
  }
  return hits;
}

function rapidInOut(inCurrency: readonly SettledMovement[], s: MonitorSettings, levels: CustomerLevels): PatternHit[] {
  const hits: PatternHit[] = [];
  const received = groupBy(inCurrency, (m) => customerSide(m.payeeId, m.payeeType));
  const sent = groupBy(inCurrency, (m) => customerSide(m.payerId, m.payerType));
  for (const [customer, ins] of received) {
    const firstIn = ins[0]?.at ?? 0;
    const outs = (sent.get(customer) ?? []).filter((m) => m.at >= firstIn);
    const inTotal = sum(ins);
    const outTotal = sum(outs);
    const inMin = thresholdsFor(s, levels.get(customer)).rapidInMin;
    if (inTotal >= inMin && outTotal * 100n >= inTotal * BigInt(s.rapidOutPercent)) {
      const details = {
        in: inTotal.toString(), out: outTotal.toString(), inMin: inMin.toString(),
        riskLevel: levelLabel(levels, customer),
      };
      hits.push(hit('rapid_in_out', customer, [...ins, ...outs], s, details));
    }
  }
  return hits;
}

function fans(movements: readonly SettledMovement[], s: MonitorSettings, levels: CustomerLevels): PatternHit[] {
  const hits: PatternHit[] = [];
  const wallets = movements.filter((m) => m.payerType !== 'bank_card' && m.payeeType !== 'bank_card');
  const fan = (pattern: 'fan_in' | 'fan_out', customer: string, list: SettledMovement[], counterparties: number) => {
    const counterpartiesMin = thresholdsFor(s, levels.get(customer)).fanCounterpartiesMin;
    if (counterparties < counterpartiesMin) return;
    const details = { counterparties, counterpartiesMin, riskLevel: levelLabel(levels, customer) };
    hits.push(hit(pattern, customer, list, s, details));
  };
  for (const [payee, list] of groupBy(wallets, (m) => customerSide(m.payeeId, m.payeeType)))
    fan('fan_in', payee, list, new Set(list.map((m) => m.payerId)).size);
  for (const [payer, list] of groupBy(wallets, (m) => customerSide(m.payerId, m.payerType)))
    fan('fan_out', payer, list, new Set(list.map((m) => m.payeeId)).size);
  for (const [device, list] of groupBy(wallets, (m) => m.deviceId ?? undefined)) {
    const payees = new Set(list.map((m) => m.payeeId)).size;
    const payers = new Set(list.map((m) => m.payerId)).size;
    if (payees >= s.devicePayeesMin) {
      hits.push(hit('device_payees', device, list, s, { payees, payers }, list[0]?.payerId ?? '', 'device'));
    }
  }
  return hits;
}

/** Every pattern but dormancy, over the window's movements (oldest first), each customer at its level's thresholds. */
export function detectPatterns(
  movements: readonly SettledMovement[], s: MonitorSettings, levels: CustomerLevels = new Map(),
): PatternHit[] {
  const inCurrency = movements.filter((m) => m.currency === s.currency);
  return [...structuring(inCurrency, s, levels), ...rapidInOut(inCurrency, s, levels), ...fans(inCurrency, s, levels)];
}

/** The customers whose level the window's patterns need (payers and payees that are people). */
export function customersIn(movements: readonly SettledMovement[]): string[] {
  const ids = new Set<string>();
  for (const m of movements) {
    const payer = customerSide(m.payerId, m.payerType);
    const payee = customerSide(m.payeeId, m.payeeType);
    if (payer !== undefined) ids.add(payer);
    if (payee !== undefined) ids.add(payee);
  }
  return [...ids];
}

/** Customers moving at least the wake amount in the window: the dormancy candidates, with their movements. */
export function dormancyCandidates(
  movements: readonly SettledMovement[],
  s: MonitorSettings,
): Map<string, SettledMovement[]> {
  const byCustomer = new Map<string, SettledMovement[]>();
  for (const m of movements.filter((x) => x.currency === s.currency)) {
    for (const id of [customerSide(m.payerId, m.payerType), customerSide(m.payeeId, m.payeeType)]) {
      if (id === undefined) continue;
      const list = byCustomer.get(id) ?? [];
      list.push(m);
      byCustomer.set(id, list);
    }
  }
  for (const [id, list] of byCustomer) if (sum(list) < s.dormantWakeAmountMin) byCustomer.delete(id);
  return byCustomer;
}

export function dormantWake(
  customerId: string,
  list: readonly SettledMovement[],
  silentMs: number,
  s: MonitorSettings,
): PatternHit {
  return hit('dormant_wake', customerId, list, s, { silentDays: Math.floor(silentMs / 86_400_000) });
}
