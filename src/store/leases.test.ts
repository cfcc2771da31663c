// Leases: one holder at a time, renewed by its holder, taken over only after expiry — on both stores.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { testStoreKinds, withTestStore } from './testing.ts';
import { acquireLease, releaseLease } from './index.ts';

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
}
