// Leases: one holder at a time, renewed by its holder, taken over only after expiry — on both stores.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { testStoreKinds, withTestStore } from './testing.ts';
import { acquireLease, passLeaseMs, releaseLease, runUnderLease, underLease } from './index.ts';

for (const kind of testStoreKinds()) {
  test(`${kind}: a lease has one holder until it expires or is released`, async () => {
    const { store, release } = await withTestStore(kind);
    try {
      const lease = (holder: string, now: number) =>
        acquireLease(store, { name: 'sweep:holds', holder, ttlMs: 10_000, now });
      assert.equal(await lease('a', 1_000), true);
      assert.equal(await lease('b', 1_000), false, 'held by a');
      assert.equal(await lease('a', 5_000), true, 'renewed by its holder');
      assert.equal(await lease('b', 14_999), false, 'a renewed until 15 000');
      assert.equal(await lease('b', 15_000), true, 'expired: b takes it');
      assert.equal(await lease('a', 15_001), false);
      await releaseLease(store, 'sweep:holds', 'b');
      assert.equal(await lease('a', 15_002), true, 'released: free at once');
      const other = { name: 'sweep:payments', holder: 'b', ttlMs: 10_000, now: 15_002 };
      assert.equal(await acquireLease(store, other), true, 'leases are per job');
    } finally {
      await release();
    }
  });

  test(`${kind}: a pass under a lease runs alone, gives the lease back, and a dead holder's lease lapses`, async () => {
    const { store, release } = await withTestStore(kind);
    try {
      const at = (now: number) => () => now;
      let inner: { ran: boolean } | undefined;
      const outer = await underLease(store, 'payments.refunds', at(1_000), async () => {
        inner = await underLease(store, 'payments.refunds', at(2_000), async () => 'twice');
        return 'once';
      });
      assert.deepEqual(outer, { ran: true, result: 'once' });
      assert.deepEqual(inner, { ran: false }, 'never two passes at once');
      assert.equal((await underLease(store, 'payments.refunds', at(3_000), async () => 1)).ran, true, 'given back');
      // A process that died holding the lease: blocked until it lapses, then taken over.
      assert.equal(
        await acquireLease(store, { name: 'payments.refunds', holder: 'dead', ttlMs: passLeaseMs, now: 4_000 }),
        true,
      );
      assert.equal(
        (await underLease(store, 'payments.refunds', at(4_000 + passLeaseMs - 1), async () => 1)).ran,
        false,
      );
      assert.equal((await underLease(store, 'payments.refunds', at(4_000 + passLeaseMs), async () => 1)).ran, true);
      // The payments sweeps' old table is gone (migration 180): one lease table.
      const old = await store.get<{ n: unknown }>(
        kind === 'sqlite'
          ? "SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'sweep_leases'"
          : 'SELECT COUNT(*) AS n FROM information_schema.tables ' +
              "WHERE table_name = 'sweep_leases' AND table_schema = current_schema()",
      );
      assert.equal(Number(old?.n), 0);
    } finally {
      await release();
    }
  });
}

for (const kind of testStoreKinds()) {
  const title = `${kind}: a leased singleton runs in one process at a time and moves when its holder stops renewing`;
  test(title, async () => {
    const { store, release } = await withTestStore(kind);
    try {
      let now = 1_000;
      const log: string[] = [];
      const node = (holder: string) => runUnderLease(store, {
        name: 'outbox:dispatch', holder, ttlMs: 3_000, clock: () => now,
        start: () => log.push(`${holder} start`), stop: async () => { log.push(`${holder} stop`); },
      }, { timer: false });
      const [a, b] = [node('a'), node('b')];
      await a.tick();
      await b.tick();
      assert.deepEqual([a.running(), b.running()], [true, false], 'one runner');
      now += 1_000;
      await a.tick();
      await b.tick();
      assert.deepEqual([a.running(), b.running()], [true, false], 'renewed by a');
      // a freezes (no renewal): once its lease has expired, b takes the work over; a, on waking, stops.
      now += 3_000;
      await b.tick();
      assert.equal(b.running(), true);
      await a.tick();
      assert.equal(a.running(), false);
      assert.deepEqual(log, ['a start', 'b start', 'a stop']);
      // A clean stop gives the lease up at once.
      await b.stop();
      await a.tick();
      assert.equal(a.running(), true);
      await a.stop();
      assert.deepEqual(log, ['a start', 'b start', 'a stop', 'b stop', 'a start', 'a stop']);
    } finally {
      await release();
    }
  });
}
