// Leases: one holder at a time, renewed by its holder, taken over only after expiry — on both stores.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { testStoreKinds, withTestStore } from './testing.ts';
import { acquireLease, passLeaseMs, releaseLease, underLease } from './index.ts';

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
