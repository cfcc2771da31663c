// Operator login and sessions, attacked: wrong factors, replayed TOTP codes, brute force up to and
// past the lockout, credential stuffing, forged tokens, idle and absolute expiry, logout. Each
// refusal looks the same to the caller and is in the audit log with its real reason.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { testStoreKinds } from '../store/testing.ts';
import { createFirstAdministrator, totpCodeAt, type CreatedOperator } from './index.ts';
import { bearer, createAccessTestApp, type AccessTestApp } from '../wiring/access-test-app.ts';

async function attempt(t: AccessTestApp, op: { name: string; password: string }, totp: string, ip = '127.0.0.1') {
  return t.app.inject({ method: 'POST', url: '/v1/operator-sessions', remoteAddress: ip, payload: { name: op.name, password: op.password, totp } });
}

const me = (t: AccessTestApp, token: string) => t.app.inject({ url: '/v1/operators/me', headers: bearer(token) });

for (const kind of testStoreKinds()) {
  describe(`operator login (${kind})`, () => {
    let t: AccessTestApp;
    let admin: CreatedOperator;
    before(async () => {
      t = await createAccessTestApp(kind);
      const created = await createFirstAdministrator(t.store, t.app.context.access.totpSecrets, 'first-admin', t.now());
      assert.ok(created.ok);
      admin = created.operator;
    });
    after(() => t.close());

    test('the first administrator is created once; its password is stored as argon2id only', async () => {
      assert.match(admin.otpauthUri, /^otpauth:\/\/totp\/Anfu:first-admin\?/);
      const again = await createFirstAdministrator(t.store, t.app.context.access.totpSecrets, 'second-admin', t.now());
      assert.deepEqual(again, { ok: false, code: 'administrator_exists' });
      const row = await t.store.get('SELECT password_hash FROM operators WHERE id = ?', [admin.id]);
      assert.match(String(row?.password_hash), /^\$argon2id\$/);
      assert.ok(!String(row?.password_hash).includes(admin.password));
    });

    test('password and TOTP log in; the session acts as the operator; logout ends it', async () => {
      const token = await t.login(admin);
      assert.match(token, /^anfu_os_/);
      const who = await me(t, token);
      assert.equal(who.statusCode, 200);
      assert.deepEqual(who.json(), { id: admin.id, name: 'first-admin', role: 'administrator', via: 'session' });
      assert.equal((await t.app.inject({ method: 'DELETE', url: '/v1/operator-sessions/current', headers: bearer(token) })).statusCode, 204);
      assert.equal((await me(t, token)).json().code, 'unauthenticated');
      assert.equal((await t.auditRows('operator.logout')).at(-1)?.outcome, 'success');
    });

    test('every wrong factor gets the same answer; the audit log has the reason', async () => {
      t.advance(60_000); // two steps past the last accepted code, so the previous step is fresh
      const good = totpCodeAt(admin.totpSecret, t.now());
      const cases = [
        ['unknown_operator', await attempt(t, { name: 'nobody-here', password: admin.password }, good)],
        ['bad_password', await attempt(t, { name: admin.name, password: 'wrong' }, good)],
        ['bad_totp', await attempt(t, admin, good === '000000' ? '111111' : '000000')],
        ['bad_totp', await attempt(t, admin, totpCodeAt(admin.totpSecret, t.now() - 60_000))],
      ] as const;
      for (const [, response] of cases) {
        assert.equal(response.statusCode, 401);
        const { instance: _instance, ...body } = response.json() as Record<string, unknown>;
        assert.deepEqual(body, { type: 'https://anfu.dev/problems/operator_login_failed', title: 'The name, password or one-time code is not valid', status: 401, code: 'operator_login_failed' });
      }
      const reasons = (await t.auditRows('operator.login')).filter((r) => r.outcome === 'failure').slice(-4).map((r) => r.details.reason);
      assert.deepEqual(reasons, cases.map(([reason]) => reason));
      // ±1 step: the previous step's code is still accepted (clock drift) …
      assert.equal((await attempt(t, admin, totpCodeAt(admin.totpSecret, t.now() - 30_000))).statusCode, 201);
    });

    test('an accepted TOTP code can never be used again, nor an older one', async () => {
      t.advance(30_000);
      const code = totpCodeAt(admin.totpSecret, t.now());
      assert.equal((await attempt(t, admin, code)).statusCode, 201);
      assert.equal((await attempt(t, admin, code)).statusCode, 401);
      assert.equal((await attempt(t, admin, totpCodeAt(admin.totpSecret, t.now() - 30_000))).statusCode, 401);
      assert.equal((await t.auditRows('operator.login')).at(-1)?.details.reason, 'totp_reused');
    });

    test('sessions end after 15 idle minutes and 8 hours after login', async () => {
      const idle = await t.login(admin);
      t.advance(15 * 60_000);
      assert.equal((await me(t, idle)).statusCode, 200, 'exactly 15 minutes idle is still live');
      t.advance(15 * 60_000 + 1);
      assert.equal((await me(t, idle)).statusCode, 401);
      const busy = await t.login(admin);
      for (let minutes = 0; minutes < 8 * 60 - 10; minutes += 10) {
        t.advance(10 * 60_000);
        assert.equal((await me(t, busy)).statusCode, 200);
      }
      t.advance(10 * 60_000 + 1);
      assert.equal((await me(t, busy)).statusCode, 401, 'absolute lifetime');
    });

    test('a forged or malformed bearer token is refused and the attempt audited (the token is not)', async () => {
      const forged = `anfu_os_${'A'.repeat(43)}`;
      for (const token of [forged, 'anfu_op_short', 'not-a-token']) {
        const response = await me(t, token);
        assert.equal(response.statusCode, 401);
        assert.equal(response.json().code, 'unauthenticated');
      }
      const rows = (await t.auditRows('operator.authenticate')).slice(-3);
      assert.deepEqual(rows.map((r) => [r.outcome, r.details.reason, r.target]), Array(3).fill(['denied', 'invalid_token', 'GET /v1/operators/me']));
      const all = await t.store.all('SELECT details FROM audit_entries');
      assert.ok(!all.some((r) => String(r.details).includes(forged)));
    });
  });

  describe(`operator lockout and intrusion signals (${kind})`, () => {
    let t: AccessTestApp;
    before(async () => {
      t = await createAccessTestApp(kind);
    });
    after(() => t.close());

    test('9 failures then the right factors: in; 10 failures: locked for 30 minutes with a brute-force event', async () => {
      const op = await t.operator('operations');
      for (let i = 0; i < 9; i++) assert.equal((await attempt(t, { name: op.name, password: 'wrong' }, '123456', '10.0.0.1')).statusCode, 401);
      await t.login(op, '10.0.0.1');
      for (let i = 0; i < 10; i++) await attempt(t, { name: op.name, password: 'wrong' }, '123456', '10.0.0.1');
      t.advance(30_000);
      assert.equal((await attempt(t, op, totpCodeAt(op.totpSecret, t.now()), '10.0.0.1')).statusCode, 401, 'locked: right factors refused');
      assert.equal((await t.auditRows('operator.login')).at(-1)?.details.reason, 'locked');
      assert.equal((await t.auditRows('operator.lock')).length, 1);
      const events = (await t.store.all("SELECT subject, severity FROM security_events WHERE type = 'brute_force'")).map((r) => [r.subject, r.severity]);
      assert.deepEqual(events, [[op.id, 'high']]);
      t.advance(30 * 60_000);
      await t.login(op, '10.0.0.1');
    });

    test('failures for many accounts from one address raise one credential-stuffing event, visible to operators and in /metrics', async () => {
      for (let i = 0; i < 4; i++) await attempt(t, { name: `victim-${i}`, password: 'guess' }, '123456', '203.0.113.9');
      assert.equal((await t.store.all("SELECT id FROM security_events WHERE type = 'credential_stuffing'")).length, 0, '4 accounts: no event yet');
      for (let i = 4; i < 8; i++) await attempt(t, { name: `victim-${i}`, password: 'guess' }, '123456', '203.0.113.9');
      const analyst = await t.apiToken('risk_analyst');
      const listed = await t.app.inject({ url: '/v1/security/events?type=credential_stuffing', headers: bearer(analyst) });
      assert.equal(listed.statusCode, 200);
      const items = listed.json().items as { source: string; severity: string; details: { accounts: number } }[];
      assert.equal(items.length, 1);
      assert.equal(items[0]?.source, '203.0.113.9');
      assert.equal(items[0]?.details.accounts, 5);
      const metrics = (await t.app.inject({ url: '/metrics' })).body;
      assert.match(metrics, /anfu_security_events_total\{type="credential_stuffing",severity="high"\} 1/);
      assert.match(metrics, /anfu_security_events_total\{type="brute_force",severity="high"\} 1/);
    });
  });
}
