// decide.ts is the authority; anfu_ledger_apply (migration 190) must be its exact mirror. Random
// batches — linked units, repeated and conflicting keys, bad amounts, unknown and closed accounts,
// currency mismatches, overdrafts, holds posted, voided, expired, lapsed and twice resolved — go
// through both deciders on two PostgreSQL schemas that start equal; verdicts (codes and details),
// balances, holds, journal rows and the audit chain's hashes must come out identical.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { createTestDatabase, type TestDatabase } from '../store/testing.ts';
import type { PostgresStore } from '../store/index.ts';
import { postgresSkip } from '../testing/required-tools.ts';
import { postgresBatchApplier } from './postgres-batch.ts';
import { outcomeOf, requestHashOf } from './ledger.ts';
import type { Unit, Verdict } from './decide.ts';
import type { TransferRequest } from './types.ts';

const numRuns = Number(process.env.ANFU_PROPERTY_RUNS ?? 40);
// A failure prints its seed; ANFU_PROPERTY_SEED replays that run.
const replaySeed = process.env.ANFU_PROPERTY_SEED === undefined ? undefined : Number(process.env.ANFU_PROPERTY_SEED);
const skip = postgresSkip();

// Accounts of a run: 0–3 CNY wallets, 4 a USD wallet, 5 a closed CNY wallet, 6 a bank (may go negative).
const accountCount = 7;
type LegSpec =
  | {
    t: 'single' | 'hold'; from: number; to: number; amount: bigint; key: number; timeoutMs: number | null;
    currency: 'CNY' | 'USD';
  }
  | { t: 'post'; hold: number; amount: bigint | undefined; key: number }
  | { t: 'void' | 'expire'; hold: number; key: number };

