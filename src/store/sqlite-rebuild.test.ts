// The SQLite table rebuild of a migration (store/sqlite-rebuild.ts): a CHECK constraint changed with
// the rows, indexes, triggers and foreign keys kept; a rebuild that would break a foreign key rolls
// the whole migration back; foreign keys are on again either way. The payments rebuild (211) runs
// in every test database; here it is also checked on a payments row written before it, and the
// funding_payments rebuild (208) on a top-up written before it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrate, openStore, type Store } from './index.ts';
import { migrations, type Migration } from './migrations/index.ts';

const base: Migration = {
  id: 1,
  name: 'base',
  sql: `
CREATE TABLE parent (id TEXT PRIMARY KEY, state TEXT NOT NULL CHECK (state IN ('a', 'b')), note TEXT)
--;
CREATE INDEX parent_state ON parent (state)
--;
CREATE TABLE child (id TEXT PRIMARY KEY, parent_id TEXT NOT NULL REFERENCES parent (id), other TEXT)
--;
APPEND_ONLY(parent)`,
};

const widen: Migration = {
  id: 2,
  name: 'widen',
  sqliteRebuilds: [{ table: 'parent', rewrite: (sql) => sql.replace("IN ('a', 'b')", "IN ('a', 'b', 'c')") }],
  sql: 'CREATE TABLE after_rebuild (id TEXT PRIMARY KEY)',
};

