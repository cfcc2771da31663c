// An account's journal read through seq buckets on SQLite (migration 214) must return exactly what the
// account-led queries return: random journals spread over many buckets, paged at random sizes and
// summed as settlement sums them, against an in-memory reference and the old query shape. On SQLite the
// plans must seek the bucket indexes, and a sparse account in a large journal must cost bounded probes.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { newId } from '../ids.ts';
import { createTestDatabase, testStoreKinds, type TestDatabase } from '../store/testing.ts';
import { toBigInt, type Store } from '../store/index.ts';
import { accountSideSource, journalBucketBits, journalPageSql, journalProbeBudget } from './account-entries.ts';
import { decodeCursor } from './cursor.ts';
import { Ledger } from './ledger.ts';
import { transferColumns } from './rows.ts';

const numRuns = Number(process.env.ANFU_PROPERTY_RUNS ?? 40);
const bucket = 2n ** journalBucketBits;
const kinds = ['single', 'hold', 'post', 'void'] as const;
const columns = 'seq, idempotency_key, request_hash, kind, debit_account_id, credit_account_id, amount, currency';

interface Entry {
  readonly seq: bigint;
  readonly debit: string;
  readonly credit: string;
  readonly amount: bigint;
  readonly kind: (typeof kinds)[number];
  readonly createdAt: number;
}

async function openWallets(store: Store, count: number): Promise<string[]> {
  const ids = Array.from({ length: count }, () => newId('acc'));
  const sql = "INSERT INTO ledger_accounts (id, kind, currency, name, created_at) " +
    "VALUES (?, 'customer_wallet', 'CNY', 'w', 0)";
  for (const id of ids) await store.run(sql, [id]);
  return ids;
}

/** Journal rows written with the seqs given (the first is a single, so posts and voids can name it). */
async function writeEntries(store: Store, entries: readonly Entry[]): Promise<void> {
  const anchor = entries[0]?.seq ?? null;
  for (let i = 0; i < entries.length; i += 100) {
    const chunk = entries.slice(i, i + 100);
    await store.run(
      `INSERT INTO ledger_transfers (${columns}, hold_seq, created_at)
       VALUES ${chunk.map(() => "(?, ?, 'h', ?, ?, ?, ?, 'CNY', ?, ?)").join(', ')}`,
      chunk.flatMap((e) => [e.seq, `jb:${e.seq}`, e.kind, e.debit, e.credit, e.amount,
        e.kind === 'post' || e.kind === 'void' ? anchor : null, e.createdAt]),
    );
  }
}

/** The page the account-led query shape returns: up to `limit` entries below `before`, newest first. */
async function oldShapePage(store: Store, account: string, before: bigint, limit: number): Promise<bigint[]> {
  const rows = await store.all(
    `SELECT * FROM (
       SELECT * FROM (SELECT ${transferColumns} FROM ledger_transfers
         WHERE debit_account_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?) d
       UNION ALL
       SELECT * FROM (SELECT ${transferColumns} FROM ledger_transfers
         WHERE credit_account_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?) c
     ) j ORDER BY seq DESC LIMIT ?`,
    [account, before, limit, account, before, limit, limit],
  );
  return rows.map((r) => toBigInt(r.seq));
}

const seqMax = 2n ** 63n - 1n;
const beforeOf = (cursor: string | undefined): bigint =>
  cursor === undefined ? seqMax : BigInt(decodeCursor(cursor, /^[0-9]{1,19}$/));

