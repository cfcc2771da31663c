// The audit log on both stores: appends commit or roll back with the caller's transaction, the
// synchronous appenders continue the same chain, proofs from the stored tree verify against signed
// checkpoints, and direct tampering in the database (triggers dropped first, as an attacker with
// database access would) is named at the exact entry by the live and the offline verifier.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testStoreKinds, withTestStore, type StoreKind } from '../store/testing.ts';
import type { Store } from '../store/index.ts';
import {
  appendAudit, appendAuditWithClient, consistencyProof, createCheckpoint, ephemeralAuditSigner, exportAudit, inclusionProof, sqliteAuditAppender,
  verifyAuditExport, verifyAuditLog, verifyConsistency, verifyInclusion, type AuditEvent,
} from './index.ts';

const signer = ephemeralAuditSigner('intl');
const event = (i: number): AuditEvent => ({ actorType: 'operator', actorId: 'op_1', action: 'ledger.transfer', target: `tr_${i}`, outcome: 'success', ip: '10.0.0.1', device: null, details: { i, amount: BigInt(i) * 100n } });

async function appendMany(store: Store, count: number, batch = 10): Promise<void> {
  for (let i = 0; i < count; i += batch) {
    await store.transaction((tx) => appendAudit(tx, Array.from({ length: Math.min(batch, count - i) }, (_, j) => event(i + j + 1)), 1_764_115_200_000 + i));
  }
}

/** What an attacker with database access does first. */
async function dropAppendOnly(store: Store): Promise<void> {
  if (store.dialect === 'sqlite') {
    await store.run('DROP TRIGGER audit_entries_no_update');
    await store.run('DROP TRIGGER audit_entries_no_delete');
  } else {
    await store.run('ALTER TABLE audit_entries DISABLE TRIGGER audit_entries_append_only');
  }
}

async function verifyBoth(store: Store) {
  const live = await verifyAuditLog(store, { publicKeyPem: signer.publicKeyPem });
  const file = join(mkdtempSync(join(tmpdir(), 'anfu-audit-')), 'export.jsonl');
  await exportAudit(store, file, { publicKeyPem: signer.publicKeyPem, now: 1 });
  const offline = verifyAuditExport(file, { publicKeyPem: signer.publicKeyPem });
  return { live, offline };
}

for (const kind of testStoreKinds()) {
  test(`${kind}: appends commit with the caller's transaction and roll back with it`, async () => {
    const { store, release } = await withTestStore(kind);
    try {
      assert.deepEqual(await store.transaction((tx) => appendAudit(tx, [event(1), event(2)], 1000)), [1n, 2n]);
      await assert.rejects(store.transaction(async (tx) => {
        await appendAudit(tx, [event(3)], 1001);
        throw new Error('the change failed');
      }));
      assert.deepEqual(await store.transaction((tx) => appendAudit(tx, [event(3)], 1002)), [3n]);
      await assert.rejects(store.run('UPDATE audit_entries SET target = ? WHERE seq = 1', ['x']), /append-only/);
      await assert.rejects(store.run('DELETE FROM audit_entries WHERE seq = 1'), /append-only/);
      await assert.rejects(store.transaction((tx) => appendAudit(tx, [{ ...event(4), details: { phone: '13800000000' } }], 1003)), /personal data/);
      await assert.rejects(store.transaction((tx) => appendAudit(tx, [{ ...event(4), action: 'Not An Action' }], 1003)), /action/);
      assert.equal((await verifyAuditLog(store, { publicKeyPem: signer.publicKeyPem })).ok, true);
    } finally {
      await release();
    }
  });

  test(`${kind}: the hot-path appender continues the same chain`, async () => {
    const { store, release } = await withTestStore(kind);
    try {
      await appendMany(store, 5);
      if (store.dialect === 'sqlite') {
        assert.equal(store.writer, 'inline', 'this test drives the inline connection');
        if (store.writer !== 'inline') return;
        const append = sqliteAuditAppender(store.db);
        assert.throws(() => append([event(6)], 2000), /inside the transaction/);
        const seqs = await store.exclusive(() => store.db.transaction(() => append([event(6), event(7)], 2000)).immediate());
        assert.deepEqual(seqs, [6n, 7n]);
      } else {
        const client = await store.pool.connect();
        try {
          await client.query('BEGIN');
          assert.deepEqual(await appendAuditWithClient(client, [event(6), event(7)], 2000), [6n, 7n]);
          await client.query('COMMIT');
        } finally {
          client.release();
        }
      }
      await appendMany(store, 3);
      const result = await verifyAuditLog(store, { publicKeyPem: signer.publicKeyPem });
      assert.equal(result.ok, true, JSON.stringify(result));
      assert.equal(result.entries, 10);
    } finally {
      await release();
    }
  });

  const deadlockTitle = 'a signer reading the store (the keyring on first use) does not deadlock a checkpoint';
  test(`${kind}: ${deadlockTitle}`, async () => {
    const { store, release } = await withTestStore(kind);
    try {
      await appendMany(store, 5, 5);
      const sign = async (data: Uint8Array) => (await store.get('SELECT 1 AS one'), signer.sign(data));
      const reading = { ...signer, sign };
      const timeout = new Promise<never>((_, reject) => {
        setTimeout(() => reject(new Error('checkpoint deadlocked')), 10_000).unref();
      });
      const checkpoint = await Promise.race([createCheckpoint(store, reading, 10_000), timeout]);
      assert.equal(checkpoint.treeSize, 5);
    } finally {
      await release();
    }
  });

  test(`${kind}: inclusion and consistency proofs verify against signed checkpoints`, async () => {
    const { store, release } = await withTestStore(kind);
    try {
      await appendMany(store, 70, 7);
      const first = await createCheckpoint(store, signer, 10_000);
      await appendMany(store, 61, 13);
      const second = await createCheckpoint(store, signer, 20_000);
      assert.deepEqual([first.treeSize, second.treeSize], [70, 131]);
      for (const [seq, size] of [[1, 70], [64, 70], [70, 70], [1, 131], [65, 131], [131, 131], [100, 100], [17, 33]] as const) {
        const outcome = await inclusionProof(store, BigInt(seq), BigInt(size));
        assert.ok(outcome.ok);
        const { proof } = outcome;
        assert.equal(verifyInclusion(proof.leafHash, seq - 1, size, proof.path, proof.rootHash), true);
        if (size === 131) assert.deepEqual(proof.rootHash, second.rootHash);
        if (size === 70) assert.deepEqual(proof.checkpoint?.rootHash, first.rootHash);
      }
      const consistency = await consistencyProof(store, 70n, 131n);
      assert.ok(consistency.ok);
      assert.deepEqual([consistency.proof.firstRoot, consistency.proof.secondRoot], [first.rootHash, second.rootHash]);
      assert.equal(verifyConsistency(70, 131, consistency.proof.path, first.rootHash, second.rootHash), true);
      assert.deepEqual(await inclusionProof(store, 5n, 200n), { ok: false, code: 'audit_tree_size_invalid', detail: 'treeSize must be from 5 (the entry) to 131 (the log\'s size)' });
      assert.equal((await inclusionProof(store, 10n, 9n)).ok, false);
      assert.equal((await inclusionProof(store, 132n)).ok, false);
      assert.equal(((await consistencyProof(store, 80n, 70n)) as { code: string }).code, 'audit_consistency_range_invalid');
      assert.equal(((await consistencyProof(store, 1n, 132n)) as { code: string }).code, 'audit_consistency_range_invalid');
    } finally {
      await release();
    }
  });

  tamperTests(kind);
}

