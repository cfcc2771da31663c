// The audit API through the real app on both stores: pages of entries, a checkpoint signed on request
// (and audited), proofs that verify against it, and malformed proof requests answered with their codes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestApp } from '../../wiring/test-app.ts';
import { testStoreKinds } from '../../store/testing.ts';
import { createVerify } from 'node:crypto';
import { appendAudit, checkpointNote, verifyConsistency, verifyInclusion } from '../../audit/index.ts';

const hex = (h: string) => Buffer.from(h, 'hex');

for (const kind of testStoreKinds()) {
  test(`${kind}: audit routes serve entries, checkpoints and proofs; bad proof requests get clear codes`, async () => {
    const t = await createTestApp(kind);
    try {
      const headers = { authorization: `Bearer ${t.token}` };
      for (let i = 0; i < 5; i++) {
        await t.store.transaction((tx) => appendAudit(tx, Array.from({ length: 7 }, (_, j) => ({ actorType: 'system' as const, actorId: null, action: 'test.event', target: `t${i * 7 + j}`, outcome: 'success' as const })), 1000 + i));
      }
      const created = await t.app.inject({ method: 'POST', url: '/v1/audit/checkpoints', headers });
      assert.equal(created.statusCode, 201, created.body);
      const checkpoint = created.json() as { treeSize: number; rootHash: string };
      const entries = await t.app.inject({ method: 'GET', url: '/v1/audit/entries?limit=10', headers });
      assert.equal(entries.statusCode, 200);
      assert.equal((entries.json() as { items: unknown[]; nextCursor: string }).nextCursor, '10');
      const proof = (await t.app.inject({ method: 'GET', url: `/v1/audit/entries/12/inclusion-proof?treeSize=${checkpoint.treeSize}`, headers })).json() as { leafHash: string; path: string[]; rootHash: string };
      assert.equal(proof.rootHash, checkpoint.rootHash);
      assert.equal(verifyInclusion(hex(proof.leafHash), 11, checkpoint.treeSize, proof.path.map(hex), hex(checkpoint.rootHash)), true);
      const consistency = (await t.app.inject({ method: 'GET', url: `/v1/audit/consistency-proof?first=20&second=${checkpoint.treeSize}`, headers })).json() as { path: string[]; firstRoot: string; secondRoot: string };
      assert.equal(verifyConsistency(20, checkpoint.treeSize, consistency.path.map(hex), hex(consistency.firstRoot), hex(checkpoint.rootHash)), true);
      const bad = async (url: string) => {
        const response = await t.app.inject({ method: 'GET', url, headers });
        return [response.statusCode, (response.json() as { code: string }).code];
      };
      assert.deepEqual(await bad('/v1/audit/entries/3/inclusion-proof?treeSize=999'), [422, 'audit_tree_size_invalid']);
      assert.deepEqual(await bad('/v1/audit/entries/999/inclusion-proof'), [404, 'audit_entry_not_found']);
      assert.deepEqual(await bad('/v1/audit/entries/abc/inclusion-proof'), [400, 'audit_proof_parameter_invalid']);
      assert.deepEqual(await bad('/v1/audit/consistency-proof?first=30&second=20'), [422, 'audit_consistency_range_invalid']);
      assert.deepEqual(await bad('/v1/audit/consistency-proof?first=x&second=20'), [400, 'audit_proof_parameter_invalid']);
      const unauthenticated = await t.app.inject({ method: 'GET', url: '/v1/audit/entries' });
      assert.equal(unauthenticated.statusCode, 401);
      // Search: exactly the entries of one target, of one action, or of one actor.
      type Found = { items: { seq: string; target: string; action: string; actorId: string | null }[] };
      const found = async (query: string) =>
        (await t.app.inject({ method: 'GET', url: `/v1/audit/entries?${query}`, headers })).json() as Found;
      assert.deepEqual((await found('target=t12')).items.map((e) => e.target), ['t12']);
      assert.equal((await found('action=test.event&limit=100')).items.length, 35);
      assert.deepEqual((await found('action=test.event&target=t12&actor=nobody')).items, []);
      const checkpointer = (await found('action=audit.checkpoint')).items;
      assert.equal(checkpointer.length, 1);
      assert.equal((await found(`actor=${checkpointer[0]?.actorId ?? ''}&action=audit.checkpoint`)).items.length, 1);
      assert.equal((await t.app.inject({ method: 'GET', url: '/v1/audit/entries?target=', headers })).statusCode, 400);
      // The published signing key checks the checkpoint's signature over its documented note.
      type Key = { algorithm: string; keyId: string; publicKeyPem: string };
      const key = (await t.app.inject({ method: 'GET', url: '/v1/audit/signing-key', headers })).json() as Key;
      type Note = { treeSize: number; rootHash: string; chainHash: string; time: string };
      type Signed = Note & Omit<Key, 'publicKeyPem'> & { signature: string };
      const signed = created.json() as Signed;
      assert.equal(key.keyId, signed.keyId);
      assert.equal(key.algorithm, 'ecdsa-p256-sha256');
      const note = checkpointNote({
        treeSize: signed.treeSize,
        rootHash: hex(signed.rootHash),
        chainHash: hex(signed.chainHash),
        createdAt: Date.parse(signed.time),
      });
      const signature = Buffer.from(signed.signature, 'base64');
      const verifies = (bytes: Buffer) => createVerify('sha256').update(bytes).verify(key.publicKeyPem, signature);
      assert.equal(verifies(note), true);
      assert.equal(verifies(Buffer.concat([note, Buffer.from('x')])), false);
      const last = (await t.app.inject({ method: 'GET', url: '/v1/audit/entries?cursor=35', headers })).json() as { items: { action: string }[] };
      assert.equal(last.items.some((e) => e.action === 'audit.checkpoint'), true);
    } finally {
      await t.close();
    }
  });
}
