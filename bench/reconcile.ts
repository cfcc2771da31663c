// Reconciliation benchmark. (1) 1 000 000 statement lines, streamed one at a time (never held as a
// list), matched against 1 000 000 ledger expectations by the real matcher; the ceiling, measured in
// the same run, is a bare hash join of the same keys (a Map lookup per line, nothing else). Peak RSS
// is the process's maximum resident set. (2) A seeded run of 10 000 payments through the simulator's
// engine with every fault type injected: every fault found as what it is, nothing else flagged.
// Usage: anfu bench reconcile [--lines N] [--payments N] [--json]
import os from 'node:os';
import { Matcher, defaultMatcherOptions, type Expectation, type StatementLine } from '../src/reconciliation/matcher.ts';
import { seededFaultRun } from '../src/reconciliation/fault-run.ts';

function option(args: readonly string[], name: string, fallback: number): number {
  const index = args.indexOf(`--${name}`);
  const value = index === -1 ? undefined : Number(args[index + 1]);
  return value !== undefined && Number.isInteger(value) && value > 0 ? value : fallback;
}

const date = '2026-12-02';
const idOf = (i: number): string => `cin_${i.toString(36).padStart(10, '0')}`;
const amountOf = (i: number): bigint => BigInt(100 + ((i * 7919) % 1_000_000));

function* expectations(n: number): Generator<Expectation> {
  for (let i = 0; i < n; i += 1)
    yield {
      id: idOf(i),
      endToEndId: idOf(i),
      direction: 'debit',
      amount: amountOf(i),
      currency: 'CNY',
      valueDate: date,
    };
}

/** The statement, line by line in a shuffled-but-deterministic order. */
function* lines(n: number): Generator<StatementLine> {
  const step = 1_000_003 % n === 0 ? 1 : 1_000_003;
  for (let k = 0; k < n; k += 1) {
    const i = (k * step) % n;
    yield {
      id: `l${k}`,
      direction: 'debit',
      amount: amountOf(i),
      currency: 'CNY',
      valueDate: date,
      endToEndIds: [idOf(i)],
      fee: false,
    };
  }
}

function ceiling(n: number): number {
  const map = new Map<string, bigint>();
  for (const e of expectations(n)) map.set(`debit:${e.endToEndId}`, e.amount);
  const started = performance.now();
  let hits = 0;
  for (const line of lines(n)) if (map.get(`debit:${line.endToEndIds[0] as string}`) === line.amount) hits += 1;
  if (hits !== n) throw new Error('ceiling: a key did not match');
  return performance.now() - started;
}

export async function run(args: string[]): Promise<unknown> {
  const n = option(args, 'lines', 1_000_000);
  const payments = option(args, 'payments', 10_000);
  const setupStarted = performance.now();
  let matched = 0;
  const matcher = new Matcher(expectations(n), {
    ...defaultMatcherOptions,
    statementDate: date,
    reconciledBefore: new Set(),
    onMatch: () => void (matched += 1),
  });
  const setupMs = performance.now() - setupStarted;
  const started = performance.now();
  for (const line of lines(n)) matcher.add(line);
  const result = matcher.finish();
  const matchMs = performance.now() - started;
  if (matched !== n || result.breaks.length !== 0)
    throw new Error(`matched ${matched} of ${n}, ${result.breaks.length} breaks`);
  const ceilingMs = ceiling(n);
  const faultStarted = performance.now();
  const faults = seededFaultRun(payments, 20_261_202);
  const faultMs = performance.now() - faultStarted;
  await Promise.resolve();
  return {
    benchmark: 'reconcile',
    lines: n,
    indexMs: Math.round(setupMs),
    matchMs: Math.round(matchMs),
    totalMs: Math.round(setupMs + matchMs),
    heldTo: { totalMsUnder: 10_000, ok: setupMs + matchMs < 10_000 },
    ceiling: { what: 'bare Map hash join of the same keys, same run', ms: Math.round(ceilingMs) },
    ratio: Number((matchMs / ceilingMs).toFixed(2)),
    peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
    faultRun: {
      payments: faults.payments,
      injected: faults.injected,
      found: faults.found,
      missed: faults.missed.length,
      spurious: faults.spurious.length,
      byType: faults.byType,
      ms: Math.round(faultMs),
      ok: faults.missed.length === 0 && faults.spurious.length === 0,
    },
    loadAverage: os.loadavg().map((l) => Number(l.toFixed(2))),
    cpus: os.cpus().length,
  };
}
