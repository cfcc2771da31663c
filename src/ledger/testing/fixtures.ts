// Test support for the ledger's scenario, property, concurrency and crash tests: seeded randomness
// (the ledger folder never uses Math.random), account set-up, and the checks every test ends with.
import assert from 'node:assert/strict';
import { toBigInt, type Store } from '../../store/index.ts';
import type { Ledger } from '../ledger.ts';
import { balanceOf, type AccountKind } from '../types.ts';

/** mulberry32: small, fast and good enough to pick operations; the seed makes a failure replayable. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function pick<T>(random: () => number, items: readonly T[]): T {
  const item = items[Math.floor(random() * items.length)];
  if (item === undefined) throw new Error('pick from an empty list');
  return item;
}

export interface AccountSpec {
  readonly name: string;
  readonly kind: AccountKind;
  readonly currency: string;
}

/** Opens the named accounts; returns their ids by name. */
export async function openAccounts(ledger: Ledger, specs: readonly AccountSpec[]): Promise<Map<string, string>> {
  const ids = new Map<string, string>();
  for (const spec of specs) {
    const account = await ledger.openAccount({ kind: spec.kind, currency: spec.currency, name: spec.name });
    ids.set(spec.name, account.id);
  }
  return ids;
}

export function idOf(ids: ReadonlyMap<string, string>, name: string): string {
  const id = ids.get(name);
  if (id === undefined) throw new Error(`no account named ${name}`);
  return id;
}

export interface Balances {
  readonly balance: bigint;
  readonly debitsPending: bigint;
  readonly creditsPending: bigint;
  readonly allowNegative: boolean;
  readonly currency: string;
}

/** Balances straight from the account rows, by id. */
export async function balancesOf(store: Store, ids: readonly string[]): Promise<Map<string, Balances>> {
  const result = new Map<string, Balances>();
  // Bounded IN lists: the tests use a handful of accounts per query.
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = ids.slice(i, i + 500);
    const rows = await store.all(
      `SELECT id, currency, allow_negative, debits_posted, credits_posted, debits_pending, credits_pending FROM ledger_accounts WHERE id IN (${chunk.map(() => '?').join(', ')})`,
      chunk,
    );
    for (const row of rows) {
      result.set(String(row.id), {
        balance: balanceOf({ creditsPosted: toBigInt(row.credits_posted), debitsPosted: toBigInt(row.debits_posted) }),
        debitsPending: toBigInt(row.debits_pending),
        creditsPending: toBigInt(row.credits_pending),
        allowNegative: toBigInt(row.allow_negative) === 1n,
        currency: String(row.currency),
      });
    }
  }
  return result;
}

/** Journal rows whose idempotency key starts with `prefix`: key → seqs (a key twice would be a bug). */
export async function journalByKey(store: Store, prefix: string): Promise<Map<string, bigint[]>> {
  const rows = await store.all('SELECT idempotency_key, seq FROM ledger_transfers WHERE idempotency_key LIKE ? ORDER BY seq', [`${prefix}%`]);
  const byKey = new Map<string, bigint[]>();
  for (const row of rows) {
    const key = String(row.idempotency_key);
    byKey.set(key, [...(byKey.get(key) ?? []), toBigInt(row.seq)]);
  }
  return byKey;
}

/**
 * The closing checks of every test that moves money: the ledger verifies, the given accounts'
 * balances sum to zero per currency (they form a closed system funded from their own settlement
 * account), and no account that may not go negative has a negative posted or available balance.
 */
export async function assertLedgerWhole(ledger: Ledger, accountIds: readonly string[]): Promise<Map<string, Balances>> {
  const report = await ledger.verify();
  assert.deepEqual(report.problems, [], 'verify() found problems');
  assert.equal(report.ok, true);
  const balances = await balancesOf(ledger.store, accountIds);
  assert.equal(balances.size, accountIds.length, 'every account exists');
  const sums = new Map<string, bigint>();
  for (const [id, b] of balances) {
    sums.set(b.currency, (sums.get(b.currency) ?? 0n) + b.balance);
    if (!b.allowNegative) {
      assert.ok(b.balance >= 0n, `account ${id} has a negative balance ${b.balance}`);
      assert.ok(b.balance - b.debitsPending >= 0n, `account ${id} has a negative available balance`);
    }
  }
  for (const [currency, sum] of sums) assert.equal(sum, 0n, `money is not conserved in ${currency}`);
  return balances;
}