const amountArb = fc.oneof(
  { weight: 8, arbitrary: fc.bigInt(1n, 4_000n) },
  { weight: 1, arbitrary: fc.constantFrom(0n, -5n, 2n ** 63n, 2n ** 63n - 1n) },
);
const legArb: fc.Arbitrary<LegSpec> = fc.oneof(
  { weight: 5, arbitrary: fc.record({
    t: fc.constantFrom('single' as const, 'hold' as const), from: fc.nat(accountCount), to: fc.nat(accountCount - 1),
    amount: amountArb, key: fc.nat(30), timeoutMs: fc.constantFrom(null, 0, 1_000, 60_000),
    currency: fc.constantFrom('CNY' as const, 'CNY' as const, 'USD' as const),
  }) },
  { weight: 2, arbitrary: fc.record({
    t: fc.constant('post' as const), hold: fc.nat(12), key: fc.nat(30),
    amount: fc.option(amountArb, { nil: undefined }),
  }) },
  { weight: 1, arbitrary: fc.record({
    t: fc.constantFrom('void' as const, 'expire' as const), hold: fc.nat(12), key: fc.nat(30),
  }) },
);
const unitArb = fc.array(legArb, { minLength: 1, maxLength: 3 });
const batchesArb = fc.array(fc.array(unitArb, { minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 4 });

interface Side {
  readonly database: TestDatabase;
  readonly store: PostgresStore;
  readonly apply: (batch: readonly Unit[], now: number) => Promise<Verdict[][]>;
}

let run = 0;

function requestOf(leg: LegSpec, prefix: string, holds: readonly bigint[]): TransferRequest {
  const key = `${prefix}-k${leg.key}`;
  if (leg.t === 'single' || leg.t === 'hold') {
    const base = {
      key, debitAccountId: `${prefix}-a${leg.from}`, creditAccountId: `${prefix}-a${leg.to}`, amount: leg.amount,
      currency: leg.currency,
    };
    if (leg.t === 'hold') return { kind: 'hold', ...base, timeoutMs: leg.timeoutMs };
    return { kind: 'single', ...base, reference: leg.key % 3 === 0 ? `ref ${leg.key} ü` : undefined };
  }
  const resolution = leg as Extract<LegSpec, { hold: number }>;
  const holdSeq = holds[resolution.hold] ?? 8_000_000_000n + BigInt(resolution.hold);
  if (resolution.t === 'post') return { kind: 'post', key, holdSeq, amount: resolution.amount };
  return { kind: resolution.t, key, holdSeq };
}

async function seed(store: PostgresStore, prefix: string): Promise<void> {
  for (let i = 0; i < accountCount; i++) {
    await store.run(
      `INSERT INTO ledger_accounts (id, kind, currency, name, allow_negative, status, created_at)
       VALUES (?, ?, ?, 'x', ?, ?, 0)`,
      [`${prefix}-a${i}`, i === 6 ? 'bank_settlement' : 'customer_wallet', i === 4 ? 'USD' : 'CNY', i === 6 ? 1 : 0,
        i === 5 ? 'closed' : 'open'],
    );
  }
}

async function snapshot(store: PostgresStore, prefix: string): Promise<unknown> {
  const like = `${prefix}-%`;
  return {
    accounts: await store.all('SELECT * FROM ledger_accounts WHERE id LIKE ? ORDER BY id', [like]),
    journal: await store.all('SELECT * FROM ledger_transfers WHERE idempotency_key LIKE ? ORDER BY seq', [like]),
    holds: await store.all(
      'SELECT h.* FROM ledger_holds h JOIN ledger_transfers t ON t.seq = h.seq WHERE t.idempotency_key LIKE ? '
        + 'ORDER BY h.seq',
      [like],
    ),
    audit: await store.all(
      'SELECT seq, at, details, leaf_hash, chain_hash FROM audit_entries ORDER BY seq',
    ),
  };
}

/**
 * Each run starts both sides from the same empty journal and audit chain, so a run that failed (one
 * side threw, the other committed) cannot make every later run — and every shrink — fail with it.
 */
async function reset(store: PostgresStore): Promise<void> {
  await store.run('TRUNCATE ledger_holds, ledger_transfers, audit_entries RESTART IDENTITY CASCADE');
  await store.run('UPDATE audit_head SET seq = 0, chain_hash = NULL WHERE id = 1');
}

/** Both sides answer the batch, or both refuse it with the same error. */
async function applyBoth(
  sides: readonly [Side, Side], batch: readonly Unit[], now: number,
): Promise<[Verdict[][], Verdict[][]]> {
  const [reference, mirrored] = await Promise.allSettled(sides.map((side) => side.apply(batch, now)));
  const failure = (r: PromiseSettledResult<unknown> | undefined): string | undefined =>
    (r?.status === 'rejected' ? String(r.reason) : undefined);
  assert.equal(failure(mirrored), failure(reference), 'the function and decide.ts must fail alike');
  if (reference?.status !== 'fulfilled' || mirrored?.status !== 'fulfilled') {
    throw new Error(`both sides failed: ${failure(reference)}`);
  }
  return [reference.value, mirrored.value];
}

async function runOnce(sides: readonly [Side, Side], batches: LegSpec[][][]): Promise<void> {
  const prefix = `r${run++}`;
  for (const side of sides) {
    await reset(side.store);
    await seed(side.store, prefix);
  }
  const holds: bigint[] = [];
  let now = 1_000_000;
  for (const specs of batches) {
    const batch: Unit[] = specs.map((legs) => legs.map((leg) => {
      const request = requestOf(leg, prefix, holds);
      return { request, requestHash: requestHashOf(request) };
    }));
    const [reference, mirrored] = await applyBoth(sides, batch, now);
    // What callers see of a verdict: its outcome (the working fields of a NewTransfer are internal).
    assert.deepEqual(mirrored.map((unit) => unit.map(outcomeOf)), reference.map((unit) => unit.map(outcomeOf)));
    for (const v of reference.flat()) {
      if (v.kind === 'applied' && v.transfer.kind === 'hold') holds.push(v.transfer.seq);
    }
    now += 700;
  }
  const [a, b] = await Promise.all(sides.map((side) => snapshot(side.store, prefix)));
  assert.deepEqual(b, a);
}

describe('anfu_ledger_apply decides exactly as decide.ts', { skip }, () => {
  let sides: [Side, Side];
  before(async () => {
    const open = async (decider: 'typescript' | 'function'): Promise<Side> => {
      const database = await createTestDatabase('postgres');
      const store = database.open(2) as PostgresStore;
      return { database, store, apply: postgresBatchApplier(store, { failoverWaitMs: 0 }, decider) };
    };
    sides = [await open('typescript'), await open('function')];
  });
  after(async () => {
    for (const side of sides) {
      await side.store.close();
      await side.database.drop();
    }
  });

  it('same verdicts, balances, holds, journal and audit hashes for random batches', { timeout: 240_000 }, async () => {
    await fc.assert(fc.asyncProperty(batchesArb, (batches) => runOnce(sides, batches)), { numRuns, seed: replaySeed });
  });
});
