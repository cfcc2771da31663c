// What most commands need first: the configured store, migrated, closed again when the command ends
// (and the ledger over it, for the commands that read or verify the journal).
import type { Config } from '../config.ts';
import { Ledger } from '../ledger/index.ts';
import { migrate, openStore, type Store } from '../store/index.ts';

export async function withStore<T>(config: Config, work: (store: Store) => Promise<T>): Promise<T> {
  const { databaseUrl, sqlitePath, databasePoolSize: poolSize } = config;
  const store = openStore({ databaseUrl, sqlitePath, poolSize });
  try {
    await migrate(store);
    return await work(store);
  } finally {
    await store.close();
  }
}

export async function withLedger<T>(config: Config, work: (ledger: Ledger, store: Store) => Promise<T>): Promise<T> {
  return withStore(config, async (store) => {
    const ledger = new Ledger({ store, transferBatchMax: config.transferBatchMax });
    try {
      return await work(ledger, store);
    } finally {
      await ledger.close();
    }
  });
}

/** JSON with bigint amounts as decimal strings. */
export function jsonOf(value: unknown, indent: number): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), indent);
}
