// A child process of the crash test: serves transfers continuously (many in flight, so batches form)
// and prints each acknowledged key on its own line only after submit() resolved, i.e. after the
// durable commit. The parent kills it with SIGKILL at an arbitrary moment.
// Run with: node --import tsx src/ledger/testing/crash-worker.ts (forked, config in ANFU_CRASH_CONFIG).
import { openStore } from '../../store/index.ts';
import { testSqliteWriter } from '../../store/testing.ts';
import { Ledger } from '../ledger.ts';
import { pick, seededRandom } from './fixtures.ts';

export interface CrashWorkerConfig {
  readonly databaseUrl: string | undefined;
  readonly sqlitePath: string;
  readonly schema: string | undefined;
  readonly accounts: readonly string[];
  readonly currency: string;
  readonly prefix: string;
  readonly concurrency: number;
  /** A bound on the work, should the parent never kill this process. */
  readonly operationsMax: number;
}

const raw = process.env.ANFU_CRASH_CONFIG;
if (raw === undefined) throw new Error('crash-worker: run me with ANFU_CRASH_CONFIG');
const config = JSON.parse(raw) as CrashWorkerConfig;
const store = openStore({
  databaseUrl: config.databaseUrl, sqlitePath: config.sqlitePath, schema: config.schema, poolSize: 4, sqliteWriter: testSqliteWriter(),
});
const ledger = new Ledger({ store });
const random = seededRandom(process.pid);

let next = 0;
async function submitter(): Promise<void> {
  for (let n = next++; n < config.operationsMax; n = next++) {
    const debitAccountId = pick(random, config.accounts);
    const creditAccountId = pick(random, config.accounts.filter((a) => a !== debitAccountId));
    const key = `${config.prefix}${n}`;
    const outcome = await ledger.submit({ kind: 'single', key, debitAccountId, creditAccountId, amount: BigInt(1 + Math.floor(random() * 500)), currency: config.currency });
    // stdout is a pipe: writes are synchronous on Linux, so a printed key has left this process.
    if (outcome.ok) process.stdout.write(`${key}\n`);
  }
}

await Promise.all(Array.from({ length: config.concurrency }, submitter));
await ledger.close();
await store.close();
