// The background checkpointer copies committed WAL pages into the database file without any help
// from the writer, and stops cleanly with the store.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { openSqlite } from './sqlite.ts';

test('committed pages reach the database file from the worker; the writer never checkpoints', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'anfu-ckpt-'));
  const path = join(dir, 'a.db');
  const store = openSqlite({ path, backgroundCheckpoint: true });
  try {
    await store.run('CREATE TABLE filler (id INTEGER PRIMARY KEY, data BLOB)');
    const sizeBefore = statSync(path).size;
    for (let i = 0; i < 20; i++) {
      await store.transaction(async (tx) => {
        for (let j = 0; j < 50; j++) await tx.run('INSERT INTO filler (data) VALUES (?)', [Buffer.alloc(2048, i)]);
      });
    }
    // 2 MB were committed to the WAL; the writer's own auto-checkpoint is far above that.
    assert.ok(statSync(`${path}-wal`).size > 1_000_000, 'the WAL holds the commits');
    let sizeAfter = statSync(path).size;
    for (let waited = 0; sizeAfter < sizeBefore + 1_000_000 && waited < 5_000; waited += 100) {
      await sleep(100);
      sizeAfter = statSync(path).size;
    }
    assert.ok(sizeAfter >= sizeBefore + 1_000_000, `the database file grew from ${sizeBefore} to ${sizeAfter} bytes by background checkpoints`);
    const rows = await store.get<{ n: bigint }>('SELECT COUNT(*) AS n FROM filler');
    assert.equal(rows?.n, 1000n);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
