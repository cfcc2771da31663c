// GET /v1/keys on both stores: every keyring version with its purpose, algorithm, profile and state, a
// rotation shown as previous + active with its key event, no key material anywhere in the body (neither
// the wrapped key nor a public key), and a role without keys.read refused and audited.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { testStoreKinds } from '../../store/testing.ts';
import { bearer, createAccessTestApp, type AccessTestApp } from '../../wiring/access-test-app.ts';

interface KeyRow { id: string; purpose: string; version: number; algorithm: string; profile: string; state: string }

for (const kind of testStoreKinds()) {
  describe(`GET /v1/keys (${kind})`, () => {
    let t: AccessTestApp;
    let auditor = '';
    let operations = '';
    before(async () => {
      t = await createAccessTestApp(kind);
      auditor = await t.login(await t.operator('auditor'));
      operations = await t.login(await t.operator('operations'));
    });
    after(async () => t.close());

    test('lists every version, a rotation as previous and active, and never key material', async () => {
      const keyring = t.app.context.keyring;
      await keyring.sign('audit-signing', Buffer.from('x'));
      await keyring.activeVersion('pii');
      await keyring.rotate('pii');
      const answer = await t.app.inject({ method: 'GET', url: '/v1/keys', headers: bearer(auditor) });
      assert.equal(answer.statusCode, 200, answer.body);
      type Rotation = { operation: string; purpose: string };
      const body = answer.json() as { kekId: string; keys: KeyRow[]; rotations: Rotation[] };
      assert.equal(body.kekId, keyring.kekId);
      const pii = body.keys.filter((k) => k.purpose === 'pii').map((k) => [k.id, k.state]);
      assert.deepEqual(pii, [['pii:v1', 'previous'], ['pii:v2', 'active']]);
      const signing = body.keys.find((k) => k.purpose === 'audit-signing');
      assert.equal(signing?.state, 'active');
      assert.ok(['intl', 'gm'].includes(signing?.profile ?? ''), signing?.profile);
      assert.ok(body.rotations.some((e) => e.operation === 'rotated' && e.purpose === 'pii'), answer.body);
      const stored = await t.store.all('SELECT wrapped_key, public_key FROM key_versions');
      for (const row of stored) {
        for (const value of [row.wrapped_key, row.public_key]) {
          if (value === null || value === undefined) continue;
          const bytes = Buffer.isBuffer(value) ? value : Buffer.from(String(value));
          assert.ok(!answer.body.includes(bytes.toString('base64').slice(0, 24)), 'no wrapped key in the body');
          assert.ok(!answer.body.includes(bytes.toString('hex').slice(0, 24)), 'no key bytes in hex');
          assert.ok(!answer.body.includes(String(value).slice(0, 60)), 'no public key');
        }
      }
      assert.doesNotMatch(answer.body, /BEGIN|wrappedKey|publicKey|"material"/);
    });

    test('a role without keys.read is refused and audited, and learns nothing', async () => {
      const refused = await t.app.inject({ method: 'GET', url: '/v1/keys', headers: bearer(operations) });
      assert.equal(refused.statusCode, 403);
      assert.match(String(refused.headers['content-type']), /application\/problem\+json/);
      assert.equal(refused.json().code, 'forbidden');
      assert.doesNotMatch(refused.body, /pii|audit-signing|kek/);
      const denied = (await t.auditRows('operator.authorize')).filter((r) => r.details.permission === 'keys.read');
      assert.equal(denied.at(-1)?.outcome, 'denied');
      assert.equal(denied.at(-1)?.details.role, 'operations');
      const anonymous = await t.app.inject({ method: 'GET', url: '/v1/keys' });
      assert.equal(anonymous.statusCode, 401);
    });
  });
}
