// Identity's stored features on both stores, read back exactly at window edges: failed logins per
// customer, device fingerprint and /24 (`*.failed_logins_*`), distinct customers logged in per device
// fingerprint and /24 (`device.customers_30d`, `address.customers_30d`); and counter rows created by two
// processes at once (PostgreSQL: two stores on one schema, the second's first increment made to wait on the
// first's uncommitted row) keep both increments — money's counters and profiles, identity's counters.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Store } from '../store/index.ts';
import { createTestDatabase, testStoreKinds, type TestDatabase } from '../store/testing.ts';
import { estimate, windows } from './counters.ts';
import {
  countIdentityEvent, countFailedAttempt, identityStoredFeatures, type IdentitySubjects,
} from './identity-store.ts';
import type { MoneyEvent } from './money-features.ts';
import { loadStoredRows, profileOf, recordMoneyEvents } from './store.ts';

const day = 86_400_000;
/** A start that is a bucket edge of every window (a multiple of 30 days). */
const t0 = 660 * 30 * day;
const browser = 'f0'.repeat(32);
const login = (customerId: string, ip: string | null, deviceKey: string | null = browser): IdentitySubjects => ({
  event: 'login', customerId, deviceId: null, deviceKey, ip,
});

for (const kind of testStoreKinds()) {
  describe(`identity stored features (${kind})`, () => {
    let database: TestDatabase;
    let store: Store;
    let other: Store;

    before(async () => {
      database = await createTestDatabase(kind);
      store = database.open();
      other = database.open();
    });
    after(async () => {
      await store.close();
      await other.close();
      await database.drop();
    });

    const fail = (customerId: string | null, ip: string | null, at: number, deviceKey: string | null = browser) =>
      store.transaction((tx) => countFailedAttempt(tx, { attempt: 'login', customerId, deviceKey, ip }, at));

    test('failed logins per customer, device fingerprint and /24, exact at the bucket edges', async () => {
      await fail('cus_f1', '203.0.113.7', t0 + 1_000);
      await fail('cus_f1', '203.0.113.8', t0 + 2_000);
      // An unknown phone number: counted on the device and the address only.
      await fail(null, '203.0.113.9', t0 + 3_000);
      // Another browser, another network: the customer's only.
      await fail('cus_f1', '198.51.100.1', t0 + 4_000, 'aa'.repeat(32));
      const at = async (now: number) => {
        const f = await identityStoredFeatures(store, login('cus_f1', '203.0.113.200'), now);
        return [f['customer.failed_logins_1h'], f['device.failed_logins_1h'], f['address.failed_logins_1h']];
      };
      assert.deepEqual(await at(t0 + 3_600_000 - 1), [3, 3, 3]);
      // At the next bucket's start the previous one still counts whole; half an hour on, half; an hour on, none.
      assert.deepEqual(await at(t0 + 3_600_000), [3, 3, 3]);
      assert.deepEqual(await at(t0 + 5_400_000), [1, 1, 1]);
      assert.deepEqual(await at(t0 + 7_200_000), [0, 0, 0]);
      const later = await identityStoredFeatures(store, login('cus_f1', '203.0.113.200'), t0 + 7_200_000);
      assert.deepEqual(
        [later['customer.failed_logins_24h'], later['device.failed_logins_24h'], later['address.failed_logins_30d']],
        [3, 3, 3],
      );
      const minute = await identityStoredFeatures(store, login('cus_f1', '203.0.113.200'), t0 + 120_000);
      assert.equal(minute['customer.failed_logins_1m'], 0);
      // A factor change reads the customer's and the address's failures, not a device's (its key is the device id).
      const change = await identityStoredFeatures(
        store,
        { event: 'factor_change', customerId: 'cus_f1', deviceId: 'dev_1', deviceKey: 'dev_1', ip: '203.0.113.1' },
        t0 + 60_000,
      );
      assert.deepEqual(
        [change['customer.failed_logins_1h'], change['address.failed_logins_1h'], change['device.failed_logins_1h']],
        [3, 3, undefined],
      );
    });

    test('failed step-ups per customer and /24, apart from failed logins, read on every identity event', async () => {
      const at = t0 + 30 * day + 10_000;
      for (const ip of ['203.0.113.20', '203.0.113.21', null])
        await store.transaction((tx) =>
          countFailedAttempt(tx, { attempt: 'step_up', customerId: 'cus_s1', deviceKey: browser, ip }, at));
      for (const event of ['login', 'card_binding', 'factor_change'] as const) {
        const f = await identityStoredFeatures(
          store,
          { event, customerId: 'cus_s1', deviceId: null, deviceKey: browser, ip: '203.0.113.99' },
          t0 + 30 * day + 3_600_000,
        );
        assert.deepEqual(
          [f['customer.failed_step_ups_1h'], f['address.failed_step_ups_1h'], f['customer.failed_step_ups_1m'],
            f['customer.failed_logins_1h'], f['device.failed_logins_1h'] ?? 0],
          [3, 2, 0, 0, 0],
          event,
        );
      }
    });

    test('distinct customers per device fingerprint and /24 in 30 days: each customer once per bucket', async () => {
      const start = t0 + 60 * day;
      const decide = (s: IdentitySubjects, at: number) => store.transaction((tx) => countIdentityEvent(tx, s, at));
      for (const [i, id] of ['cus_d1', 'cus_d2', 'cus_d3', 'cus_d1', 'cus_d4', 'cus_d2'].entries())
        await decide(login(id, '192.0.2.10'), start + i * day);
      // Another browser on the same /24, and the same browser from another /24.
      await decide(login('cus_d5', '192.0.2.11', 'bb'.repeat(32)), start + 7 * day);
      await decide(login('cus_d6', '198.18.0.1'), start + 8 * day);
      const at = async (now: number, customerId = 'cus_new') => {
        const f = await identityStoredFeatures(store, login(customerId, '192.0.2.12'), now);
        return [f['device.customers_30d'], f['address.customers_30d']];
      };
      assert.deepEqual(await at(start + 30 * day - 1), [5, 5]);
      // The next bucket: the previous one counts whole at its start, half halfway, not at all a bucket on.
      assert.deepEqual(await at(start + 30 * day), [5, 5]);
      assert.deepEqual(await at(start + 45 * day), [2, 2]);
      assert.deepEqual(await at(start + 60 * day), [0, 0]);
      // Seen again in the next bucket, a customer counts there (and in the previous bucket while it weighs).
      await decide(login('cus_d1', '192.0.2.10'), start + 30 * day);
      await decide(login('cus_d1', '192.0.2.10'), start + 31 * day);
      assert.deepEqual(await at(start + 60 * day - 1), [1, 1]);
      // Card bindings and factor changes neither read nor count them.
      const binding = await identityStoredFeatures(
        store,
        { event: 'card_binding', customerId: 'cus_d1', deviceId: 'dev_1', deviceKey: 'dev_1', ip: '192.0.2.10' },
        start + 31 * day,
      );
      assert.equal(binding['device.customers_30d'], undefined);
    });

    test('two processes counting first events (at once on PostgreSQL) lose no increment', async () => {
      const now = t0 + 120 * day + 5_000;
      const payment = (i: number): MoneyEvent => ({
        event: 'payment', customerId: 'cus_race', deviceId: 'dev_race', ip: '203.0.113.77', payeeId: `cus_p${i}`,
        amount: { minor: 100n, currency: 'CNY' },
      });
      const rounds = 12;
      // SQLite's writers wait for the database lock synchronously: two stores in one process take turns.
      const together = async (work: Array<() => Promise<void>>) => {
        if (kind === 'postgres') await Promise.all(work.map((w) => w()));
        else for (const w of work) await w();
      };
      await together(
        Array.from({ length: rounds }, (_, i) => () =>
          (i % 2 === 0 ? store : other).transaction(async (tx) => {
            await recordMoneyEvents(tx, kind, [payment(i)], now);
            const deviceKey = 'cc'.repeat(32);
            const failure = { attempt: 'login', customerId: 'cus_race', deviceKey, ip: '203.0.113.77' } as const;
            await countFailedAttempt(tx, failure, now);
            await countIdentityEvent(tx, login(`cus_r${i % 3}`, '203.0.113.77', 'cc'.repeat(32)), now);
          }),
        ),
      );
      const rows = await loadStoredRows(store, [payment(0)]);
      const count = (key: string) => estimate(rows.counters.get(key), now, windows['1h']).count;
      assert.deepEqual(
        [count('cu:cus_race:CNY|1h'), count('dv:dev_race:CNY|1h'), count('ad:203.0.113.0/24:CNY|1h')],
        [rounds, rounds, rounds],
      );
      assert.equal(estimate(rows.counters.get('dpn:dev_race|24h'), now, windows['24h']).count, rounds);
      assert.equal((await profileOf(store, 'cus_race')).hours.reduce((a, b) => a + b, 0), rounds);
      const f = await identityStoredFeatures(store, login('cus_race', '203.0.113.77', 'cc'.repeat(32)), now);
      assert.deepEqual(
        [f['customer.failed_logins_1h'], f['device.failed_logins_1h'], f['device.count_1h'], f['device.customers_30d']],
        [rounds, rounds, rounds, 3],
      );
    });

    // PostgreSQL only (SQLite writers take the database lock at BEGIN: the second never reaches the rows), and
    // not declared on SQLite rather than skipped (CI fails on skipped tests).
    if (kind === 'postgres') {
      test('a first increment made to wait on another process creating the row keeps both', async () => {
        const now = t0 + 150 * day;
        // One customer on two devices: no first-seen mark in common (a shared one would make the second wait
        // before it reads the counters, hiding the race), the customer's counter row and profile in common.
        const event = (deviceId: string): MoneyEvent => ({
          event: 'payment', customerId: 'cus_wait', deviceId, ip: null, payeeId: null,
          amount: { minor: 250n, currency: 'CNY' },
        });
        const waitFailure = { attempt: 'login', customerId: 'cus_wait', deviceKey: null, ip: null } as const;
        let release = () => {};
        const held = new Promise<void>((resolve) => (release = resolve));
        let firstPid = 0;
        let ready = () => {};
        const started = new Promise<void>((resolve) => (ready = resolve));
        // The first process creates the rows and keeps its transaction open…
        const first = store.transaction(async (tx) => {
          await recordMoneyEvents(tx, 'postgres', [event('dev_a')], now);
          await countFailedAttempt(tx, waitFailure, now);
          firstPid = Number((await tx.get<{ pid: unknown }>('SELECT pg_backend_pid() AS pid'))?.pid);
          ready();
          await held;
        });
        await started;
        // …the second counts the same subjects and must wait for it, not write over it.
        const second = other.transaction(async (tx) => {
          await recordMoneyEvents(tx, 'postgres', [event('dev_b')], now + 1);
          await countFailedAttempt(tx, waitFailure, now + 1);
        });
        let waited = false;
        for (let i = 0; i < 500 && !waited; i += 1) {
          const row = await other.get<{ n: unknown }>(
            'SELECT COUNT(*) AS n FROM pg_stat_activity WHERE ? = ANY(pg_blocking_pids(pid))',
            [firstPid],
          );
          waited = Number(row?.n) > 0;
          if (!waited) await sleep(10);
        }
        assert.ok(waited, 'the second process waits on the first');
        release();
        await Promise.all([first, second]);
        const rows = await loadStoredRows(store, [event('dev_a')]);
        const at = now + 2;
        const customer = estimate(rows.counters.get('cu:cus_wait:CNY|24h'), at, windows['24h']);
        assert.deepEqual(customer, { count: 2, sum: 500 });
        assert.equal(estimate(rows.counters.get('cu:cus_wait:CNY|1m'), at, windows['1m']).count, 2);
        assert.equal((await profileOf(store, 'cus_wait')).hours.reduce((a, b) => a + b, 0), 2);
        const f = await identityStoredFeatures(store, login('cus_wait', null, null), at);
        assert.equal(f['customer.failed_logins_1h'], 2);
      });
    }
  });
}
