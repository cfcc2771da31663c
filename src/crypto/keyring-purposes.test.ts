// The app's one keyring, attacked and rotated through the real app on both stores: webhook signing
// secrets and operator TOTP secrets are nowhere in the raw database; rotating 'webhook-secret' and
// rewrapping keeps webhooks signed and verifiable; every key operation and detokenisation is in the
// tamper-evident audit log; secrets stored in plain before sealing are converted.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createOperator, sealPlaintextTotpSecrets, systemActor } from '../access/index.ts';
import { entriesByAction } from '../audit/index.ts';
import { enqueueOutbox, webhookSecretSealer } from '../events/index.ts';
import { drain, startReceiver, testDispatcher, type Receiver } from '../events/testing.ts';
import { createTestApp, type TestApp } from '../wiring/test-app.ts';
import { personalDataProtection } from '../identity/personal-data.ts';
import type { Store } from '../store/index.ts';
import { testStoreKinds } from '../store/testing.ts';
import { parseEnvelope } from './envelope.ts';
import { ProtectedTable } from './field-protection.ts';
import { retireUnused, rewrap, sealMarkedPlaintext } from './keyring-rewrap.ts';
import { platformTokenVault } from '../wiring/platform-keyring.ts';

/** Every byte the database holds: the SQLite file and its WAL, or every PostgreSQL row as text. */
async function rawDatabase(store: Store): Promise<string> {
  if (store.dialect === 'sqlite') {
    await store.run('PRAGMA wal_checkpoint(FULL)').catch(() => undefined);
    const files = await store.all<{ file: string }>('PRAGMA database_list');
    return files.flatMap((f) => [String(f.file), `${String(f.file)}-wal`]).filter((p) => p !== '' && existsSync(p)).map((p) => readFileSync(p).toString('latin1')).join('\n');
  }
  const tables = await store.all<{ table_name: string }>('SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()');
  const texts: string[] = [];
  for (const { table_name: table } of tables) {
    if (!/^[a-z_][a-z0-9_]*$/.test(String(table))) continue;
    for (const row of await store.all<{ t: string }>(`SELECT t::text AS t FROM ${String(table)} t`)) texts.push(String(row.t));
  }
  return texts.join('\n');
}

/** The secret as text and as PostgreSQL's hex rendering of bytea. */
function assertAbsent(raw: string, secret: string, what: string): void {
  assert.equal(raw.includes(secret), false, `${what} in plain in the database`);
  assert.equal(raw.includes(Buffer.from(secret, 'utf8').toString('hex')), false, `${what} as hex bytes in the database`);
}

const auditOf = async (store: Store, action: string) => (await entriesByAction(store, action, { after: 0n, limit: 1000 })).map((e) => JSON.parse(e.details) as Record<string, unknown>);

async function createEndpoint(t: TestApp, receiver: Receiver, path: string, merchantId: string): Promise<{ id: string; secret: string }> {
  const response = await t.app.inject({ method: 'POST', url: '/v1/webhook-endpoints', headers: { authorization: `Bearer ${t.token}` }, payload: { merchantId, url: `${receiver.baseUrl}${path}`, topics: ['order.paid'] } });
  assert.equal(response.statusCode, 201, response.body);
  const endpoint = response.json() as { id: string; secret: string };
  receiver.route(path, 'ok', endpoint.secret);
  return endpoint;
}

const enqueue = (t: TestApp, merchantId: string, subject: string) =>
  t.store.transaction((tx) => enqueueOutbox(tx, { topic: 'order.paid', destination: { kind: 'merchant', merchantId }, payload: { orderId: subject }, subject }, Date.now()));

