// A child process of the concurrency test: opens its own store connection to the database the parent
// names, hammers the ledger, and sends its report back over IPC.
// Run with: node --import tsx src/ledger/testing/hammer-worker.ts (forked, config in ANFU_HAMMER_CONFIG).
import { openStore } from '../../store/index.ts';
import { testSqliteWriter } from '../../store/testing.ts';
import { Ledger } from '../ledger.ts';
import { hammer, type HammerConfig } from './hammer.ts';

export interface HammerWorkerConfig extends HammerConfig {
  readonly databaseUrl: string | undefined;
  readonly sqlitePath: string;
  readonly schema: string | undefined;
}

const raw = process.env.ANFU_HAMMER_CONFIG;
if (raw === undefined || process.send === undefined) throw new Error('hammer-worker: fork me with ANFU_HAMMER_CONFIG and an IPC channel');
const config = JSON.parse(raw) as HammerWorkerConfig;
const store = openStore({
  databaseUrl: config.databaseUrl, sqlitePath: config.sqlitePath, schema: config.schema, poolSize: 4, sqliteWriter: testSqliteWriter(),
});
const ledger = new Ledger({ store });
const report = await hammer(ledger, config);
await ledger.close();
await store.close();
process.send(report, () => process.disconnect());
