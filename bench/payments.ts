// Payments benchmark, end to end: the real HTTPS server (serve()) in this process, a separate load
// process (bench/payments-load.ts, autocannon, keep-alive, 64 connections) sending signed
// customer-to-customer transfers whose device signatures were all made before timing. Each request is
// authenticated, signature-checked, replay-checked, limit-checked, risk-scored and posted double-entry
// with audit entries, durable. Payers are many and each pays at most 19 times, below risk control's
// velocity challenge, so every transfer takes the full path to `succeeded`.
// Usage: anfu bench payments --store sqlite|postgres [--seconds 10] [--payers 1500] [--json]
//   [--verify-workers N] (ANFU_VERIFY_WORKERS of the server; default: that variable, else the profile's default)
//   [--profile intl|gm] (the crypto profile of the server and of the devices' signatures; default intl)
//   [--cpu-profile [file]] (V8 profile of the server during the timed load; see scripts/cpu-top.ts)
//   [--sqlite-writer inline|worker] (ANFU_SQLITE_WRITER of the server: commits on the event loop or a thread)
import { execFile, fork } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { loadavg } from 'node:os';
import pg from 'pg';
import { loadConfig } from '../src/config.ts';
import { Ledger } from '../src/ledger/index.ts';
import { walletOf } from '../src/payments/index.ts';
import { createTestIdentity, instructionFor, signInstruction, type TestCustomer } from '../src/payments/testing.ts';
import { serve } from '../src/serve.ts';
import { startCeiling } from './https-ceiling.ts';
import { startCpuProfile } from './cpu-profile.ts';
import { mainThreadCpuUs } from './thread-cpu.ts';
import { migrate, openStore } from '../src/store/index.ts';

const run$ = promisify(execFile);
const defaultPostgresUrl = 'postgres://postgres@127.0.0.1:5432/test';
const paymentsPerPayerMax = 19;

function option(args: readonly string[], name: string): string | undefined {
  const index = args.indexOf(`--${name}`);
  return index === -1 ? undefined : args[index + 1];
}

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try { return await work(client); } finally { await client.end(); }
}

async function freshPostgres(base: string, name: string): Promise<string> {
  await withClient(base, async (c) => { await c.query(`DROP DATABASE IF EXISTS ${name}`); await c.query(`CREATE DATABASE ${name}`); });
  const url = new URL(base);
  url.pathname = `/${name}`;
  return url.toString();
}

async function pgbenchTps(base: string): Promise<number> {
  await withClient(base, async (c) => { if ((await c.query("SELECT 1 FROM pg_database WHERE datname = 'anfu_pgbench'")).rowCount === 0) await c.query('CREATE DATABASE anfu_pgbench'); });
  const target = new URL(base);
  target.pathname = '/anfu_pgbench';
  await run$('pgbench', ['-i', '-s', '10', '-q', target.toString()], { maxBuffer: 16 * 1024 * 1024 });
  const { stdout } = await run$('pgbench', ['-c', '32', '-j', '2', '-T', '15', target.toString()], { maxBuffer: 16 * 1024 * 1024 });
  const match = /tps = ([0-9.]+) \((?:without initial connection time|excluding connections establishing)\)/.exec(stdout);
  return Number(match?.[1] ?? Number.NaN);
}

