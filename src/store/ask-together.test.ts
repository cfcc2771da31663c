// Reads asked together answer exactly what each read alone answers, on both stores; on PostgreSQL
// lookups made at once share statements (fewer than the lookups), errors reach every waiter of the
// failed statement only, and a read inside a transaction is never joined with others.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { askTogether, type PostgresStore, type Queryable, type Store } from './index.ts';
import { createTestDatabase, testStoreKinds } from './testing.ts';
import { customerFreezes, deviceFrozen } from '../support/index.ts';
import { payerHistory, paymentByKey } from '../payments/index.ts';

/** A stand-in PostgreSQL store for the batching itself: `many` is counted and may fail on a key. */
function countingRead(failOn?: string) {
  const statements: string[][] = [];
  const singles: string[] = [];
  const read = askTogether<string, string>({
    identity: (key) => key,
    async one(_q, key) { singles.push(key); return `v:${key}`; },
    async many(_store, keys) {
      statements.push([...keys]);
      await new Promise((resolve) => setTimeout(resolve, 5));
      if (failOn !== undefined && keys.includes(failOn)) throw new Error('statement failed');
      return keys.map((key) => `v:${key}`);
    },
  }, { keysMax: 8, inFlightMax: 2 });
  return { read, statements, singles };
}

const fakePostgres = { dialect: 'postgres', pool: {}, transaction: async () => undefined } as unknown as PostgresStore;

test('lookups asked at once share statements, each answered with its own value', async () => {
  const { read, statements, singles } = countingRead();
  const keys = Array.from({ length: 40 }, (_, i) => `k${Math.floor(i / 2)}`);
  const values = await Promise.all(keys.map((key) => read(fakePostgres, key)));
  assert.deepEqual(values, keys.map((key) => `v:${key}`));
  assert.equal(singles.length, 0);
  assert.equal(statements.length, 3, '20 distinct keys at 8 a statement');
  const distinctWithinMax = (batch: string[]) => batch.length <= 8 && new Set(batch).size === batch.length;
  assert.ok(statements.every(distinctWithinMax), 'at most keysMax distinct keys each');
  assert.equal(statements.flat().length, 20, 'a key asked twice at once is read once');
});

test('a failed statement fails its own waiters only; later lookups are answered', async () => {
  const { read } = countingRead('bad');
  const first = await Promise.allSettled(['a', 'bad', 'b'].map((key) => read(fakePostgres, key)));
  assert.deepEqual(first.map((r) => r.status), ['rejected', 'rejected', 'rejected']);
  assert.deepEqual(await Promise.all(['c', 'd'].map((key) => read(fakePostgres, key))), ['v:c', 'v:d']);
});

test('inside a transaction (or on SQLite) a lookup is its own statement', async () => {
  const { read, statements, singles } = countingRead();
  const tx: Queryable = { all: async () => [], get: async () => undefined, run: async () => 0 };
  assert.deepEqual(await Promise.all(['x', 'y'].map((key) => read(tx, key))), ['v:x', 'v:y']);
  assert.deepEqual(singles, ['x', 'y']);
  assert.equal(statements.length, 0);
});

interface World {
  readonly claimFrozen: string[];
  readonly sanctionsFrozen: string[];
  readonly payments: { payer: string; payee: string; at: number; succeeded: boolean }[];
  readonly since: number;
}

const customers = Array.from({ length: 8 }, (_, i) => `cus_${i}`);

const worlds: fc.Arbitrary<World> = fc.record({
  claimFrozen: fc.subarray(customers),
  sanctionsFrozen: fc.subarray(customers),
  payments: fc.array(fc.record({
    payer: fc.constantFrom(...customers), payee: fc.constantFrom(...customers),
    at: fc.integer({ min: 0, max: 1_000 }), succeeded: fc.boolean(),
  }), { maxLength: 20 }),
  since: fc.integer({ min: 0, max: 1_000 }),
});

async function caseFor(store: Queryable, id: string, customerId: string): Promise<string> {
  await store.run(
    `INSERT INTO cases (id, kind, dedupe_key, queue, title, subject_type, subject_id, customer_id, severity, status,
       opened_by, details, created_at, updated_at)
     VALUES (?, 'test', ?, 'test', 't', 'customer', ?, ?, 'low', 'open', 'test', '{}', 0, 0)`,
    [id, id, customerId, customerId],
  );
  return id;
}

