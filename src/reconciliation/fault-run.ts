// A seeded run of N payments through the bank simulator's engine (the code `anfu clearing-sim` runs)
// with every fault type injected at random: pain.001 batches in, pacs.002 / camt.054 / camt.053 out,
// each read back by Anfu's own readers and the statement matched. It returns what was injected and
// what was found, so a test (small N) and the benchmark (N = 10 000) can demand they be equal.
import {
  SimBank, camtReader, pain001, parseSimRules, parseStatusReport, type CamtEntry, type SimAction,
} from '../clearing/index.ts';
import { lineOf } from './import.ts';
import { Matcher, defaultMatcherOptions, type Expectation } from './matcher.ts';

export const faultTypes = [
  'reject', 'return', 'delay', 'fee', 'duplicate', 'drop', 'shift_value_date', 'change_amount',
] as const;
type Fault = (typeof faultTypes)[number];

/** What each fault is found as: a status, a return, or a break class. */
const foundAs: Readonly<Record<Fault, string>> = {
  reject: 'rejected', return: 'returned', delay: 'pending', fee: 'fee_variance', duplicate: 'duplicate',
  drop: 'missing_on_bank_side', shift_value_date: 'value_date_mismatch', change_amount: 'amount_mismatch',
};

export interface FaultRunResult {
  readonly payments: number;
  readonly injected: number;
  readonly found: number;
  readonly missed: string[];
  readonly spurious: string[];
  readonly byType: Record<string, number>;
}

function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function readEntries(text: string): CamtEntry[] {
  const out: CamtEntry[] = [];
  const reader = camtReader({ header: () => undefined, entry: (_h, e) => out.push(e) });
  reader.write(text);
  reader.end();
  return out;
}

function ruleOf(e2e: string, fault: Fault): unknown {
  const action: SimAction = fault;
  return {
    match: { endToEndId: e2e }, action,
    ...(fault === 'reject' || fault === 'return' ? { code: 'AC04' } : {}),
    ...(fault === 'fee' ? { amount: '1.50' } : {}),
    ...(fault === 'change_amount' ? { amount: '-0.07' } : {}),
    ...(fault === 'shift_value_date' ? { days: 2 } : {}),
  };
}

export function seededFaultRun(payments: number, seed: number, faultShare = 0.1): FaultRunResult {
  const [random, date, injected, rules] = [prng(seed), '2026-12-02', new Map<string, string>(), [] as unknown[]];
  const transfers = Array.from({ length: payments }, (_, i) => {
    const e2e = `pay${String(i).padStart(8, '0')}`;
    if (random() < faultShare) {
      const fault = faultTypes[Math.floor(random() * faultTypes.length)] as Fault;
      injected.set(e2e, foundAs[fault]);
      rules.push(ruleOf(e2e, fault));
    }
    const [amount, creditorName] = [BigInt(100 + Math.floor(random() * 1_000_000)), `Payee ${i}`];
    const [creditorAccount, creditorAgent] = [`6217${String(i).padStart(12, '0')}`, '102100099996'];
    const currency = 'CNY';
    return { instructionId: e2e, endToEndId: e2e, amount, currency, creditorName, creditorAccount, creditorAgent };
  });
  const bank = new SimBank(parseSimRules({ account: '6222000011112222', currency: 'CNY', opening: '0', rules }), date);
  const found = new Map<string, string>();
  const accepted = new Map<string, bigint>();
  const apply = (report: string): void => {
    for (const line of parseStatusReport(report).lines) {
      if (line.status === 'RJCT') found.set(line.endToEndId, 'rejected');
      else if (line.status === 'PDNG') found.set(line.endToEndId, 'pending');
      else accepted.set(line.endToEndId, transfers[Number(line.endToEndId.slice(3))]?.amount ?? 0n);
    }
  };
  for (let i = 0; i < transfers.length; i += 1000) {
    const chunk = transfers.slice(i, i + 1000);
    apply(
      bank.receive(
        pain001({
          messageId: `batch${i}`,
          created: `${date}T09:00:00Z`,
          valueDate: date, currency: 'CNY', debtorName: 'Anfu', debtorAccount: '6222000011112222',
          debtorAgent: 'ICBKCNBJSHI', transfers: chunk,
        }),
      ),
    );
  }
  const returns = new Set<string>();
  const notification = bank.notification();
  for (const e of notification === undefined ? [] : readEntries(notification)) {
    const id = e.details[0]?.endToEndId;
    if (id !== undefined && e.direction === 'credit' && e.bankCode?.endsWith('/RRTN') === true) returns.add(id);
  }
  for (const id of returns) found.set(id, 'returned');
  const statement = bank.endOfDay();
  for (const report of bank.laterReports()) apply(report);
  const expectations: Expectation[] = [];
  for (const [id, amount] of accepted) {
    expectations.push({ id, endToEndId: id, direction: 'debit', amount, currency: 'CNY', valueDate: date });
    if (returns.has(id))
      expectations.push({
        id: `${id}:return`,
        endToEndId: id, direction: 'credit', amount, currency: 'CNY', valueDate: date,
      });
  }
  const matcher = new Matcher(expectations, {
    ...defaultMatcherOptions, statementDate: date, reconciledBefore: new Set(),
  });
  readEntries(statement).forEach((e, n) => matcher.add(lineOf(`l${n}`, e)));
  for (const b of matcher.finish().breaks) {
    const id = b.endToEndId ?? `line:${b.lineIds[0] ?? '?'}`;
    // A delayed payment is found by its pending status; it is booked later and must then match.
    found.set(id, found.get(id) === 'pending' ? `pending+${b.class}` : b.class);
  }
  const missed = [...injected].filter(([id, what]) => found.get(id) !== what).map(([id, what]) => `${id}:${what}`);
  const spurious = [...found].filter(([id, what]) => injected.get(id) !== what).map(([id, what]) => `${id}:${what}`);
  const byType: Record<string, number> = {};
  for (const what of injected.values()) byType[what] = (byType[what] ?? 0) + 1;
  return { payments, injected: injected.size, found: found.size, missed, spurious, byType };
}
