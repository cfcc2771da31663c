// Ledger benchmark, library level: a fresh database, funded wallets, N concurrent submitters each
// awaiting submit() of random wallet→wallet transfers for a fixed time, with durable commits (SQLite
// WAL + synchronous=FULL; PostgreSQL with fsync on). On PostgreSQL it also runs PostgreSQL's own
// pgbench TPC-B on the same server in the same run, the reference ceiling for one transfer per commit.
// PostgreSQL batches are decided by the server-side function (one round trip); `--decider typescript`
// measures the earlier path (decide.ts on rows loaded under lock), `--decider both` runs both, each on a
// fresh schema, then pgbench once: a before/after pair at the same load.
// `--history N` (issue 11 item 5: cost must not grow with history) measures twice in one run: on a
// fresh store, then on a fresh store pre-loaded with N journal rows between the same wallets (written
// by SQL in bulk, not through the ledger, so that 10,000,000 rows load in minutes; the counters are
// set to match, and the audit digest of those rows is absent, so verify is reported for the empty run
// only), and prints the ratios of throughput and p99.
// Usage: node --import tsx bench/ledger.ts --store sqlite|postgres [--seconds 10] [--concurrency N]
//        [--decider function|typescript|both] [--history N] [--cpu-profile prefix] [--json]
//        [--sqlite-writer inline|worker] (SQLite: commits on the event loop, or on a writer thread)
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { newId } from '../src/ids.ts';
import { accountSideSource, Ledger } from '../src/ledger/index.ts';
import { startCpuProfile } from './cpu-profile.ts';
import { markPostgresCost, postgresCostSince } from './postgres-cost.ts';
import { migrate, openStore, type Store } from '../src/store/index.ts';

const run$ = promisify(execFile);
const defaultPostgresUrl = 'postgres://postgres@127.0.0.1:5432/test';

interface Options {
  readonly store: 'sqlite' | 'postgres';
  readonly seconds: number;
  readonly warmupSeconds: number;
  readonly concurrency: number;
  readonly wallets: number;
  /** Overrides the ledger's transferBatchMax / batchesInFlightMax (tuning experiments). */
  readonly batchMax: number | undefined;
  readonly batchesInFlight: number | undefined;
  readonly json: boolean;
  readonly pgbench: boolean;
  readonly deciders: readonly ('function' | 'typescript')[];
  /** Journal rows pre-loaded for the second measurement; 0 = one measurement on an empty store. */
  readonly history: number;
  /** `--cpu-profile <prefix>`: V8 profiles of each timed load, <prefix>-empty / -history.cpuprofile. */
  readonly cpuProfile: string | undefined;
  readonly sqliteWriter: 'inline' | 'worker';
}

function parseArgs(args: readonly string[]): Options {
  const value = (name: string): string | undefined => {
    const index = args.indexOf(`--${name}`);
    return index === -1 ? undefined : args[index + 1];
  };
  const positive = (name: string, fallback: number): number => {
    const raw = value(name);
    const parsed = raw === undefined ? fallback : Number(raw);
    if (!Number.isFinite(parsed) || parsed <= 0) throw new Error(`--${name} must be a positive number`);
    return parsed;
  };
  const store = value('store') ?? 'sqlite';
  if (store !== 'sqlite' && store !== 'postgres') throw new Error('--store must be sqlite or postgres');
  const sqliteWriter = value('sqlite-writer') ?? 'inline';
  if (sqliteWriter !== 'inline' && sqliteWriter !== 'worker') {
    throw new Error('--sqlite-writer must be inline or worker');
  }
  return {
    sqliteWriter,
    store,
    seconds: positive('seconds', 10),
    warmupSeconds: positive('warmup', 1),
    concurrency: Math.floor(positive('concurrency', store === 'sqlite' ? 4_000 : 32)),
    wallets: Math.floor(positive('wallets', 10_000)),
    batchMax: value('batch-max') === undefined ? undefined : Math.floor(positive('batch-max', 1)),
    batchesInFlight: value('batches-in-flight') === undefined ? undefined : Math.floor(positive('batches-in-flight', 1)),
    json: args.includes('--json'),
    pgbench: !args.includes('--no-pgbench'),
    deciders: deciderArg(value('decider') ?? 'function'),
    history: value('history') === undefined ? 0 : Math.floor(positive('history', 1)),
    cpuProfile: value('cpu-profile'),
  };
}