/** Follows the cursors to the end; checks each page against the old query shape on the way. */
async function walk(
  store: Store, ledger: Ledger, account: string, limit: number, maxPages: number,
): Promise<{ seqs: bigint[]; pages: number }> {
  const seqs: bigint[] = [];
  let cursor: string | undefined;
  for (let pages = 1; pages <= maxPages; pages++) {
    const page = await ledger.journal(account, { limit, cursor });
    const got = page.items.map((t) => t.seq);
    assert.ok(got.length <= limit, 'a page holds at most its limit');
    const old = await oldShapePage(store, account, beforeOf(cursor), limit + 1);
    assert.deepEqual(got, old.slice(0, got.length), 'the page is the start of the old query\'s page');
    if (page.nextCursor === null) {
      assert.equal(old.length, got.length, 'the old query agrees there is no more');
    } else {
      const next = old[got.length];
      assert.ok(next === undefined || next < beforeOf(page.nextCursor), 'the cursor skips nothing');
      // A short page with a cursor: the probe budget ran out before the page filled (SQLite only).
      if (got.length < limit) assert.equal(store.dialect, 'sqlite', 'only the bucket walk returns short pages');
    }
    seqs.push(...got);
    if (page.nextCursor === null) return { seqs, pages };
    cursor = page.nextCursor;
  }
  throw new Error(`no end after ${String(maxPages)} pages`);
}

/** Settlement's two figures for one side of an account: the recent sum and the older count. */
async function sideFigures(store: Store, account: string, side: 'debit' | 'credit', cutoff: number) {
  const source = accountSideSource(store.dialect, side);
  const moves = "kind IN ('single', 'post')";
  const recent = await store.get(
    `SELECT COALESCE(SUM(amount), 0) AS total FROM ${source} l WHERE created_at > ? AND ${moves}`, [account, cutoff]);
  const older = await store.get(
    `SELECT COUNT(*) AS n FROM ${source} l WHERE created_at <= ? AND ${moves}`, [account, cutoff]);
  return { recent: toBigInt(recent?.total), older: toBigInt(older?.n) };
}

const specArb = (accounts: number) => fc.record({
  from: fc.nat(accounts - 1), step: fc.integer({ min: 1, max: accounts - 1 }), amount: fc.bigInt(1n, 1_000n),
  kind: fc.constantFrom(...kinds), createdAt: fc.integer({ min: 0, max: 1_000 }),
});
/** Up to 150 entries at distinct offsets spread over 40 buckets, each with who pays whom, how much and when. */
const journalArb = (accounts: number) =>
  fc.uniqueArray(fc.bigInt(1n, 40n * bucket), { minLength: 1, maxLength: 150 }).chain((offsets) =>
    fc.tuple(
      fc.constant([...offsets].sort((a, b) => (a < b ? -1 : 1))),
      fc.array(specArb(accounts), { minLength: offsets.length, maxLength: offsets.length }),
    ),
  );