/** Customers with devices, funded wallets, and every transfer request signed in advance. */
async function prepare(env: Record<string, string>, payers: number, profile: 'intl' | 'gm') {
  const config = loadConfig(env);
  const { databaseUrl, sqlitePath, sqliteWriter } = config;
  const store = openStore({ databaseUrl, sqlitePath, sqliteWriter });
  await migrate(store);
  const ledger = new Ledger({ store });
  const identity = await createTestIdentity(profile);
  const customers: TestCustomer[] = [];
  for (let i = 0; i < payers; i += 1) customers.push(await identity.addCustomer());
  const bank = await ledger.openAccount({ kind: 'bank_settlement', currency: 'CNY', name: 'Bench bank', code: 'bank_settlement:BENCH:CNY' });
  for (let i = 0; i < customers.length; i += 100) {
    await Promise.all(customers.slice(i, i + 100).map(async (c) => {
      const wallet = await walletOf(ledger, c.customer.id, 'CNY');
      const funded = await ledger.submit({ kind: 'single', key: `bench-fund:${c.customer.id}`, debitAccountId: bank.id, creditAccountId: wallet.id, amount: 100_000n, currency: 'CNY' });
      if (!funded.ok) throw new Error(funded.code);
    }));
  }
  await ledger.close();
  await store.close();
  const requests: Array<{ path: string; headers: Record<string, string>; body: string }> = [];
  for (let round = 0; round < paymentsPerPayerMax; round += 1) {
    customers.forEach((payer, i) => {
      const payee = customers[(i + 1) % customers.length] ?? payer;
      const instruction = instructionFor(payer, { kind: 'transfer', target: payee.customer.id, amount: '0.01' });
      requests.push({ path: '/v1/payments/transfers', headers: { authorization: `Bearer ${payer.token}`, 'idempotency-key': `bench-${round}-${i}`, 'content-type': 'application/json' }, body: JSON.stringify({ instruction, signature: signInstruction(profile, payer, instruction) }) });
    });
  }
  return { identity, requests };
}

/** `--cpu-profile` alone writes payments-<time>.cpuprofile in the working directory; a value names the file. */
function cpuProfileFile(args: readonly string[]): string | undefined {
  const index = args.indexOf('--cpu-profile');
  if (index === -1) return undefined;
  const value = args[index + 1];
  return value !== undefined && !value.startsWith('--') ? value : `payments-${Date.now()}.cpuprofile`;
}

interface LoadResult {
  total: number; durationS: number; p50: number; p99: number; max: number; errors: number; non2xx: number; error?: string;
}

function runLoad(url: string, requests: unknown[], connections: number, seconds: number): Promise<LoadResult> {
  const child = fork(join(import.meta.dirname, 'payments-load.ts'), [], { execArgv: ['--import', 'tsx'], env: { ...process.env, NODE_TLS_REJECT_UNAUTHORIZED: '0' } });
  return new Promise((done, fail) => {
    child.once('message', (message) => done(message as LoadResult));
    child.once('error', fail);
    child.send({ url, connections, seconds, requests });
  });
}