function tamperTests(kind: StoreKind): void {
  const cases: { name: string; tamper: (store: Store) => Promise<void>; expect: { seq: string; kind: string; checkpoint?: string } }[] = [
    { name: 'an edited target', tamper: (s) => s.run("UPDATE audit_entries SET target = 'tr_forged' WHERE seq = 23").then(() => undefined), expect: { seq: '23', kind: 'altered', checkpoint: undefined } },
    { name: 'a deleted entry', tamper: (s) => s.run('DELETE FROM audit_entries WHERE seq = 17').then(() => undefined), expect: { seq: '17', kind: 'removed', checkpoint: 'beyond_log' } },
    {
      name: 'two swapped entries',
      tamper: async (s) => {
        await s.run('UPDATE audit_entries SET seq = 999999 WHERE seq = 30');
        await s.run('UPDATE audit_entries SET seq = 30 WHERE seq = 31');
        await s.run('UPDATE audit_entries SET seq = 31 WHERE seq = 999999');
      },
      expect: { seq: '30', kind: 'reordered' },
    },
    {
      name: 'the last entries removed, head rolled back too',
      tamper: async (s) => {
        const row = await s.get('SELECT chain_hash FROM audit_entries WHERE seq = 36');
        await s.run('DELETE FROM audit_entries WHERE seq > 36');
        await s.run('UPDATE audit_head SET seq = 36, chain_hash = ? WHERE id = 1', [row?.chain_hash as Buffer]);
      },
      expect: { seq: '37', kind: 'removed', checkpoint: 'beyond_log' },
    },
  ];
  for (const c of cases) {
    test(`${kind}: ${c.name} is named by the live and the offline verifier`, async () => {
      const { store, release } = await withTestStore(kind);
      try {
        await appendMany(store, 40, 4);
        await createCheckpoint(store, signer, 10_000);
        await dropAppendOnly(store);
        await c.tamper(store);
        const { live, offline } = await verifyBoth(store);
        for (const result of [live, offline]) {
          assert.equal(result.ok, false);
          assert.equal(result.firstProblem?.seq, c.expect.seq, JSON.stringify(result.firstProblem));
          assert.equal(result.firstProblem?.kind, c.expect.kind, JSON.stringify(result.firstProblem));
          assert.equal(result.failedCheckpoint?.reason, c.expect.checkpoint ?? 'root_mismatch');
        }
      } finally {
        await release();
      }
    });
  }

  test(`${kind}: a rewrite with recomputed hashes is caught by the signed checkpoint that covers it`, async () => {
    const { store, release } = await withTestStore(kind);
    try {
      await appendMany(store, 20, 5);
      await createCheckpoint(store, signer, 10_000);
      await appendMany(store, 20, 5);
      await createCheckpoint(store, signer, 20_000);
      await dropAppendOnly(store);
      // The attacker edits entry 25 and recomputes every leaf, chain and the head after it.
      await store.run("UPDATE audit_entries SET target = 'tr_forged' WHERE seq = 25");
      const { canonicalEntry, leafHashOfText, chainHash } = await import('./index.ts');
      const { readEntries } = await import('./store.ts');
      let chain = (await readEntries(store, 23n, 1))[0]?.chain as Buffer;
      for (const e of await readEntries(store, 24n, 100)) {
        const leaf = leafHashOfText(canonicalEntry(e.record));
        chain = chainHash(chain, leaf);
        await store.run('UPDATE audit_entries SET leaf_hash = ?, chain_hash = ? WHERE seq = ?', [leaf, chain, e.record.seq]);
      }
      await store.run('UPDATE audit_head SET chain_hash = ? WHERE id = 1', [chain]);
      const { live, offline } = await verifyBoth(store);
      for (const result of [live, offline]) {
        assert.equal(result.ok, false);
        assert.deepEqual([result.firstProblem?.seq, result.firstProblem?.throughSeq, result.firstProblem?.kind], ['21', '40', 'altered']);
        assert.deepEqual([result.failedCheckpoint?.id, result.failedCheckpoint?.reason], ['2', 'root_mismatch']);
      }
    } finally {
      await release();
    }
  });
}