async function build(store: Queryable, world: World): Promise<void> {
  for (const table of ['support_freezes', 'sanctions_freezes', 'payments', 'cases']) {
    await store.run(`DELETE FROM ${table}`);
  }
  for (const c of world.claimFrozen) {
    await store.run(
      'INSERT INTO support_freezes (id, case_id, customer_id, device_id, active, created_at) VALUES (?, ?, ?, ?, 1, 0)',
      [`fr_${c}`, await caseFor(store, `case_fr_${c}`, c), c, `dev_${c}`],
    );
  }
  for (const c of world.sanctionsFrozen) {
    await store.run(
      'INSERT INTO sanctions_freezes (id, case_id, customer_id, active, created_at) VALUES (?, ?, ?, 1, 0)',
      [`sf_${c}`, await caseFor(store, `case_sf_${c}`, c), c],
    );
  }
  for (const [i, p] of world.payments.entries()) {
    await store.run(
      `INSERT INTO payments (id, kind, state, payer_id, payee_id, merchant_id, order_id, amount, currency, fee,
         refunded_amount, idempotency_key, request_hash, failure_code, risk_reasons, limit_day, limit_year,
         created_at, updated_at)
       VALUES (?, 'transfer', ?, ?, ?, NULL, NULL, 100, 'CNY', 0, 0, ?, 'h', NULL, '[]', 0, 0, ?, ?)`,
      [`pay_${i}`, p.succeeded ? 'succeeded' : 'failed', p.payer, p.payee, `key_${i}`, p.at, p.at],
    );
  }
}

/** A queryable that is not the store itself (as a transaction's is): the one-statement path. */
function alone(store: Queryable): Queryable {
  return {
    all: (sql, params) => store.all(sql, params),
    get: (sql, params) => store.get(sql, params),
    run: (sql, params) => store.run(sql, params),
  };
}

async function checkWorld(store: Store, world: World): Promise<void> {
  await build(store, world);
  const freezesOf = (q: Queryable) => Promise.all(customers.map(async (c) => ({
    customer: await customerFreezes(q, c), device: await deviceFrozen(q, `dev_${c}`),
  })));
  const together = await freezesOf(store);
  assert.deepEqual(together, await freezesOf(alone(store)));
  assert.deepEqual(together, customers.map((c) => ({
    customer: { claim: world.claimFrozen.includes(c), sanctions: world.sanctionsFrozen.includes(c) },
    device: world.claimFrozen.includes(c),
  })));
  const pairs = customers.flatMap((c) => Array.from({ length: 21 }, (_, k) => [c, `key_${k}`] as const));
  const byKey = await Promise.all(pairs.map(([c, k]) => paymentByKey(store, c, k)));
  const byKeyAlone = [];
  for (const [c, k] of pairs) byKeyAlone.push(await paymentByKey(alone(store), c, k));
  assert.deepEqual(byKey, byKeyAlone);
  assert.equal(byKey.filter((p) => p !== undefined).length, world.payments.length, 'every payment found by its key');
  const asks = customers.flatMap((a) => customers.map((b) => [a, b] as const));
  const histories = await Promise.all(asks.map(([a, b]) => payerHistory(store, a, b, world.since)));
  asks.forEach(([a, b], i) => {
    const expected = {
      recentPaymentCount: world.payments.filter((p) => p.payer === a && p.at >= world.since).length,
      paidBefore: world.payments.some((p) => p.payer === a && p.payee === b && p.succeeded),
    };
    assert.deepEqual(histories[i], expected, `${a} → ${b}`);
  });
}

for (const kind of testStoreKinds()) {
  test(`${kind}: freezes, idempotency keys and payer history asked together equal each asked alone`, async () => {
    const db = await createTestDatabase(kind);
    const store = db.open();
    try {
      await fc.assert(fc.asyncProperty(worlds, (world) => checkWorld(store, world)), { numRuns: 12 });
    } finally {
      await store.close();
      await db.drop();
    }
  });
}
