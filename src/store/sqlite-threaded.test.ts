// The SQLite store with a writer thread answers as the inline store does — same values, same errors,
// same all-or-nothing transactions in one queue — and fails loudly, never hangs, when its thread dies.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { AnfuError } from '../errors.ts';
import type { Param, ThreadedSqliteStore } from './port.ts';
import { openSqlite } from './sqlite.ts';
import { openSqliteWithWriterThread } from './sqlite-threaded.ts';

const procedures = new URL('./testing/writer-procedures.ts', import.meta.url).href;

async function withThreaded(run: (store: ThreadedSqliteStore, path: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'anfu-threaded-'));
  const path = join(dir, 'a.db');
  const store = openSqliteWithWriterThread({ path });
  store.writerThread.load(procedures);
  try {
    await store.run('CREATE TABLE kinds (id INTEGER PRIMARY KEY, i INTEGER, r REAL, t TEXT, b BLOB, n TEXT, f INT)');
    await store.run('CREATE TABLE counter (id INTEGER PRIMARY KEY, value INTEGER NOT NULL, UNIQUE (value))');
    await store.run('INSERT INTO counter (id, value) VALUES (1, 0)');
    await run(store, path);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const big = 2n ** 62n + 12345n;
const bytes = Buffer.from([0, 1, 2, 254, 255]);
const params: Param[] = [big, 1.5, 'text ✓', bytes, null, true];
const expected = { i: big, r: 1.5, t: 'text ✓', b: bytes, n: null, f: 1n };

function assertKinds(row: Record<string, unknown> | undefined, where: string): void {
  assert.ok(row !== undefined, where);
  assert.deepEqual({ ...row, id: undefined }, { ...expected, id: undefined }, where);
  assert.ok(Buffer.isBuffer(row.b), `${where}: a BLOB comes back as a Buffer`);
}

test('every parameter and column type round-trips, read here, in the writer and by the inline store', async () => {
  await withThreaded(async (store, path) => {
    const insert = 'INSERT INTO kinds (i, r, t, b, n, f) VALUES (?, ?, ?, ?, ?, ?)';
    assert.equal(await store.run(insert, params), 1);
    await store.transaction(async (tx) => {
      assert.equal(await tx.run(insert, params), 1);
      assertKinds(await tx.get('SELECT * FROM kinds WHERE id = 2'), 'tx.get in the writer');
      const rows = await tx.all('SELECT * FROM kinds ORDER BY id');
      rows.forEach((row, i) => assertKinds(row, `tx.all row ${i}`));
      // RETURNING makes a write a reader: its rows come back from the writer, BLOBs as Buffers.
      const returned = await tx.get('UPDATE kinds SET t = t WHERE id = 1 RETURNING *');
      assertKinds(returned, 'UPDATE … RETURNING');
    });
    for (const row of await store.all('SELECT * FROM kinds ORDER BY id')) assertKinds(row, 'store.all on this thread');
    const bound = await store.get('SELECT * FROM kinds WHERE i = ? AND b = ? AND f = ?', [big, bytes, true]);
    assertKinds(bound, 'params bind alike');
    const echoed = await store.writerThread.call('test.echo', [big, bytes, null, 'x']);
    assert.deepEqual(echoed, [big, new Uint8Array(bytes), null, 'x']);
    const inline = openSqlite({ path });
    try {
      const all = 'SELECT * FROM kinds ORDER BY id';
      assert.deepEqual(await inline.all(all), await store.all(all));
    } finally {
      await inline.close();
    }
  });
});

test('a transaction that throws writes nothing, and the caller gets its own error back', async () => {
  await withThreaded(async (store) => {
    const thrown = new Error('the decider refused');
    await assert.rejects(
      store.transaction(async (tx) => {
        await tx.run('INSERT INTO kinds (t) VALUES (?)', ['first']);
        await tx.run('UPDATE counter SET value = 99 WHERE id = 1');
        throw thrown;
      }),
      (error) => error === thrown,
    );
    assert.equal((await store.get<{ n: bigint }>('SELECT COUNT(*) AS n FROM kinds'))?.n, 0n);
    assert.equal((await store.get<{ value: bigint }>('SELECT value FROM counter'))?.value, 0n);
    assert.equal(await store.writerThread.call('test.inTransaction', []), false, 'the writer left the transaction');
  });
});

test('errors from the writer keep the class and code callers test for', async () => {
  await withThreaded(async (store) => {
    await store.run('INSERT INTO counter (id, value) VALUES (2, 5)');
    const duplicate = await store.run('INSERT INTO counter (id, value) VALUES (3, 5)').catch((error: unknown) => error);
    assert.ok(duplicate instanceof Database.SqliteError, 'a SqliteError');
    assert.equal(duplicate.code, 'SQLITE_CONSTRAINT_UNIQUE');
    assert.match(duplicate.message, /UNIQUE constraint failed: counter.value/);
    // Inside a transaction the constraint fails the statement; the transaction rolls back whole.
    await assert.rejects(
      store.transaction(async (tx) => {
        await tx.run('INSERT INTO kinds (t) VALUES (?)', ['rolled back']);
        await tx.run('INSERT INTO counter (id, value) VALUES (4, 5)');
      }),
      (error: unknown) => error instanceof Database.SqliteError && error.code === 'SQLITE_CONSTRAINT_UNIQUE',
    );
    assert.equal((await store.get<{ n: bigint }>('SELECT COUNT(*) AS n FROM kinds'))?.n, 0n);
    const anfu = await store.writerThread.call('test.anfuError', []).catch((error: unknown) => error);
    assert.ok(anfu instanceof AnfuError, 'an AnfuError');
    assert.equal(anfu.code, 'account_exists');
    assert.equal(anfu.status, 409);
    assert.equal(anfu.detail, 'an account with this code already exists');
    assert.deepEqual(anfu.extra, { code: 'W1' });
    const invariant = /^Error: ledger invariant: a touched account was not loaded$/m;
    await assert.rejects(store.writerThread.call('test.invariant', []), invariant);
    await assert.rejects(store.writerThread.call('test.none', []), /no procedure test\.none/);
  });
});

test('transactions run one at a time, in the order they were asked for', async () => {
  await withThreaded(async (store) => {
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        store.transaction(async (tx) => {
          const row = await tx.get<{ value: bigint }>('SELECT value FROM counter WHERE id = 1');
          // A pause between the read and the write: an interleaved transaction would lose an update.
          await new Promise((resolve) => setTimeout(resolve, 2));
          await tx.run('UPDATE counter SET value = ? WHERE id = 1', [(row?.value ?? 0n) + 1n]);
          order.push(i);
        }),
      ),
    );
    assert.equal((await store.get<{ value: bigint }>('SELECT value FROM counter WHERE id = 1'))?.value, 20n);
    assert.deepEqual(order, Array.from({ length: 20 }, (_, i) => i));
  });
});