async function withSqlite(work: (store: Store) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'anfu-rebuild-'));
  const store = openStore({ databaseUrl: undefined, sqlitePath: join(dir, 'anfu.db') });
  try {
    await work(store);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const foreignKeysOn = async (store: Store) =>
  (await store.get<{ foreign_keys: bigint }>('PRAGMA foreign_keys'))?.foreign_keys;

test('sqlite: a rebuild changes a CHECK and keeps rows, indexes, triggers and foreign keys', async () => {
  await withSqlite(async (store) => {
    await migrate(store, () => 1, [base]);
    await store.run("INSERT INTO parent (id, state, note) VALUES ('p1', 'a', 'kept')");
    await store.run("INSERT INTO child (id, parent_id) VALUES ('c1', 'p1')");
    await assert.rejects(store.run("INSERT INTO parent (id, state) VALUES ('p2', 'c')"), /CHECK/);
    const report = await migrate(store, () => 2, [base, widen]);
    assert.deepEqual(report.applied, ['2-widen']);
    await store.run("INSERT INTO parent (id, state) VALUES ('p2', 'c')");
    assert.deepEqual(await store.all('SELECT id, state, note FROM parent ORDER BY id'), [
      { id: 'p1', state: 'a', note: 'kept' },
      { id: 'p2', state: 'c', note: null },
    ]);
    const objects = await store.all<{ name: string }>(
      `SELECT name FROM sqlite_master WHERE tbl_name = 'parent' AND type IN ('index', 'trigger') AND sql IS NOT NULL
       ORDER BY name`,
    );
    assert.deepEqual(objects.map((o) => o.name), ['parent_no_delete', 'parent_no_update', 'parent_state']);
    await assert.rejects(store.run("UPDATE parent SET note = 'x'"), /append-only/);
    assert.equal(await foreignKeysOn(store), 1n);
    await assert.rejects(store.run("INSERT INTO child (id, parent_id) VALUES ('c2', 'nobody')"), /FOREIGN KEY/);
    assert.equal((await store.all("SELECT name FROM sqlite_master WHERE name = 'parent__rebuild'")).length, 0);
  });
});

test('sqlite: a rebuild that breaks a foreign key rolls the migration back', async () => {
  await withSqlite(async (store) => {
    await migrate(store, () => 1, [base]);
    await store.run("INSERT INTO parent (id, state) VALUES ('p1', 'a')");
    await store.run("INSERT INTO child (id, parent_id, other) VALUES ('c1', 'p1', 'nobody')");
    const breaking: Migration = {
      id: 3,
      name: 'breaking',
      sqliteRebuilds: [
        { table: 'child', rewrite: (sql) => sql.replace('other TEXT', 'other TEXT REFERENCES parent (id)') },
      ],
      sql: 'CREATE TABLE never (id TEXT)',
    };
    await assert.rejects(migrate(store, () => 3, [base, breaking]), /breaks 1 foreign key/);
    const child = await store.get<{ sql: string }>("SELECT sql FROM sqlite_master WHERE name = 'child'");
    assert.doesNotMatch(child?.sql ?? '', /other TEXT REFERENCES/);
    assert.equal(await store.get("SELECT name FROM sqlite_master WHERE name = 'never'"), undefined);
    assert.equal(await store.get('SELECT id FROM schema_migrations WHERE id = 3'), undefined);
    assert.equal(await foreignKeysOn(store), 1n);
    assert.equal((await store.all('SELECT id FROM child')).length, 1);
  });
});

test('sqlite: a rebuild that changes nothing is refused (the rewrite did not match)', async () => {
  await withSqlite(async (store) => {
    await migrate(store, () => 1, [base]);
    const stale: Migration = {
      id: 4, name: 'stale', sqliteRebuilds: [{ table: 'parent', rewrite: (sql) => sql }], sql: '',
    };
    await assert.rejects(migrate(store, () => 4, [base, stale]), /changes nothing/);
    assert.equal(await foreignKeysOn(store), 1n);
  });
});

test('sqlite: payments written before migration 211 survive its rebuild and may be held for review', async () => {
  await withSqlite(async (store) => {
    const upTo210 = migrations.filter((m) => m.id < 211);
    await migrate(store, () => 1, upTo210);
    await store.run(
      `INSERT INTO payments (id, kind, state, payer_id, payee_id, amount, currency, idempotency_key, request_hash,
        limit_day, limit_year, created_at, updated_at)
       VALUES ('pay_1', 'transfer', 'succeeded', 'c1', 'c2', 100, 'CNY', 'k', 'h', 1, 1, 1, 1)`,
    );
    await store.run(
      `INSERT INTO payment_transitions (payment_id, to_state, event, actor_type, at)
       VALUES ('pay_1', 'succeeded', 'settle', 'system', 1)`,
    );
    await migrate(store, () => 2);
    const stored = await store.get<{ state: string }>("SELECT state FROM payments WHERE id = 'pay_1'");
    assert.equal(stored?.state, 'succeeded');
    await store.run("UPDATE payments SET state = 'held_for_review' WHERE id = 'pay_1'");
    await assert.rejects(store.run("UPDATE payments SET state = 'nonsense' WHERE id = 'pay_1'"), /CHECK/);
    const indexes = await store.all(
      "SELECT name FROM sqlite_master WHERE tbl_name = 'payments' AND type = 'index' AND sql IS NOT NULL",
    );
    assert.equal(indexes.length, 7);
  });
});

test('sqlite: top-ups written before migration 208 survive its rebuild and may be held for review', async () => {
  await withSqlite(async (store) => {
    const before208 = migrations.filter((m) => m.id !== 208);
    await migrate(store, () => 1, before208);
    await store.run(
      `INSERT INTO payment_cards (id, customer_id, card_token, masked_pan, bank, created_at)
       VALUES ('card_1', 'c1', 'tok', '622202******0001', 'SIMBANK', 1)`,
    );
    await store.run(
      `INSERT INTO funding_payments (id, kind, state, customer_id, card_id, amount, currency, idempotency_key,
        request_hash, bank, bank_stan, created_at, updated_at)
       VALUES ('fnd_1', 'top_up', 'succeeded', 'c1', 'card_1', 100, 'CNY', 'k', 'h', 'SIMBANK', '000001', 1, 1)`,
    );
    const indexesOf = async () =>
      (await store.all<{ name: string }>(
        "SELECT name FROM sqlite_master WHERE tbl_name = 'funding_payments' AND type = 'index' AND sql IS NOT NULL",
      )).map((r) => r.name).sort();
    const indexes = await indexesOf();
    assert.ok(indexes.length >= 2, indexes.join());
    await migrate(store, () => 2);
    const stored = await store.get<{ state: string }>("SELECT state FROM funding_payments WHERE id = 'fnd_1'");
    assert.equal(stored?.state, 'succeeded');
    await store.run("UPDATE funding_payments SET state = 'held_for_review' WHERE id = 'fnd_1'");
    await assert.rejects(store.run("UPDATE funding_payments SET state = 'nonsense' WHERE id = 'fnd_1'"), /CHECK/);
    assert.deepEqual(await indexesOf(), indexes, 'the indexes are back');
    assert.equal(await foreignKeysOn(store), 1n);
  });
});
