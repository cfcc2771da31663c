// Suspicious patterns in one window of settled money, decided purely from the movements (the
// dormancy check also needs each candidate's last earlier activity, which the caller loads):
//   structuring        several payments each just under a reporting line;
//   rapid_in_out       money received and sent on almost whole within the window (pass-through);
//   fan_in / fan_out   many distinct senders to one customer / payees from one customer;
//   device_payees      many distinct payees paid from one device;
//   dormant_wake       a long-silent customer suddenly moving a large amount.
import type { SettledMovement } from './settled-money.ts';
import type { MonitorSettings } from './thresholds.ts';

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

function structuring(inCurrency: readonly SettledMovement[], s: MonitorSettings): PatternHit[] {
  const floor = (s.structuringLine * BigInt(100 - s.structuringBandPercent)) / 100n;
  const near = inCurrency.filter((m) => m.amount >= floor && m.amount < s.structuringLine);
  const hits: PatternHit[] = [];
  for (const [payer, list] of groupBy(near, (m) => customerSide(m.payerId, m.payerType))) {
    if (list.length >= s.structuringCountMin) {
      hits.push(hit('structuring', payer, list, s, { count: list.length, line: s.structuringLine.toString() }));
    }
  }
  return hits;
}

function rapidInOut(inCurrency: readonly SettledMovement[], s: MonitorSettings): PatternHit[] {
  const hits: PatternHit[] = [];
  const received = groupBy(inCurrency, (m) => customerSide(m.payeeId, m.payeeType));
  const sent = groupBy(inCurrency, (m) => customerSide(m.payerId, m.payerType));
  for (const [customer, ins] of received) {
    const firstIn = ins[0]?.at ?? 0;
    const outs = (sent.get(customer) ?? []).filter((m) => m.at >= firstIn);
    const inTotal = sum(ins);
    const outTotal = sum(outs);
    if (inTotal >= s.rapidInMin && outTotal * 100n >= inTotal * BigInt(s.rapidOutPercent)) {
      hits.push(
        hit('rapid_in_out', customer, [...ins, ...outs], s, { in: inTotal.toString(), out: outTotal.toString() }),
      );
    }
  }
  return hits;
}

function fans(movements: readonly SettledMovement[], s: MonitorSettings): PatternHit[] {
  const hits: PatternHit[] = [];
  const wallets = movements.filter((m) => m.payerType !== 'bank_card' && m.payeeType !== 'bank_card');
  for (const [payee, list] of groupBy(wallets, (m) => customerSide(m.payeeId, m.payeeType))) {
    const senders = new Set(list.map((m) => m.payerId)).size;
    if (senders >= s.fanCounterpartiesMin) hits.push(hit('fan_in', payee, list, s, { counterparties: senders }));
  }
  for (const [payer, list] of groupBy(wallets, (m) => customerSide(m.payerId, m.payerType))) {
    const payees = new Set(list.map((m) => m.payeeId)).size;
    if (payees >= s.fanCounterpartiesMin) hits.push(hit('fan_out', payer, list, s, { counterparties: payees }));
  }
  for (const [device, list] of groupBy(wallets, (m) => m.deviceId ?? undefined)) {
    const payees = new Set(list.map((m) => m.payeeId)).size;
    const payers = new Set(list.map((m) => m.payerId)).size;
    if (payees >= s.devicePayeesMin) {
      hits.push(hit('device_payees', device, list, s, { payees, payers }, list[0]?.payerId ?? '', 'device'));
    }
  }
  return hits;
}

/** Every pattern but dormancy, over the window's movements (oldest first). */
export function detectPatterns(movements: readonly SettledMovement[], s: MonitorSettings): PatternHit[] {
  const inCurrency = movements.filter((m) => m.currency === s.currency);
  return [...structuring(inCurrency, s), ...rapidInOut(inCurrency, s), ...fans(inCurrency, s)];
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
