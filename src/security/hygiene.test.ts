// Hygiene attacks (issue 9, items 9 and 10), replayed through the public API on both stores: hostile
// header bytes aimed at the audit log, floods of refused requests, altered token strings, currencies
// the platform does not run, a public metrics page, the audit signing key in clear, KEK rotation.
// Each asserts the refusal, what the audit log holds, and that nothing else changed.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { auditKeyPath, checkpointNote, checkpointVerifier, fileAuditSigner } from '../audit/index.ts';
import { loadConfig } from '../config.ts';
import { Kek } from '../crypto/index.ts';
import { openPlatformKeyring } from '../wiring/platform-keyring.ts';
import { keysCommand } from '../commands/keys.ts';
import { bearer, createAccessTestApp, type AccessTestApp } from '../wiring/access-test-app.ts';
import { createTestApp, type TestApp } from '../wiring/test-app.ts';
import { createIdentityTestApp, registerThroughApi, type IdentityTestApp } from '../wiring/identity-test-app.ts';
import { walletOf } from '../payments/index.ts';
import { createTestIdentity, instructionFor, signInstruction, type TestIdentity } from '../payments/testing.ts';
import { createTestDatabase, testStoreKinds } from '../store/testing.ts';

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
        const login = await t.app.inject({
          method: 'POST',
          url: '/v1/operator-sessions',
          headers: { 'user-agent': agent },
          payload: { name: 'nobody', password: 'wrong-password', totp: '000000' },
        });
        assert.deepEqual([login.statusCode, login.json().code], [401, 'operator_login_failed']);
        for (const action of ['operator.authenticate', 'operator.login']) {
          const row = await t.store.get<{ device: string | null; ip: string | null }>(
            'SELECT device, ip FROM audit_entries WHERE action = ? ORDER BY seq DESC LIMIT 1',
            [action],
          );
          assert.ok(row?.device !== null && row?.device !== undefined, `${action} was audited`);
          assert.ok(
            !unsafe.test(String(row.device)),
            `${action}: the device is escaped: ${JSON.stringify(row.device).slice(0, 80)}`,
          );
          assert.ok(String(row.device).length <= 200);
          assert.ok(String(row.device).startsWith('curl/8.0'));
          assert.equal(row.ip, '127.0.0.1');
        }
        assert.equal(await sessionCount(t), 0, 'no session was opened');
      });
    }

    test('a forged X-Forwarded-For behind a trusted proxy is escaped and cut, not a failed write', async () => {
      const proxied = await createAccessTestApp(kind, { ANFU_TRUST_PROXY: 'true' });
      try {
        const forwarded = `10.0.0.1\t\u202e${'9'.repeat(8192)}`;
        const refused = await me(proxied, { 'x-forwarded-for': forwarded });
        assert.deepEqual([refused.statusCode, refused.json().code], [401, 'unauthenticated']);
        const row = await proxied.store.get<{ ip: string }>(
          "SELECT ip FROM audit_entries WHERE action = 'operator.authenticate' ORDER BY seq DESC LIMIT 1",
        );
        assert.ok(row !== undefined && row.ip.length <= 64 && !unsafe.test(row.ip), JSON.stringify(row));
        assert.ok(row.ip.startsWith('10.0.0.1\\u{9}\\u{202e}'));
      } finally {
        await proxied.close();
      }
    });

    test('escapes are readable and unambiguous: a TAB is \\u{9}, a backslash is doubled', async () => {
      t.advance(t.config.auditRefusalWindowMs);
      await me(t, { 'user-agent': 'a\tb\\c' });
      const row = await t.store.get<{ device: string }>(
        "SELECT device FROM audit_entries WHERE action = 'operator.authenticate' ORDER BY seq DESC LIMIT 1",
      );
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
      assert.deepEqual(
        rows.map((r) => [r.details.reason, r.details.repeated ?? 0]),
        [
          ['missing_token', 0],
          ['invalid_token', 0],
          ['missing_token', 19],
          ['missing_token', 0],
          ['invalid_token', 19],
          ['invalid_token', 0],
          ['missing_token', 19],
          ['missing_token', 0],
        ],
      );
      // A row is one refusal, or stands for `repeated` of them; window 2's forged-token count waits for its sweep.
      const counted = rows.reduce(
        (sum, r) => sum + (r.details.repeated === undefined ? 1 : Number(r.details.repeated)),
        0,
      );
      assert.equal(counted, 40 + 40 + 1 - 19);
      const repeated = rows.find((r) => r.details.repeated !== undefined);
      assert.equal(repeated?.ip, '127.0.0.1');
      assert.equal(Number(repeated?.details.windowEnd) - Number(repeated?.details.windowStart), windowMs);
      assert.equal(await sessionCount(t), 0);
    });

    test('a flood of unsigned merchant requests is counted the same way', async () => {
      const windowMs = t.config.auditRefusalWindowMs;
      t.advance(windowMs - (t.now() % windowMs));
      const before = await rowCount(t, 'merchant.request_refused');
      const unsigned = () => t.app.inject({ url: `/v1/merchant/orders/ord_${'a'.repeat(26)}` });
      for (let i = 0; i < 30; i += 1) assert.deepEqual([(await unsigned()).statusCode], [401]);
      t.advance(windowMs);
      await unsigned();
      const rows = (await t.auditRows('merchant.request_refused')).slice(before);
      assert.deepEqual(
        rows.map((r) => [r.details.reason, r.details.repeated ?? 0]),
        [
          ['headers_missing', 0],
          ['headers_missing', 29],
          ['headers_missing', 0],
        ],
      );
    });

    test("refusals from another address are their own first, not hidden in someone else's count", async () => {
      t.advance(t.config.auditRefusalWindowMs);
      const before = await rowCount(t, 'operator.authenticate');
      for (const ip of ['192.0.2.1', '192.0.2.2', '192.0.2.1'])
        await t.app.inject({ url: '/v1/operators/me', remoteAddress: ip });
      const rows = (await t.auditRows('operator.authenticate')).slice(before);
      assert.deepEqual(
        rows.map((r) => r.ip),
        ['192.0.2.1', '192.0.2.2'],
      );
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

const base64urlAlphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** Spellings Node's lenient decoder reads as the same bytes: padding, spare low bits, stray characters. */
function malleated(token: string): string[] {
  const last = token.at(-1) ?? 'A';
  const sibling = base64urlAlphabet[base64urlAlphabet.indexOf(last) ^ 1] ?? 'A';
  return [
    `${token}=`,
    `${token}==`,
    `${token.slice(0, -1)}${sibling}`,
    `${token.slice(0, -5)}~${token.slice(-5)}`,
    `${token.slice(0, -5)}!${token.slice(-5)}`,
  ];
}

for (const kind of testStoreKinds()) {
  describe(`smaller holes (${kind})`, () => {
    test('an altered customer access token is refused; the real one still works and the session lives on', async () => {
      const t: IdentityTestApp = await createIdentityTestApp(kind);
      try {
        const customer = await registerThroughApi(t);
        const meWith = (token: string) => t.app.inject({ url: '/v1/me', headers: bearer(token) });
        for (const altered of malleated(customer.accessToken)) {
          const refused = await meWith(altered);
          assert.deepEqual([refused.statusCode, refused.json().code], [401, 'unauthenticated'], altered.slice(-8));
        }
        assert.equal((await meWith(customer.accessToken)).statusCode, 200);
        const live = await t.store.get<{ n: unknown }>(
          'SELECT COUNT(*) AS n FROM customer_sessions WHERE customer_id = ? AND ended_at IS NULL',
          [customer.customerId],
        );
        assert.equal(Number(live?.n), 1);
      } finally {
        await t.close();
      }
    });

    test('an altered operator token is refused and the refusal audited', async () => {
      const t = await createAccessTestApp(kind);
      try {
        const token = await t.apiToken('auditor');
        const before = await rowCount(t, 'operator.authenticate');
        for (const altered of malleated(token))
          assert.equal((await me(t, bearer(altered))).statusCode, 401, altered.slice(-8));
        assert.equal((await me(t, bearer(token))).statusCode, 200);
        const rows = (await t.auditRows('operator.authenticate')).slice(before);
        assert.deepEqual(
          rows.map((r) => [r.outcome, r.details.reason]),
          [['denied', 'invalid_token']],
          'the first in full, the rest counted',
        );
      } finally {
        await t.close();
      }
    });

    describe('a currency the platform has not enabled', () => {
      let t: TestApp;
      let identity: TestIdentity;
      before(async () => {
        identity = await createTestIdentity('intl');
        t = await createTestApp(kind, {}, { paymentIdentity: identity });
      });
      after(() => t.close());

      test('a customer transfer in USD is refused before any account is opened, and audited', async () => {
        const [alice, friend] = [await identity.addCustomer(), await identity.addCustomer()];
        const bank = await t.ledger.openAccount({ kind: 'bank_settlement', currency: 'CNY', name: 'Bank' });
        const wallet = await walletOf(t.ledger, alice.customer.id, 'CNY');
        assert.ok(
          (
            await t.ledger.submit({
              kind: 'single',
              key: 'fund-alice-usd-test',
              debitAccountId: bank.id,
              creditAccountId: wallet.id,
              amount: 50_000n,
              currency: 'CNY',
            })
          ).ok,
        );
        const before = await ledgerState(t);
        const instruction = instructionFor(alice, {
          kind: 'transfer',
          target: friend.customer.id,
          amount: '20.00',
          currency: 'USD',
        });
        const sent = await t.app.inject({
          method: 'POST',
          url: '/v1/payments/transfers',
          headers: { ...bearer(alice.token), 'idempotency-key': 'usd-transfer-0001' },
          payload: { instruction, signature: signInstruction('intl', alice, instruction) },
        });
        assert.deepEqual(
          [sent.statusCode, sent.json().code, sent.json().currencies],
          [422, 'currency_not_enabled', ['CNY']],
        );
        assert.deepEqual(await ledgerState(t), before, 'no account opened, no money moved');
        assert.equal(Number((await t.store.get<{ n: unknown }>('SELECT COUNT(*) AS n FROM payments'))?.n), 0);
        const audited = await t.store.get<{ details: string; outcome: string }>(
          "SELECT details, outcome FROM audit_entries WHERE action = 'payment.instruction_refused' ORDER BY seq DESC LIMIT 1",
        );
        assert.deepEqual(
          [audited?.outcome, JSON.parse(String(audited?.details)).code],
          ['denied', 'currency_not_enabled'],
        );
      });

      test('operators cannot open, fund or move money in it either', async () => {
        const before = await ledgerState(t);
        const bank = (await t.ledger.listAccounts({ kind: 'bank_settlement', limit: 1 })).items[0]?.id ?? '';
        const post = (url: string, payload: object, key?: string) =>
          t.app.inject({
            method: 'POST',
            url,
            headers: { ...bearer(t.token), ...(key === undefined ? {} : { 'idempotency-key': key }) },
            payload,
          });
        for (const response of [
          await post('/v1/accounts', { kind: 'customer_wallet', currency: 'USD', name: 'USD wallet' }),
          await post(
            '/v1/fundings',
            { bankAccountId: bank, accountId: bank, amount: '1.00', currency: 'EUR' },
            'eur-funding-0001',
          ),
          await post(
            '/v1/transfers',
            { debitAccountId: bank, creditAccountId: bank, amount: '1.00', currency: 'USD' },
            'usd-transfer-0002',
          ),
        ])
          assert.deepEqual([response.statusCode, response.json().code], [422, 'currency_not_enabled'], response.body);
        assert.deepEqual(await ledgerState(t), before);
      });

      test('/metrics needs an operator token with metrics.read; the refusal is audited', async () => {
        const before = await t.store.get<{ n: unknown }>(
          "SELECT COUNT(*) AS n FROM audit_entries WHERE action = 'operator.authenticate'",
        );
        const anonymous = await t.app.inject({ url: '/metrics', remoteAddress: '198.51.100.7' });
        assert.deepEqual([anonymous.statusCode, anonymous.json().code], [401, 'unauthenticated']);
        assert.doesNotMatch(anonymous.body, /anfu_/);
        const after = await t.store.get<{ n: unknown }>(
          "SELECT COUNT(*) AS n FROM audit_entries WHERE action = 'operator.authenticate'",
        );
        assert.equal(Number(after?.n), Number(before?.n) + 1);
        const forbidden = await t.app.inject({
          url: '/metrics',
          headers: bearer(await t.tokenFor('customer_service')),
        });
        assert.deepEqual([forbidden.statusCode, forbidden.json().code], [403, 'forbidden']);
        const scraped = await t.app.inject({ url: '/metrics', headers: bearer(await t.tokenFor('auditor')) });
        assert.equal(scraped.statusCode, 200);
        assert.match(scraped.body, /anfu_http_requests_total/);
      });

      test('request logs name the client address, never its headers or credentials', async () => {
        await t.app.inject({
          url: '/v1/accounts',
          remoteAddress: '203.0.113.44',
          headers: { ...bearer(t.token), 'user-agent': 'probe\u202e/1' },
        });
        const lines = t.logs
          .join('')
          .split('\n')
          .filter((line) => line.includes('203.0.113.44'));
        assert.ok(
          lines.some(
            (line) => (JSON.parse(line) as { req?: { remoteAddress?: string } }).req?.remoteAddress === '203.0.113.44',
          ),
          'the request log has the address',
        );
        for (const line of lines) {
          assert.ok(!line.includes(t.token) && !line.includes('probe'), line);
        }
      });
    });
  });
}

async function ledgerState(t: TestApp): Promise<string> {
  const accounts = await t.store.all(
    'SELECT id, currency, debits_posted, credits_posted, debits_pending, credits_pending FROM ledger_accounts ORDER BY id',
  );
  const transfers = await t.store.get('SELECT COUNT(*) AS n FROM ledger_transfers');
  return JSON.stringify({ accounts, transfers }, (_key, value: unknown) =>
    typeof value === 'bigint' ? value.toString() : value,
  );
}

for (const kind of testStoreKinds()) {
  describe(`keys at rest (${kind})`, () => {
    test('a plain audit signing key beside the database is sealed under the KEK at start, and the file deleted', async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'anfu-audit-key-'));
      const plain = fileAuditSigner(dataDir, 'intl'); // what an earlier version left on disk
      const pem = readFileSync(auditKeyPath(dataDir), 'utf8');
      const t = await createTestApp(kind, { ANFU_DATA_DIR: dataDir });
      try {
        const signed = await t.app.inject({ method: 'POST', url: '/v1/audit/checkpoints', headers: bearer(t.token) });
        assert.equal(signed.statusCode, 201, signed.body);
        const checkpoint = signed.json() as {
          keyId: string;
          algorithm: string;
          signature: string;
          treeSize: number;
          rootHash: string;
          chainHash: string;
          time: string;
        };
        assert.equal(
          checkpoint.keyId,
          checkpointVerifier(plain.publicKeyPem).keyId,
          'checkpoints are still signed by the same key',
        );
        const note = checkpointNote({
          treeSize: checkpoint.treeSize,
          rootHash: Buffer.from(checkpoint.rootHash, 'hex'),
          chainHash: Buffer.from(checkpoint.chainHash, 'hex'),
          createdAt: Date.parse(checkpoint.time),
        });
        assert.ok(
          checkpointVerifier(plain.publicKeyPem).verify(
            checkpoint.algorithm,
            note,
            Buffer.from(checkpoint.signature, 'base64'),
          ),
        );
        assert.equal(existsSync(auditKeyPath(dataDir)), false, 'the plain PEM is gone');
        const row = await t.store.get<{ kek_id: string; wrapped_key: Uint8Array }>(
          "SELECT kek_id, wrapped_key FROM key_versions WHERE purpose = 'audit-signing' AND state = 'active'",
        );
        assert.equal(row?.kek_id, t.keyring.kekId);
        const body = pem.replace(/-----[A-Z ]+-----|\s/g, '');
        assert.ok(
          !Buffer.from(row?.wrapped_key ?? [])
            .toString('latin1')
            .includes(body.slice(0, 40)),
          'the key is stored wrapped, not in clear',
        );
        const created = await t.store.get<{ details: string }>(
          "SELECT details FROM audit_entries WHERE action = 'keys.create' AND target = 'audit-signing#v1'",
        );
        assert.match(String(created?.details), /adopted from a plain key file/);
      } finally {
        await t.close();
      }
    });

    test('KEK rotation re-wraps every data key; the old KEK is accepted only while the rotation runs', async () => {
      const database = await createTestDatabase(kind);
      const store = database.open();
      const [old, next] = [strongKek('old'), strongKek('new')];
      const [oldKek, newKek] = [old.kek, next.kek];
      const config = { cryptoProfile: 'intl' as const };
      try {
        const before = await openPlatformKeyring({ store, config, kek: oldKek });
        const sealed = await before.seal('pii', Buffer.from('张三'), Buffer.from('ctx'));
        await before.sign('audit-signing', Buffer.from('checkpoint'));
        await before.blindIndex('blind-index', Buffer.from('13912345678'));
        const keys = (await before.versions()).length;
        assert.ok(keys >= 3);
        await assert.rejects(
          openPlatformKeyring({ store, config, kek: newKek }),
          { code: 'keyring_kek_mismatch' },
          'a new KEK alone cannot open the old keys',
        );

        const during = await openPlatformKeyring({ store, config, kek: newKek, previousKek: oldKek });
        assert.equal(
          (await during.open('pii', sealed, Buffer.from('ctx'))).toString(),
          '张三',
          'servers keep working during the rotation',
        );
        if (kind === 'sqlite') {
          const cli = loadConfig({
            ANFU_ENV: 'test',
            ANFU_DATA_DIR: dirname(database.sqlitePath),
            ANFU_KEK: next.text,
            ANFU_KEK_PREVIOUS: old.text,
          });
          assert.equal(await keysCommand(cli, ['rotate-kek']), 0);
          assert.equal(
            await keysCommand(cli, ['rotate-kek']),
            1,
            'run again after completion: the previous KEK is refused',
          );
        } else {
          // Two runs at once (a resumed run racing a stuck one) re-wrap each key exactly once.
          const runs = await Promise.all([during.rewrapUnderCurrentKek(), during.rewrapUnderCurrentKek()]);
          assert.equal(runs[0] + runs[1], keys);
        }
        assert.equal(await during.keysUnderPreviousKek(), 0);
        const rows = await store.all<{ kek_id: string }>('SELECT kek_id FROM key_versions');
        assert.deepEqual([...new Set(rows.map((r) => r.kek_id))], [newKek.id]);
        assert.equal(
          Number(
            (await store.get<{ n: unknown }>("SELECT COUNT(*) AS n FROM audit_entries WHERE action = 'keys.rewrap'"))
              ?.n,
          ),
          keys,
        );

        const after = await openPlatformKeyring({ store, config, kek: newKek });
        assert.equal((await after.open('pii', sealed, Buffer.from('ctx'))).toString(), '张三');
        await assert.rejects(openPlatformKeyring({ store, config, kek: oldKek }), { code: 'keyring_kek_mismatch' });
        await assert.rejects(openPlatformKeyring({ store, config, kek: newKek, previousKek: oldKek }), {
          code: 'keyring_kek_rotation_done',
        });
      } finally {
        await store.close();
        await database.drop();
      }
    });
  });
}

/** A KEK and its base64 text (for the CLI's environment). */
function strongKek(source: string): { kek: Kek; text: string } {
  const bytes = randomBytes(32);
  return { kek: new Kek(bytes, source), text: bytes.toString('base64') };
}