for (const kind of testStoreKinds()) {
  describe(`keyring purposes through the app (${kind})`, () => {
    let t: TestApp;
    let receiver: Receiver;
    before(async () => {
      t = await createTestApp(kind);
      receiver = await startReceiver();
    });
    after(async () => {
      await receiver.close();
      await t.close();
    });

    test('webhook and operator TOTP secrets are not in the raw database; each opens only through the keyring', async () => {
      const endpoint = await createEndpoint(t, receiver, '/raw', 'mch_raw');
      const created = await createOperator(t.store, t.app.context.access.totpSecrets, systemActor, { name: 'raw-scan-op', role: 'auditor' }, Date.now());
      assert.ok(created.ok);
      const raw = await rawDatabase(t.store);
      assert.ok(raw.includes('raw-scan-op') && raw.includes('mch_raw'), 'the scan sees plain columns (control)');
      assertAbsent(raw, endpoint.secret, 'the webhook secret');
      assertAbsent(raw, created.operator.totpSecret, 'the TOTP secret');
      const row = await t.store.get<{ secret_sealed: Buffer }>('SELECT secret_sealed FROM webhook_endpoints WHERE id = ?', [endpoint.id]);
      assert.equal(parseEnvelope(Buffer.from(row?.secret_sealed as Uint8Array)).purpose, 'webhook-secret');
      const operator = await t.store.get<{ totp_secret: string; totp_secret_sealed: Buffer }>('SELECT totp_secret, totp_secret_sealed FROM operators WHERE id = ?', [created.operator.id]);
      assert.equal(operator?.totp_secret, '');
      assert.equal(parseEnvelope(Buffer.from(operator?.totp_secret_sealed as Uint8Array)).purpose, 'totp-secret');
      // A sealed secret copied to another row does not open there.
      await assert.rejects(webhookSecretSealer(t.keyring).open('whe_other', Buffer.from(row?.secret_sealed as Uint8Array)), { code: 'crypto_decrypt_failed' });
    });

    test("rotating 'webhook-secret' and rewrapping keeps webhooks signed and verifiable; every step is audited", async () => {
      const endpoint = await createEndpoint(t, receiver, '/rotated', 'mch_rotated');
      const before = await t.keyring.activeVersion('webhook-secret', { fresh: true });
      const rotated = await t.keyring.rotate('webhook-secret');
      assert.equal(rotated.version, before + 1);
      const results = await rewrap(t.keyring, { purposes: ['webhook-secret'] });
      assert.ok(results.some((r) => r.table === 'webhook_endpoints' && r.rewrapped >= 1 && r.failed === 0), JSON.stringify(results));
      const row = await t.store.get<{ secret_sealed: Buffer }>('SELECT secret_sealed FROM webhook_endpoints WHERE id = ?', [endpoint.id]);
      assert.equal(parseEnvelope(Buffer.from(row?.secret_sealed as Uint8Array)).version, rotated.version);
      const retired = await retireUnused(t.keyring, { graceMs: 0 });
      assert.ok(retired.some((r) => r.purpose === 'webhook-secret' && r.version === before && r.outcome === 'retired'), JSON.stringify(retired));

      await enqueue(t, 'mch_rotated', 'ord_rotated');
      await drain(testDispatcher(t.store, { sealer: webhookSecretSealer(t.keyring) }));
      const got = receiver.received.filter((r) => r.path === '/rotated');
      assert.equal(got.length, 1);
      assert.ok(got[0]?.verification.ok, 'the merchant verifies the signature with the secret it was given');

      const target = `webhook-secret#v${rotated.version}`;
      assert.ok((await auditOf(t.store, 'keys.rotate')).some((d) => d.purpose === 'webhook-secret' && d.version === rotated.version), 'rotation audited');
      assert.ok((await auditOf(t.store, 'keys.rewrap')).some((d) => d.purpose === 'webhook-secret'), 'rewrap audited');
      assert.ok((await auditOf(t.store, 'keys.retire')).some((d) => d.purpose === 'webhook-secret' && d.version === before), 'retirement audited');
      const entry = await t.store.get<{ target: string; actor_type: string }>("SELECT target, actor_type FROM audit_entries WHERE action = 'keys.rotate' ORDER BY seq DESC LIMIT 1");
      assert.deepEqual({ ...entry }, { target, actor_type: 'system' });
    });

    test('card detokenisation is in the audit log with the token, never the PAN', async () => {
      const vault = platformTokenVault(t.keyring);
      const pan = '4111111111111111';
      const card = await vault.tokenise({ pan: '4111 1111 1111 1111' });
      await vault.detokenise(card.token, { purpose: 'card_authorisation', actor: 'card-funding' });
      await assert.rejects(vault.detokenise('ctk_missing', { purpose: 'card_refund', actor: 'card-funding' }), { code: 'card_token_not_found' });
      const rows = await t.store.all<{ target: string; outcome: string; details: string }>("SELECT target, outcome, details FROM audit_entries WHERE action = 'vault.detokenise' ORDER BY seq");
      assert.deepEqual(rows.map((r) => [r.target, r.outcome]), [[card.token, 'success'], ['ctk_missing', 'failure']]);
      assert.ok(rows.every((r) => !JSON.stringify(r).includes(pan)), 'no PAN in the audit entries');
    });

    test('secrets stored in plain before sealing are sealed at start and by rewrap', async () => {
      const legacy = (id: string, secret: string) =>
        t.store.run("INSERT INTO webhook_endpoints (id, merchant_id, url, topics, secret_sealed, status, created_at) VALUES (?, 'mch_legacy', 'http://127.0.0.1/x', '[\"*\"]', ?, 'enabled', ?)", [id, Buffer.concat([Buffer.from([0]), Buffer.from(secret)]), Date.now()]);
      await legacy('whe_legacy_start', 'whsec_legacy_start_value');
      assert.equal(await sealMarkedPlaintext(t.keyring, ['webhook-secret']), 1);
      await legacy('whe_legacy_rewrap', 'whsec_legacy_rewrap_value');
      await rewrap(t.keyring, { purposes: ['webhook-secret'] });
      const sealer = webhookSecretSealer(t.keyring);
      for (const [id, secret] of [['whe_legacy_start', 'whsec_legacy_start_value'], ['whe_legacy_rewrap', 'whsec_legacy_rewrap_value']] as const) {
        const row = await t.store.get<{ secret_sealed: Buffer }>('SELECT secret_sealed FROM webhook_endpoints WHERE id = ?', [id]);
        const sealed = Buffer.from(row?.secret_sealed as Uint8Array);
        assert.equal(parseEnvelope(sealed).purpose, 'webhook-secret');
        assert.equal(await sealer.open(id, sealed), secret);
      }
      await t.store.run("INSERT INTO operators (id, name, role, password_hash, totp_secret, created_at) VALUES ('opr_legacy', 'legacy-op', 'auditor', 'x', 'JBSWY3DPEHPK3PXPJBSWY3DP', ?)", [Date.now()]);
      assert.equal(await sealPlaintextTotpSecrets(t.store, t.keyring), 1);
      const operator = await t.store.get<{ totp_secret: string; totp_secret_sealed: Buffer }>("SELECT totp_secret, totp_secret_sealed FROM operators WHERE id = 'opr_legacy'");
      assert.equal(operator?.totp_secret, '');
      assert.equal(await t.app.context.access.totpSecrets.open({ id: 'opr_legacy', totpSecretSealed: Buffer.from(operator?.totp_secret_sealed as Uint8Array), totpSecretPlain: null }), 'JBSWY3DPEHPK3PXPJBSWY3DP');
      // Live rows only: the bytes a converted value had may linger in free pages, the WAL or dead tuples until VACUUM (docs/OPERATIONS.md).
      const live = await t.store.all<{ secret_sealed: Buffer }>("SELECT secret_sealed FROM webhook_endpoints WHERE merchant_id = 'mch_legacy'");
      assert.ok(live.every((r) => !Buffer.from(r.secret_sealed as Uint8Array).includes('whsec_legacy')), 'a converted webhook secret in plain');
    });

    test("identity's keys sealed under 'pii' move to their own purposes", async () => {
      const legacy = new ProtectedTable(t.keyring, { table: 'identity_secrets', idColumn: 'name', fields: { secret: { column: 'sealed', normaliser: 'exact' } } });
      const columns = await legacy.protect('access-token-mac', { secret: 'legacy-token-key' });
      await t.store.run('DELETE FROM identity_keys');
      await t.store.run('INSERT INTO identity_secrets (name, sealed, public_text, created_at) VALUES (?, ?, NULL, ?)', ['access-token-mac', columns.sealed ?? null, Date.now()]);
      const protection = await personalDataProtection(t.store, t.keyring);
      const key = await protection.identityKey('customer-token', () => Promise.reject(new Error('must reuse the existing key')));
      assert.equal(key.secret, 'legacy-token-key');
      assert.equal(await t.store.get("SELECT name FROM identity_secrets WHERE name = 'access-token-mac'"), undefined);
      const row = await t.store.get<{ customer_token_sealed: Buffer }>("SELECT customer_token_sealed FROM identity_keys WHERE name = 'customer-token'");
      assert.equal(parseEnvelope(Buffer.from(row?.customer_token_sealed as Uint8Array)).purpose, 'customer-token');
    });

    test('two apps in one process each have their own keyring and KEK', async () => {
      const other = await createTestApp(kind);
      try {
        assert.notEqual(other.keyring, t.keyring);
        assert.notEqual(other.keyring.kekId, t.keyring.kekId);
        const endpoint = await createEndpoint(other, receiver, '/other', 'mch_other');
        await enqueue(other, 'mch_other', 'ord_other');
        await drain(testDispatcher(other.store, { sealer: webhookSecretSealer(other.keyring) }));
        assert.ok(receiver.received.some((r) => r.path === '/other' && r.verification.ok), endpoint.id);
      } finally {
        await other.close();
      }
    });
  });
}