function deciderArg(raw: string): readonly ('function' | 'typescript')[] {
  if (raw === 'both') return ['typescript', 'function'];
  if (raw === 'function' || raw === 'typescript') return [raw];
  throw new Error('--decider must be function, typescript or both');
}

interface Database {
  readonly store: Store;
  readonly url: string | undefined;
  drop(): Promise<void>;
}

async function freshDatabase(options: Options): Promise<Database> {
  if (options.store === 'sqlite') {
    const dir = mkdtempSync(join(os.tmpdir(), 'anfu-bench-'));
    const { sqliteWriter } = options;
    const store = openStore({ sqlitePath: join(dir, 'anfu.db'), backgroundCheckpoint: true, sqliteWriter });
    await migrate(store);
    return { store, url: undefined, drop: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const url = process.env.ANFU_BENCH_DATABASE_URL ?? defaultPostgresUrl;
  const schema = `bench_${randomBytes(6).toString('hex')}`;
  await withClient(url, (client) => client.query(`CREATE SCHEMA ${schema}`));
  // Two batches in flight plus the set-up's queries: a small pool, as one API process would have.
  // Named, so bench/postgres-cost.ts can find this run's own backends among the server's.
  const named = new URL(url);
  named.searchParams.set('application_name', schema);
  const store = openStore({ databaseUrl: named.toString(), sqlitePath: '', schema, poolSize: 8 });
  await migrate(store);
  return { store, url, drop: () => withClient(url, (client) => client.query(`DROP SCHEMA ${schema} CASCADE`)).then(() => undefined) };
}

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Opens the bank and the wallets in bulk (set-up, not measured), then funds each wallet through the ledger. */
async function setUpWallets(ledger: Ledger, store: Store, count: number): Promise<string[]> {
  const bank = await ledger.openAccount({ kind: 'bank_settlement', currency: 'CNY', name: 'bench bank' });
  const wallets = Array.from({ length: count }, () => newId('acc'));
  const now = Date.now();
  for (let i = 0; i < wallets.length; i += 500) {
    const chunk = wallets.slice(i, i + 500);
    await store.transaction(async (tx) => {
      await tx.run(
        `INSERT INTO ledger_accounts (id, kind, currency, name, created_at) VALUES ${chunk.map(() => "(?, 'customer_wallet', 'CNY', 'bench wallet', ?)").join(', ')}`,
        chunk.flatMap((id) => [id, now]),
      );
    });
  }
  const outcomes = await Promise.all(
    wallets.map((id) => ledger.submit({ kind: 'single', key: `fund:${id}`, debitAccountId: bank.id, creditAccountId: id, amount: 100_000_000n, currency: 'CNY' })),
  );
  if (outcomes.some((o) => !o.ok)) throw new Error('funding the wallets failed');
  return wallets;
}

/** Transfers a pre-loaded wallet `k` (of `w`) is debited in `rows` history rows, where row i debits wallet i % w. */
function historyDebits(k: number, w: number, rows: number): number {
  return k < rows ? Math.floor((rows - 1 - k) / w) + 1 : 0;
}

/**
 * Writes `rows` journal rows of 1 fen by SQL in chunks (row i: wallet i % w pays wallet (i + 1) % w),
 * then moves each wallet's posted counters by what it was debited and credited, so balances still equal
 * the journal. Set-up, not measured.
 */
async function preloadHistory(store: Store, wallets: readonly string[], rows: number): Promise<void> {
  const w = wallets.length;
  await store.run('CREATE TABLE bench_wallets (n INTEGER PRIMARY KEY, id TEXT NOT NULL)');
  for (let i = 0; i < w; i += 500) {
    const chunk = wallets.slice(i, i + 500);
    await store.run(`INSERT INTO bench_wallets (n, id) VALUES ${chunk.map(() => '(?, ?)').join(', ')}`, chunk.flatMap((id, j) => [i + j, id]));
  }
  const series = store.dialect === 'postgres'
    ? 'generate_series(?::bigint, ?::bigint) AS s(i)'
    : '(WITH RECURSIVE n(i) AS (SELECT ? UNION ALL SELECT i + 1 FROM n WHERE i < ?) SELECT i FROM n) AS s';
  const now = Date.now();
  // Bulk-load settings, undone before measuring: a large page cache on SQLite; on PostgreSQL the
  // foreign-key triggers are skipped for these rows (every wallet they name exists by construction).
  const cacheBefore = store.dialect === 'sqlite' ? await store.get<{ cache_size: number }>('PRAGMA cache_size') : undefined;
  if (cacheBefore !== undefined) await store.run('PRAGMA cache_size = -2000000');
  for (let from = 0; from < rows; from += 500_000) {
    const to = Math.min(rows, from + 500_000) - 1;
    await store.transaction(async (tx) => {
      if (store.dialect === 'postgres') await tx.run('SET LOCAL session_replication_role = replica');
      await tx.run(
        `INSERT INTO ledger_transfers (idempotency_key, request_hash, kind, debit_account_id, credit_account_id, amount, currency, created_at)
         SELECT 'history:' || s.i, 'history', 'single', d.id, c.id, 1, 'CNY', ? FROM ${series}
         JOIN bench_wallets d ON d.n = s.i % ${w} JOIN bench_wallets c ON c.n = (s.i + 1) % ${w}`,
        [now, from, to],
      );
    });
  }
  if (cacheBefore !== undefined) await store.run(`PRAGMA cache_size = ${Number(cacheBefore.cache_size)}`);
  await store.transaction(async (tx) => {
    for (const [k, id] of wallets.entries()) {
      const debits = historyDebits(k, w, rows);
      const credits = historyDebits((k - 1 + w) % w, w, rows);
      await tx.run('UPDATE ledger_accounts SET debits_posted = debits_posted + ?, credits_posted = credits_posted + ? WHERE id = ?', [debits, credits, id]);
    }
  });
  // A store that grew over months has its history checkpointed and its statistics current.
  if (store.dialect === 'postgres') {
    await store.run('VACUUM ANALYZE ledger_transfers');
    await store.run('CHECKPOINT');
  } else {
    await store.run('PRAGMA wal_checkpoint(TRUNCATE)');
  }
}

interface Measured {
  transfers: number;
  refused: number;
  latenciesMs: number[];
}

async function drive(ledger: Ledger, wallets: readonly string[], options: Options, seconds: number, label: string): Promise<Measured> {
  const measured: Measured = { transfers: 0, refused: 0, latenciesMs: [] };
  const deadline = performance.now() + seconds * 1_000;
  const pickWallet = (): string => wallets[Math.floor(Math.random() * wallets.length)] ?? '';
  const submitter = async (submitterIndex: number): Promise<void> => {
    for (let i = 0; performance.now() < deadline; i++) {
      const debitAccountId = pickWallet();
      let creditAccountId = pickWallet();
      while (creditAccountId === debitAccountId) creditAccountId = pickWallet();
      const started = performance.now();
      const outcome = await ledger.submit({
        kind: 'single', key: `${label}:${submitterIndex}:${i}`, debitAccountId, creditAccountId, amount: BigInt(1 + Math.floor(Math.random() * 100)), currency: 'CNY',
      });
      measured.latenciesMs.push(performance.now() - started);
      if (outcome.ok) measured.transfers++;
      else measured.refused++;
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, (_, i) => submitter(i)));
  return measured;
}

/** Bytes this process has written to storage so far (WAL, checkpoints), or undefined off Linux. */
function bytesWritten(): number | undefined {
  try {
    const match = /^write_bytes: (\d+)$/m.exec(readFileSync('/proc/self/io', 'utf8'));
    return match?.[1] === undefined ? undefined : Number(match[1]);
  } catch {
    return undefined;
  }
}

/**
 * What each transfer cost the process while measuring: storage bytes written (the WAL and the checkpoints
 * that copy it back: on SQLite a transfer dirties one leaf page of each account index once every account
 * has a page of its own, which is what the history run measured) and CPU time of all its threads.
 */
function costPerTransfer(transfers: number, written: number | undefined, cpu: NodeJS.CpuUsage): Record<string, number> {
  const after = bytesWritten();
  const perTransfer = Math.max(1, transfers);
  return {
    cpu_us_per_transfer: round((cpu.user + cpu.system) / perTransfer, 1),
    ...(written === undefined || after === undefined ? {} : { written_kib_per_transfer: round((after - written) / 1024 / perTransfer) }),
  };
}

/**
 * What reading one account costs after the run (issue 11 item 5 for statements): a busy wallet's newest
 * statement page of 50; a fresh account's whole statement (no entries: on SQLite every bucket is probed,
 * in pages cut by the probe budget); and the whole-history credit sums merchant settlement runs.
 */
async function readingCosts(ledger: Ledger, store: Store, wallet: string): Promise<Record<string, number>> {
  const timed = async <T>(work: () => Promise<T>): Promise<[T, number]> => {
    const started = performance.now();
    const result = await work();
    return [result, round(performance.now() - started)];
  };
  const [, pageMs] = await timed(() => ledger.journal(wallet, { limit: 50 }));
  const fresh = await ledger.openAccount({ kind: 'customer_wallet', currency: 'CNY', name: 'bench reader' });
  const [pages, emptyWalkMs] = await timed(async () => {
    let cursor: string | undefined;
    for (let n = 1; ; n++) {
      const page = await ledger.journal(fresh.id, { limit: 50, cursor });
      if (page.nextCursor === null) return n;
      cursor = page.nextCursor;
    }
  });
  const credits = accountSideSource(store.dialect, 'credit');
  const [, sumMs] = await timed(() => store.get(`SELECT COALESCE(SUM(amount), 0) AS s FROM ${credits} l`, [wallet]));
  return { statement_page_ms: pageMs, empty_statement_ms: emptyWalkMs, empty_statement_pages: pages, credit_sum_ms: sumMs };
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

const round = (n: number, digits = 2): number => Math.round(n * 10 ** digits) / 10 ** digits;

/** PostgreSQL's own TPC-B on the same server: one transaction (five statements) per commit. */
async function pgbenchTps(url: string): Promise<{ tps: number; output: string }> {
  const database = 'anfu_pgbench';
  await withClient(url, async (client) => {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (exists.rowCount === 0) await client.query(`CREATE DATABASE ${database}`);
  });
  const target = new URL(url);
  target.pathname = `/${database}`;
  await run$('pgbench', ['-i', '-s', '10', '-q', target.toString()], { maxBuffer: 16 * 1024 * 1024 });
  const { stdout } = await run$('pgbench', ['-c', '32', '-j', '2', '-T', '15', target.toString()], { maxBuffer: 16 * 1024 * 1024 });
  const match = /tps = ([0-9.]+) \((?:without initial connection time|excluding connections establishing)\)/.exec(stdout);
  if (match?.[1] === undefined) throw new Error(`could not read pgbench's tps from:\n${stdout}`);
  return { tps: Number(match[1]), output: stdout };
}

async function measure(options: Options, decider: 'function' | 'typescript', history = 0): Promise<Record<string, unknown>> {
  const database = await freshDatabase(options);
  const batchSizes: number[] = [];
  let measuring = false;
  const ledger = new Ledger({
    store: database.store,
    onBatch: (size) => measuring && batchSizes.push(size),
    postgresDecider: decider,
    ...(options.batchMax === undefined ? {} : { transferBatchMax: options.batchMax }),
    ...(options.batchesInFlight === undefined ? {} : { batchesInFlightMax: options.batchesInFlight }),
  });
  try {
    const wallets = await setUpWallets(ledger, database.store, options.wallets);
    const loadStarted = performance.now();
    if (history > 0) await preloadHistory(database.store, wallets, history);
    const historyLoadS = (performance.now() - loadStarted) / 1_000;
    await drive(ledger, wallets, options, options.warmupSeconds, 'warmup');
    measuring = true;
    // On PostgreSQL the server process writes, not this one: only SQLite's bytes are counted.
    const written = options.store === 'sqlite' ? bytesWritten() : undefined;
    const serverBefore = database.store.dialect === 'postgres' ? await markPostgresCost(database.store) : undefined;
    const [cpuBefore, started] = [process.cpuUsage(), performance.now()];
    const profiler = options.cpuProfile === undefined ? undefined : await startCpuProfile(
      `${options.cpuProfile}-${history > 0 ? 'history' : 'empty'}.cpuprofile`);
    const measured = await drive(ledger, wallets, options, options.seconds, 'bench');
    await profiler?.stop();
    const elapsedS = (performance.now() - started) / 1_000;
    const cost = costPerTransfer(measured.transfers, written, process.cpuUsage(cpuBefore));
    const serverCost = serverBefore === undefined ? {} : await postgresCostSince(database.store, serverBefore, measured.transfers);
    measuring = false;
    const reading = await readingCosts(ledger, database.store, wallets[0] ?? '');
    await ledger.close();
    // The raw history rows have no audit digest, so verify is run on the empty store only.
    const verified = history === 0 ? (await ledger.verify()).ok : 'not run (history loaded by SQL)';
    const sorted = Float64Array.from(measured.latenciesMs).sort();
    const cpus = os.cpus();
    const result: Record<string, unknown> = {
      benchmark: 'ledger',
      store: options.store,
      durable: true,
      ...(options.store === 'postgres' ? { decider } : { sqlite_writer: options.sqliteWriter }),
      concurrency: options.concurrency,
      ...(options.batchMax === undefined ? {} : { transfer_batch_max: options.batchMax }),
      ...(options.batchesInFlight === undefined ? {} : { batches_in_flight_max: options.batchesInFlight }),
      seconds: round(elapsedS),
      wallets: options.wallets,
      transfers: measured.transfers,
      refused: measured.refused,
      transfers_per_s: Math.round(measured.transfers / elapsedS),
      p50_ms: round(percentile(sorted, 50)),
      p99_ms: round(percentile(sorted, 99)),
      max_ms: round(sorted.at(-1) ?? 0),
      batches: batchSizes.length,
      batch_size_avg: round(batchSizes.reduce((a, b) => a + b, 0) / Math.max(1, batchSizes.length), 1),
      ...cost,
      ...serverCost,
      ...reading,
      ...(history > 0 ? { history_rows: history, history_load_s: round(historyLoadS) } : {}),
      verify_ok: verified,
      machine: { cpus: cpus.length, model: cpus[0]?.model ?? 'unknown', memory_gb: round(os.totalmem() / 2 ** 30, 1), platform: `${os.platform()} ${os.release()}` },
      node: process.version,
      date: new Date().toISOString(),
      load_avg_1m: round(os.loadavg()[0] ?? 0),
    };
    return result;
  } finally {
    await ledger.close();
    await database.store.close();
    await database.drop();
  }
}

/** The figures the issue holds the history run to: throughput and p99 within 20 % of the empty store's. */
function withHistoryRatios(loaded: Record<string, unknown>, empty: Record<string, unknown> | undefined): Record<string, unknown> {
  if (empty === undefined) return loaded;
  return {
    ...loaded,
    throughput_ratio_vs_empty: round(Number(loaded.transfers_per_s) / Number(empty.transfers_per_s)),
    p99_ratio_vs_empty: round(Number(loaded.p99_ms) / Number(empty.p99_ms)),
    cpu_ratio_vs_empty: round(Number(loaded.cpu_us_per_transfer) / Number(empty.cpu_us_per_transfer)),
    ...(loaded.server_cpu_us_per_op === undefined
      ? {}
      : { server_cpu_ratio_vs_empty: round(Number(loaded.server_cpu_us_per_op) / Number(empty.server_cpu_us_per_op)) }),
  };
}

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const options = parseArgs(args);
  const runs: Record<string, unknown>[] = [];
  for (const decider of options.deciders) {
    runs.push(await measure(options, decider));
    if (options.history > 0) runs.push(withHistoryRatios(await measure(options, decider, options.history), runs.at(-1)));
  }
  const url = options.store === 'postgres' ? (process.env.ANFU_BENCH_DATABASE_URL ?? defaultPostgresUrl) : undefined;
  if (url !== undefined && options.pgbench) {
    const { tps } = await pgbenchTps(url);
    for (const result of runs) {
      result.pgbench_tps = round(tps, 1);
      result.ratio_vs_pgbench = round(Number(result.transfers_per_s) / tps);
      result.load_avg_1m_after_pgbench = round(os.loadavg()[0] ?? 0);
    }
  }
  const [only] = runs;
  return runs.length === 1 && only !== undefined ? only : { benchmark: 'ledger', store: options.store, runs };
}

const invokedPath = process.argv[1];
if (invokedPath !== undefined && import.meta.url === pathToFileURL(invokedPath).href) {
  const args = process.argv.slice(2);
  const result = await run(args);
  console.log(args.includes('--json') ? JSON.stringify(result) : JSON.stringify(result, null, 2));
}
