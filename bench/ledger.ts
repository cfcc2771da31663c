// Ledger benchmark, library level: a fresh database, funded wallets, N concurrent submitters each
// awaiting submit() of random wallet→wallet transfers for a fixed time, with durable commits (SQLite
// WAL + synchronous=FULL; PostgreSQL with fsync on). On PostgreSQL it also runs PostgreSQL's own
// pgbench TPC-B on the same server in the same run, the reference ceiling for one transfer per commit.
// PostgreSQL batches are decided by the server-side function (one round trip); `--decider typescript`
// measures the earlier path (decide.ts on rows loaded under lock), `--decider both` runs both, each on a
// fresh schema, then pgbench once: a before/after pair at the same load.
// Usage: node --import tsx bench/ledger.ts --store sqlite|postgres [--seconds 10] [--concurrency N]
//        [--decider function|typescript|both] [--json]
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { newId } from '../src/ids.ts';
import { Ledger } from '../src/ledger/index.ts';
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
  return {
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
    const store = openStore({ sqlitePath: join(dir, 'anfu.db'), backgroundCheckpoint: true });
    await migrate(store);
    return { store, url: undefined, drop: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const url = process.env.ANFU_BENCH_DATABASE_URL ?? defaultPostgresUrl;
  const schema = `bench_${randomBytes(6).toString('hex')}`;
  await withClient(url, (client) => client.query(`CREATE SCHEMA ${schema}`));
  // Two batches in flight plus the set-up's queries: a small pool, as one API process would have.
  const store = openStore({ databaseUrl: url, sqlitePath: '', schema, poolSize: 8 });
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

async function measure(options: Options, decider: 'function' | 'typescript'): Promise<Record<string, unknown> & { database_url?: string }> {
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
    await drive(ledger, wallets, options, options.warmupSeconds, 'warmup');
    measuring = true;
    const started = performance.now();
    const measured = await drive(ledger, wallets, options, options.seconds, 'bench');
    const elapsedS = (performance.now() - started) / 1_000;
    measuring = false;
    await ledger.close();
    const report = await ledger.verify();
    const sorted = Float64Array.from(measured.latenciesMs).sort();
    const cpus = os.cpus();
    const result: Record<string, unknown> = {
      benchmark: 'ledger',
      store: options.store,
      durable: true,
      ...(options.store === 'postgres' ? { decider } : {}),
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
      verify_ok: report.ok,
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

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const options = parseArgs(args);
  const runs: Record<string, unknown>[] = [];
  for (const decider of options.deciders) runs.push(await measure(options, decider));
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