test('a read outside a transaction sees what is committed, without waiting for an open transaction', async () => {
  await withThreaded(async (store) => {
    let release = () => undefined as void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let inserted = () => undefined as void;
    const insertDone = new Promise<void>((resolve) => (inserted = resolve));
    const open = store.transaction(async (tx) => {
      await tx.run('INSERT INTO kinds (t) VALUES (?)', ['pending']);
      inserted();
      await gate;
    });
    await insertDone;
    // The transaction holds the write lock; this read is answered at once, from the last commit.
    const read = store.get("SELECT t FROM kinds WHERE t = 'pending'");
    assert.equal(await Promise.race([read, sleep(5_000).then(() => 'still waiting')]), undefined);
    release();
    await open;
    assert.deepEqual(await store.get("SELECT t FROM kinds WHERE t = 'pending'"), { t: 'pending' });
  });
});

// A hang is the failure this guards against: the test's timeout turns it into a failure.
test('a writer thread that dies fails every waiting and later call; close ends', { timeout: 30_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'anfu-threaded-'));
  const store = openSqliteWithWriterThread({ path: join(dir, 'a.db') });
  try {
    await store.run('CREATE TABLE t (x INTEGER)');
    store.writerThread.load(procedures);
    const dying = store.writerThread.call('test.exit', []);
    const waiting = [
      store.run('INSERT INTO t VALUES (1)'),
      store.transaction((tx) => tx.run('INSERT INTO t VALUES (2)')),
    ];
    const failures = await Promise.allSettled([dying, ...waiting]);
    for (const failure of failures) {
      assert.equal(failure.status, 'rejected');
      assert.match(String(failure.reason), /SQLite writer thread stopped \(exit code 7\)/);
    }
    await assert.rejects(store.run('INSERT INTO t VALUES (3)'), /writer thread stopped/);
    // Reads of what was committed still answer here; nothing was written after the crash.
    assert.deepEqual(await store.all('SELECT x FROM t'), []);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('close waits for the calls before it, then ends the thread', { timeout: 30_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'anfu-threaded-'));
  const path = join(dir, 'a.db');
  const store = openSqliteWithWriterThread({ path });
  try {
    await store.run('CREATE TABLE t (x INTEGER)');
    const writes = Array.from({ length: 50 }, (_, i) => store.run('INSERT INTO t VALUES (?)', [i]));
    await store.close();
    assert.deepEqual(await Promise.all(writes), Array.from({ length: 50 }, () => 1));
    await assert.rejects(store.run('INSERT INTO t VALUES (99)'), /writer thread stopped/);
    const inline = openSqlite({ path });
    assert.equal((await inline.get<{ n: bigint }>('SELECT COUNT(*) AS n FROM t'))?.n, 50n);
    await inline.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