for (const kind of testStoreKinds()) {
  describe(`an account's journal through seq buckets (${kind})`, () => {
    let database: TestDatabase;
    let store: Store;
    let ledger: Ledger;
    // Each run writes above the last one, so earlier runs are other accounts' history below it.
    let base = 0n;

    before(async () => {
      database = await createTestDatabase(kind);
      store = database.open();
      ledger = new Ledger({ store });
    });
    after(async () => {
      await ledger.close();
      await store.close();
      await database.drop();
    });

    it('pages and settlement sums equal the account-led queries on random journals over many buckets', async () => {
      const limitArb = fc.integer({ min: 1, max: 12 });
      const cutoffArb = fc.integer({ min: 0, max: 1_000 });
      await fc.assert(
        fc.asyncProperty(journalArb(4), limitArb, cutoffArb, async ([offsets, specs], limit, cutoff) => {
          const accounts = await openWallets(store, 4);
          const entries: Entry[] = offsets.map((offset, i) => {
            const s = specs[i];
            if (s === undefined) throw new Error('one spec per offset');
            const debit = accounts[s.from] ?? '';
            const credit = accounts[(s.from + s.step) % 4] ?? '';
            const kind = i === 0 ? 'single' : s.kind;
            return { seq: base + offset, debit, credit, amount: s.amount, kind, createdAt: s.createdAt };
          });
          base += 41n * bucket;
          await writeEntries(store, entries);
          for (const account of accounts) {
            const expected = entries.filter((e) => e.debit === account || e.credit === account).map((e) => e.seq);
            const { seqs } = await walk(store, ledger, account, limit, 1_000);
            assert.deepEqual(seqs, expected.reverse(), 'every entry once, newest first');
            for (const side of ['debit', 'credit'] as const) {
              const mine = entries.filter((e) =>
                (side === 'debit' ? e.debit : e.credit) === account && (e.kind === 'single' || e.kind === 'post'));
              const recent = mine.filter((e) => e.createdAt > cutoff).reduce((sum, e) => sum + e.amount, 0n);
              const older = BigInt(mine.filter((e) => e.createdAt <= cutoff).length);
              assert.deepEqual(await sideFigures(store, account, side, cutoff), { recent, older });
            }
          }
        }),
        { numRuns },
      );
    });

    if (kind === 'sqlite') {
      it('the page and settlement queries seek the bucket indexes, never scan the journal', async () => {
        const explain = (sql: string, params: (string | number)[]) =>
          store.all(`EXPLAIN QUERY PLAN ${sql}`, params).then((rows) => rows.map((r) => String(r.detail)));
        const page = await explain(journalPageSql, [3, 0, 'acc_x', 100, 'acc_x', 100, 10]);
        const settlement = (side: 'debit' | 'credit') =>
          explain(`SELECT SUM(amount) FROM ${accountSideSource('sqlite', side)} l WHERE created_at > 0`, ['acc_x']);
        const [credits, debits] = [await settlement('credit'), await settlement('debit')];
        for (const side of ['debit', 'credit']) {
          const seek = `USING COVERING INDEX ledger_transfers_${side}_bucket`;
          assert.ok(page.some((d) => d.includes(seek)), page.join('\n'));
        }
        const seeks = (plan: string[], side: string) => plan.some((d) =>
          d === `SEARCH t USING INDEX ledger_transfers_${side}_bucket (<expr>=? AND ${side}_account_id=?)`);
        assert.ok(seeks(credits, 'credit'), credits.join('\n'));
        assert.ok(seeks(debits, 'debit'), debits.join('\n'));
        for (const plan of [page, credits, debits]) {
          assert.ok(!plan.some((d) => /^SCAN (t|ledger_transfers)\b/.test(d)), plan.join('\n'));
        }
      });

      it('a sparse account in a large journal is walked in bounded probes per page', async () => {
        const [sparse, busyA, busyB] = await openWallets(store, 3);
        if (sparse === undefined || busyA === undefined || busyB === undefined) throw new Error('three wallets');
        // 200,000 entries between two busy wallets above the sparse wallet's two entries, with ~2.5 probe
        // budgets of empty buckets between those two.
        const low = base + 5n;
        const high = base + (5n * journalProbeBudget * bucket) / 2n;
        await writeEntries(store, [
          { seq: low, debit: sparse, credit: busyA, amount: 1n, kind: 'single', createdAt: 0 },
          { seq: high, debit: busyB, credit: sparse, amount: 1n, kind: 'single', createdAt: 0 },
        ]);
        await store.run(
          `INSERT INTO ledger_transfers (${columns}, created_at)
           WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200000)
           SELECT ? + i, 'jb:busy:' || (? + i), 'h', 'single',
             CASE i % 2 WHEN 0 THEN ? ELSE ? END, CASE i % 2 WHEN 0 THEN ? ELSE ? END, 1, 'CNY', 0 FROM n`,
          [high, high, busyA, busyB, busyB, busyA],
        );
        base = high + 200_001n;
        const buckets = (base >> journalBucketBits) + 1n;
        const started = performance.now();
        const { seqs, pages } = await walk(store, ledger, sparse, 50, 100);
        const elapsedMs = performance.now() - started;
        assert.deepEqual(seqs, [high, low]);
        const bound = buckets / journalProbeBudget + 2n;
        assert.ok(BigInt(pages) <= bound, `${String(pages)} pages for ${String(buckets)} buckets`);
        assert.ok(pages >= 3, 'the budget cut the walk into pages');
        const busy = await ledger.journal(busyA, { limit: 50 });
        assert.equal(busy.items.length, 50, 'a busy account fills its page from the newest bucket');
        // Not asserted (the machine is shared; the walk includes the old-shape scans); for docs/benchmarks.md.
        const walked = `${String(pages)} pages, ${String(buckets)} buckets, ${elapsedMs.toFixed(0)} ms`;
        process.stdout.write(`# sparse walk: ${walked}\n`);
      });
    }
  });
}
