// Test support: the same suite runs on a fresh SQLite file and, when ANFU_TEST_DATABASE_URL is set,
// on a fresh PostgreSQL schema of its own (so test files can run in parallel on one server).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { postgresSkip } from '../testing/required-tools.ts';
import { migrate, openStore, type SqliteWriter, type Store } from './index.ts';

export type StoreKind = 'sqlite' | 'postgres';

export function testStoreKinds(): StoreKind[] {
  return postgresSkip() === false ? ['sqlite', 'postgres'] : ['sqlite'];
}

export interface TestDatabase {
  readonly kind: StoreKind;
  /** What a child process needs to open the same database. */
  readonly databaseUrl: string | undefined;
  readonly sqlitePath: string;
  readonly schema: string | undefined;
  open(poolSize?: number): Store;
  drop(): Promise<void>;
}

/**
 * Which SQLite store the tests open: the inline one, or the one with a writer thread when
 * ANFU_TEST_SQLITE_WRITER=worker (CI runs the ledger and payment tests once that way).
 */
export function testSqliteWriter(): SqliteWriter {
  return process.env.ANFU_TEST_SQLITE_WRITER === 'worker' ? 'worker' : 'inline';
}

/** Creates an empty, migrated database of the given kind. */
export async function createTestDatabase(kind: StoreKind): Promise<TestDatabase> {
  const dir = mkdtempSync(join(tmpdir(), 'anfu-test-'));
  const sqlitePath = join(dir, 'anfu.db');
  const url = kind === 'postgres' ? process.env.ANFU_TEST_DATABASE_URL : undefined;
  const schema = kind === 'postgres' ? `t_${randomBytes(6).toString('hex')}` : undefined;
  if (url !== undefined && schema !== undefined) {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query(`CREATE SCHEMA ${schema}`);
    await client.end();
  }
  const database: TestDatabase = {
    kind,
    databaseUrl: url,
    sqlitePath,
    schema,
    open: (poolSize?: number) =>
      openStore({
        databaseUrl: url, sqlitePath, schema, sqliteWriter: testSqliteWriter(),
        ...(poolSize === undefined ? {} : { poolSize }),
      }),
    async drop() {
      if (url !== undefined && schema !== undefined) {
        const client = new pg.Client({ connectionString: url });
        await client.connect();
        await client.query(`DROP SCHEMA ${schema} CASCADE`);
        await client.end();
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  const store = database.open();
  await migrate(store);
  await store.close();
  return database;
}

/** Opens a fresh migrated store; `release` closes and drops it. */
export async function withTestStore(kind: StoreKind): Promise<{ store: Store; database: TestDatabase; release(): Promise<void> }> {
  const database = await createTestDatabase(kind);
  const store = database.open();
  return {
    store,
    database,
    async release() {
      await store.close();
      await database.drop();
    },
  };
}

/**
 * A database of its own for a served app (`serve` reads ANFU_DATABASE_URL): a fresh SQLite file, or a
 * fresh PostgreSQL database.
 */
export async function databaseFor(
  kind: StoreKind,
): Promise<{ env: Record<string, string>; drop(): Promise<void> }> {
  const url = process.env.ANFU_TEST_DATABASE_URL;
  if (kind === 'sqlite' || url === undefined) return { env: {}, drop: async () => undefined };
  const name = `anfu_web_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const own = new URL(url);
  own.pathname = `/${name}`;
  return {
    env: { ANFU_DATABASE_URL: own.toString() },
    async drop() {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}
