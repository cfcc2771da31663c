// After a drill: what the database holds, held against what the client was told. Every acknowledged
// transfer is present exactly once, every refused one is absent, every unknown one at most once, and
// each account's balance is exactly its starting balance plus the transfers that are present.
import type { Store } from '../store/index.ts';
import { toBigInt } from '../store/index.ts';
import type { RequestRecord } from './drill-load.ts';

export interface HistoryReport {
  readonly acknowledged: number;
  readonly refused: number;
  readonly unknown: number;
  readonly unknownApplied: number;
  readonly violations: string[];
}

const violationsShownMax = 20;

/** `scope`: the principal id the API prefixes to idempotency keys (keys are scoped per caller). */
export async function checkHistory(
  store: Store,
  scope: string,
  records: readonly RequestRecord[],
  startBalances: ReadonlyMap<string, bigint>,
): Promise<HistoryReport> {
  const rows = await store.all<{ idempotency_key: string }>(
    "SELECT idempotency_key FROM ledger_transfers WHERE idempotency_key LIKE ? AND kind = 'single'",
    [`${scope}:drill-%`],
  );
  const found = new Map<string, number>();
  for (const row of rows) found.set(row.idempotency_key, (found.get(row.idempotency_key) ?? 0) + 1);
  const violations: string[] = [];
  const expected = new Map(startBalances);
  let unknownApplied = 0;
  for (const record of records) {
    const count = found.get(`${scope}:${record.key}`) ?? 0;
    const expectedCount = record.outcome === 'acknowledged' ? 1 : 0;
    if (record.outcome !== 'unknown' && count !== expectedCount) {
      violations.push(`${record.outcome} ${record.key} (${record.detail ?? ''}) is present ${count} times`);
    }
    if (record.outcome === 'unknown' && count > 1) violations.push(`unknown ${record.key} is present ${count} times`);
    if (record.outcome === 'unknown' && count === 1) unknownApplied++;
    if (count >= 1) {
      expected.set(record.debitAccountId, (expected.get(record.debitAccountId) ?? 0n) - record.amountMinor);
      expected.set(record.creditAccountId, (expected.get(record.creditAccountId) ?? 0n) + record.amountMinor);
    }
  }
  const keys = new Set(records.map((r) => `${scope}:${r.key}`));
  for (const key of found.keys()) if (!keys.has(key)) violations.push(`${key} is in the ledger but was never sent`);
  for (const [id, balance] of await balancesOf(store, [...expected.keys()])) {
    const wanted = expected.get(id);
    if (balance !== wanted) violations.push(`account ${id} holds ${balance}, expected ${String(wanted)}`);
  }
  const count = (outcome: string) => records.filter((r) => r.outcome === outcome).length;
  return {
    acknowledged: count('acknowledged'), refused: count('refused'), unknown: count('unknown'), unknownApplied,
    violations: violations.slice(0, violationsShownMax),
  };
}

export async function balancesOf(store: Store, accountIds: readonly string[]): Promise<Map<string, bigint>> {
  const balances = new Map<string, bigint>();
  for (const id of accountIds) {
    const row = await store.get<{ credits_posted: unknown; debits_posted: unknown }>(
      'SELECT credits_posted, debits_posted FROM ledger_accounts WHERE id = ?', [id],
    );
    if (row !== undefined) balances.set(id, toBigInt(row.credits_posted) - toBigInt(row.debits_posted));
  }
  return balances;
}

export interface WindowFigures {
  /** The longest time no write was acknowledged, around the fault. */
  readonly writeOutageSeconds: number;
  /** The longest gap's ends, in ms after the fault: the last acknowledgement before it, the first after. */
  readonly outageFromMs: number;
  readonly outageToMs: number;
  readonly throughputBeforePerSecond: number;
  readonly throughputAfterPerSecond: number;
}

/** Acknowledgements per second before the fault and after writes resumed; the longest gap between them. */
export function windowFigures(records: readonly RequestRecord[], faultAtMs: number, windowMs: number): WindowFigures {
  const acks = records.filter((r) => r.outcome === 'acknowledged').map((r) => r.settledAtMs).sort((a, b) => a - b);
  let gapMs = 0;
  let resumedAtMs = faultAtMs;
  let stoppedAtMs = faultAtMs;
  let previous = acks.filter((t) => t < faultAtMs).at(-1) ?? faultAtMs;
  for (const t of acks.filter((t) => t >= faultAtMs)) {
    if (t - previous > gapMs) {
      gapMs = t - previous;
      resumedAtMs = t;
      stoppedAtMs = previous;
    }
    previous = t;
  }
  const before = acks.filter((t) => t >= faultAtMs - windowMs && t < faultAtMs).length;
  const after = acks.filter((t) => t >= resumedAtMs && t < resumedAtMs + windowMs).length;
  const perSecond = (count: number) => count / (windowMs / 1000);
  return {
    writeOutageSeconds: gapMs / 1000,
    outageFromMs: stoppedAtMs - faultAtMs,
    outageToMs: resumedAtMs - faultAtMs,
    throughputBeforePerSecond: perSecond(before),
    throughputAfterPerSecond: perSecond(after),
  };
}