/** The same load generator against the bare HTTPS route, after the payments run (same machine, same minute). */
async function measureCeiling(connections: number, seconds: number): Promise<{ perS: number; p99: number }> {
  const ceiling = await startCeiling(20_000);
  try {
    const load = await runLoad(ceiling.url, ceiling.requests, connections, seconds);
    if (load.error !== undefined) throw new Error(load.error);
    if (load.non2xx > 0) throw new Error(`the ceiling route refused ${load.non2xx} requests`);
    return { perS: Math.round(load.total / load.durationS), p99: load.p99 };
  } finally {
    await ceiling.close();
  }
}

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const storeKind = option(args, 'store') ?? 'sqlite';
  if (storeKind !== 'sqlite' && storeKind !== 'postgres') throw new Error('--store must be sqlite or postgres');
  const seconds = Number(option(args, 'seconds') ?? 10);
  const payers = Number(option(args, 'payers') ?? 1500);
  const connections = 64;
  const sqliteWriter = option(args, 'sqlite-writer') ?? 'inline';
  if (sqliteWriter !== 'inline' && sqliteWriter !== 'worker') {
    throw new Error('--sqlite-writer must be inline or worker');
  }
  const profile = option(args, 'profile') ?? 'intl';
  if (profile !== 'intl' && profile !== 'gm') throw new Error('--profile must be intl or gm');
  const verifyWorkers = option(args, 'verify-workers') ?? process.env.ANFU_VERIFY_WORKERS;
  const base = process.env.ANFU_BENCH_DATABASE_URL ?? defaultPostgresUrl;
  const databaseUrl = storeKind === 'postgres' ? await freshPostgres(base, 'anfu_bench_payments') : undefined;
  const env: Record<string, string> = {
    ANFU_ENV: 'development', ANFU_DATA_DIR: mkdtempSync(join(tmpdir(), 'anfu-bench-payments-')), ANFU_PORT: '0', ANFU_LOG_LEVEL: 'warn',
    ANFU_RATE_LIMIT_PER_MINUTE: '10000000', ANFU_DATABASE_POOL_SIZE: '32', ANFU_CRYPTO_PROFILE: profile,
    ANFU_SQLITE_WRITER: sqliteWriter, ...(verifyWorkers === undefined ? {} : { ANFU_VERIFY_WORKERS: verifyWorkers }),
    ...(databaseUrl === undefined ? {} : { ANFU_DATABASE_URL: databaseUrl }),
  };
  const { identity, requests } = await prepare(env, payers, profile);
  // Pre-made customers with pre-signed instructions: the bench measures payments, not sign-up.
  const server = await serve(loadConfig(env), { demo: false, quiet: true, paymentIdentity: identity });
  // The signature-check workers load once per server start: not part of what a payment costs.
  await server.context.signatureChecks?.ready();
  const profileFile = cpuProfileFile(args);
  const profiler = profileFile === undefined ? undefined : await startCpuProfile(profileFile);
  let load: LoadResult;
  // CPU of this process (the server; the load generator is another): per payment, it moves less with the
  // neighbours' load than payments/s does.
  const [cpuBefore, loopBefore] = [process.cpuUsage(), mainThreadCpuUs()];
  const utilizationBefore = performance.eventLoopUtilization();
  let cpu: NodeJS.CpuUsage | undefined;
  let loopCpuUs: number | undefined;
  let utilization: number | undefined;
  try {
    load = await runLoad(server.url, requests, connections, seconds);
    cpu = process.cpuUsage(cpuBefore);
    const loopAfter = mainThreadCpuUs();
    loopCpuUs = loopBefore === undefined || loopAfter === undefined ? undefined : loopAfter - loopBefore;
    utilization = performance.eventLoopUtilization(utilizationBefore).utilization;
  } finally {
    await profiler?.stop();
    await server.close();
  }
  if (load.error !== undefined) throw new Error(load.error);
  const ceiling = await measureCeiling(connections, seconds);
  const paymentsPerS = Math.round(load.total / load.durationS);
  const result: Record<string, unknown> = {
    store: storeKind, ...(storeKind === 'sqlite' ? { sqlite_writer: sqliteWriter } : {}),
    profile, verify_workers: loadConfig(env).verifyWorkers,
    connections, payments_per_s: paymentsPerS, p50_ms: load.p50, p99_ms: load.p99, max_ms: load.max,
    errors: load.errors + load.non2xx, requests: load.total, presigned: requests.length, seconds: load.durationS,
    ceiling: 'bare Fastify HTTPS route, one P-256 verification', ceiling_per_s: ceiling.perS, ceiling_p99_ms: ceiling.p99,
    ratio_vs_ceiling: Math.round((paymentsPerS / ceiling.perS) * 100) / 100,
    server_cpu_us_per_payment: Math.round((cpu.user + cpu.system) / Math.max(1, load.total)),
    ...(loopCpuUs === undefined ? {} : { event_loop_cpu_us_per_payment: Math.round(loopCpuUs / Math.max(1, load.total)) }),
    event_loop_utilization: Math.round((utilization ?? 0) * 100) / 100,
    load_average: loadavg().map((l) => Math.round(l * 100) / 100),
  };
  if (profileFile !== undefined) result.cpu_profile = profileFile;
  if (storeKind === 'postgres') result.pgbench_tps = await pgbenchTps(base);
  return result;
}
