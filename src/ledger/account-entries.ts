// One account's journal entries: statement pages and whole-history sums, through the indexes each store
// has. On SQLite the account indexes are led by a seq bucket (migration 214): led by the account, they
// dirtied one leaf per transfer per index once every active account owned a leaf (~20 KiB of WAL a
// transfer, docs/benchmarks.md); led by `seq >> 14`, a batch writes into the newest bucket's leaves. The
// price is paid here: a query for one account probes bucket by bucket. PostgreSQL keeps its account-led
// indexes (its history run is within the goal with them) and the plain queries.
import type { Queryable, Store } from '../store/index.ts';
import { transferColumns } from './rows.ts';

/** Transfers per bucket: 2^14. Must equal the shift in migration 214's indexes (a test reads the plan). */
export const journalBucketBits = 14n;
/** Buckets one page may probe; then it returns what it found with a cursor to go on below. */
export const journalProbeBudget = 4_096n;
/** Buckets the first statement of a page probes; each next one probes four times as many, up to the cap. */
const firstSpan = 1n;
const spanCap = 256n;

export type Side = 'debit' | 'credit';

function bucketOf(seq: bigint): bigint {
  return seq >> journalBucketBits;
}

/** Up to `want` entries of the account (debit or credit) with seq < before in buckets top down to bottom. */
export const journalPageSql = `WITH RECURSIVE b(k) AS (SELECT ? UNION ALL SELECT k - 1 FROM b WHERE k > ?)
SELECT ${transferColumns} FROM ledger_transfers WHERE seq IN (
  SELECT t.seq FROM b CROSS JOIN ledger_transfers AS t
   WHERE (t.seq >> ${journalBucketBits}) = b.k AND t.debit_account_id = ? AND t.seq < ?
  UNION ALL
  SELECT t.seq FROM b CROSS JOIN ledger_transfers AS t
   WHERE (t.seq >> ${journalBucketBits}) = b.k AND t.credit_account_id = ? AND t.seq < ?
  ORDER BY 1 DESC LIMIT ?)
ORDER BY seq DESC`;

const postgresPageSql = `SELECT * FROM (
  SELECT * FROM (SELECT ${transferColumns} FROM ledger_transfers
    WHERE debit_account_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?) d
  UNION ALL
  SELECT * FROM (SELECT ${transferColumns} FROM ledger_transfers
    WHERE credit_account_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?) c
) j ORDER BY seq DESC LIMIT ?`;

export interface EntriesPage {
  /** Up to `want` rows, newest first. */
  readonly rows: Record<string, unknown>[];
  /** Set when fewer than `want` were found because the probes ran out: the rest lies below this seq. */
  readonly continueBefore: bigint | undefined;
}

/**
 * Up to `want` entries of an account with seq < before, newest first. On SQLite: buckets from the
 * cursor's downward in growing spans, until the page fills, bucket 0 is done, or `journalProbeBudget`
 * buckets were probed (a sparse account then gets a short page and a cursor, never a long scan).
 */
export async function accountEntriesPage(
  store: Store, accountId: string, before: bigint, want: number,
): Promise<EntriesPage> {
  if (store.dialect === 'postgres') {
    const rows = await store.all(postgresPageSql, [accountId, before, want, accountId, before, want, want]);
    return { rows, continueBefore: undefined };
  }
  return sqlitePage(store, accountId, before, want);
}

async function sqlitePage(q: Queryable, accountId: string, before: bigint, want: number): Promise<EntriesPage> {
  const newest = await q.get<{ seq: unknown }>('SELECT MAX(seq) AS seq FROM ledger_transfers');
  const rows: Record<string, unknown>[] = [];
  if (newest?.seq === null || newest?.seq === undefined || before <= 1n) return { rows, continueBefore: undefined };
  const newestBucket = bucketOf(BigInt(newest.seq as bigint));
  let top = bucketOf(before - 1n) < newestBucket ? bucketOf(before - 1n) : newestBucket;
  let span = firstSpan;
  let probed = 0n;
  while (top >= 0n && rows.length < want && probed < journalProbeBudget) {
    const room = journalProbeBudget - probed;
    const bottom = top - (span < room ? span : room) + 1n;
    const floor = bottom > 0n ? bottom : 0n;
    const params = [top, floor, accountId, before, accountId, before, want - rows.length];
    rows.push(...(await q.all(journalPageSql, params)));
    probed += top - floor + 1n;
    top = floor - 1n;
    span = span * 4n < spanCap ? span * 4n : spanCap;
  }
  const more = rows.length < want && top >= 0n;
  return { rows, continueBefore: more ? (top + 1n) << journalBucketBits : undefined };
}

/**
 * A derived table (give it an alias) of the journal rows on one side of an account, whole history; its
 * one parameter is the account id. On SQLite it probes every bucket up to the newest: one index seek
 * each, ~610 at 10,000,000 rows.
 */
export function accountSideSource(dialect: Store['dialect'], side: Side): string {
  const column = side === 'debit' ? 'debit_account_id' : 'credit_account_id';
  if (dialect === 'postgres') return `(SELECT * FROM ledger_transfers WHERE ${column} = ?)`;
  const newestBucket = `(SELECT MAX(seq) >> ${journalBucketBits} FROM ledger_transfers)`;
  return `(WITH RECURSIVE b(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM b WHERE k < ${newestBucket})
    SELECT t.* FROM b CROSS JOIN ledger_transfers AS t
     WHERE (t.seq >> ${journalBucketBits}) = b.k AND t.${column} = ?)`;
}