test('an export edited, cut, reordered or with a forged checkpoint names the place', async () => {
  const { store, release } = await withTestStore('sqlite');
  try {
    await appendMany(store, 30, 3);
    await createCheckpoint(store, signer, 10_000);
    const dir = mkdtempSync(join(tmpdir(), 'anfu-audit-'));
    const file = join(dir, 'export.jsonl');
    await exportAudit(store, file, { publicKeyPem: signer.publicKeyPem, now: 1 });
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    const check = (edit: (l: string[]) => string[], options: { publicKeyPem?: string } = { publicKeyPem: signer.publicKeyPem }) => {
      const path = join(dir, `t-${Math.random().toString(36).slice(2)}.jsonl`);
      writeFileSync(path, `${edit([...lines]).join('\n')}\n`);
      return verifyAuditExport(path, options);
    };
    assert.equal(check((l) => l).ok, true);
    // lines: 0 header, 1 checkpoint, 2.. entries (seq = index - 1)
    const edited = check((l) => l.map((x, i) => (i === 13 ? x.replace('"tr_12"', '"tr_99"') : x)));
    assert.deepEqual([edited.firstProblem?.seq, edited.firstProblem?.kind], ['12', 'altered']);
    const removed = check((l) => l.filter((_, i) => i !== 9));
    assert.deepEqual([removed.firstProblem?.seq, removed.firstProblem?.kind], ['8', 'removed']);
    const swapped = check((l) => [...l.slice(0, 6), l[7] as string, l[6] as string, ...l.slice(8)]);
    assert.deepEqual([swapped.firstProblem?.seq, swapped.firstProblem?.kind], ['5', 'reordered']);
    const cut = check((l) => l.slice(0, -3));
    assert.deepEqual([cut.firstProblem?.seq, cut.firstProblem?.kind, cut.failedCheckpoint?.reason], ['28', 'removed', 'beyond_log']);
    const forged = check((l) => l.map((x, i) => (i === 1 ? x.replace(/"signature":"[A-Za-z0-9+/]{8}/, '"signature":"AAAAAAAA') : x)));
    assert.deepEqual([forged.firstProblem, forged.failedCheckpoint?.id, forged.failedCheckpoint?.reason], [null, '1', 'signature_invalid']);
    const other = ephemeralAuditSigner('intl');
    const wrongKey = check((l) => l, { publicKeyPem: other.publicKeyPem });
    assert.equal(wrongKey.failedCheckpoint?.reason, 'unknown_key');
    const garbage = check((l) => l.map((x, i) => (i === 20 ? '{"seq":19,"leaf":"zz"}' : x)));
    assert.deepEqual([garbage.firstProblem?.seq, garbage.firstProblem?.kind], ['19', 'malformed']);
  } finally {
    await release();
  }
});

test('gm profile: SM2-signed checkpoints verify, and a forged one does not', async () => {
  const { store, release } = await withTestStore('sqlite');
  try {
    const gm = ephemeralAuditSigner('gm');
    await appendMany(store, 9, 3);
    await createCheckpoint(store, gm, 10_000);
    assert.equal((await verifyAuditLog(store, { publicKeyPem: gm.publicKeyPem })).ok, true);
    assert.equal((await verifyAuditLog(store, { publicKeyPem: signer.publicKeyPem })).failedCheckpoint?.reason, 'unknown_key');
  } finally {
    await release();
  }
});
