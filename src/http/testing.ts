// Test support: the real app on a real store (SQLite file or PostgreSQL schema), driven in-process
// with app.inject(), with an operator token already issued and the log captured.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { issueApiToken, type OperatorRole } from '../access/index.ts';
import { loadConfig, type Config } from '../config.ts';
import { Ledger } from '../ledger/index.ts';
import { withTestStore, type StoreKind } from '../store/testing.ts';
import type { Store } from '../store/index.ts';
import { buildApp, type App } from './app.ts';

export interface TestApp {
  readonly app: App;
  readonly store: Store;
  readonly ledger: Ledger;
  readonly config: Config;
  /** A bearer token for an operator of the given role (administrator by default). */
  readonly token: string;
  /** Every log line the app wrote. */
  readonly logs: string[];
  tokenFor(role: OperatorRole): Promise<string>;
  close(): Promise<void>;
}

export async function createTestApp(kind: StoreKind, env: Record<string, string> = {}): Promise<TestApp> {
  const { store, release } = await withTestStore(kind);
  const config = loadConfig({ ANFU_ENV: 'test', ANFU_LOG_LEVEL: 'info', ANFU_DATA_DIR: mkdtempSync(join(tmpdir(), 'anfu-app-')), ...env });
  const ledger = new Ledger({ store });
  const logs: string[] = [];
  const logStream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      logs.push(chunk.toString('utf8'));
      callback();
    },
  });
  const app = await buildApp({ config, store, ledger, logStream });
  await app.ready();
  const tokenFor = async (role: OperatorRole) => (await issueApiToken(store, { name: `test ${role}`, role }, Date.now())).token;
  const token = await tokenFor('administrator');
  return {
    app,
    store,
    ledger,
    config,
    token,
    logs,
    tokenFor,
    async close() {
      await app.close();
      await ledger.close();
      await release();
    },
  };
}
