// Request counters asked at once (PostgreSQL joins them into one statement) count every hit once:
// the answers for one window are exactly 1..n, whatever the interleaving, and the stored count is n.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createTestDatabase, testStoreKinds } from '../store/testing.ts';
import { countRequest, hitsOf } from './counters.ts';

for (const kind of testStoreKinds()) {
  test(`${kind}: hits asked at once on several windows are each counted once, in order`, async () => {
    const db = await createTestDatabase(kind);
    const store = db.open();
    try {
      let round = 0;
      const windows = fc.array(fc.constantFrom('a', 'b', 'c'), { minLength: 1, maxLength: 60 });
      await fc.assert(fc.asyncProperty(windows, async (buckets) => {
        const now = 1_000_000 + 10_000 * round++;
        const answers = await Promise.all(buckets.map((bucket) => countRequest(store, `t:${bucket}`, 10_000, now)));
        for (const bucket of new Set(buckets)) {
          const mine = answers.filter((_, i) => buckets[i] === bucket).map((answer) => answer.hits);
          const n = mine.length;
          const oneToN = Array.from({ length: n }, (_, i) => i + 1);
          assert.deepEqual([...mine].sort((x, y) => x - y), oneToN, `window ${bucket}`);
          assert.equal((await hitsOf(store, `t:${bucket}`, 10_000, now)).hits, n);
        }
        assert.ok(answers.every((answer) => answer.resetAt === now - (now % 10_000) + 10_000));
      }), { numRuns: 25 });
    } finally {
      await store.close();
      await db.drop();
    }
  });
}
