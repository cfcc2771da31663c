// The provider adapters against the real `anfu provider-sim` process: the identity and SMS clients,
// signatures checked both ways, SMS retried through the outbox after a gateway 503, delivery
// receipts (genuine, forged, replayed), a contradicted identity refused at registration, and
// production refusing to start with stand-ins or the simulator. On both stores.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { drain, manualClock, testDispatcher } from '../events/testing.ts';
import { webhookSecretSealer, type OutboxDispatcher } from '../events/index.ts';
import { createTestApp, type TestApp } from '../wiring/test-app.ts';
import { browserDevice, phoneNumber, residentIdNumber, testEnv } from '../wiring/identity-test-app.ts';
import { testStoreKinds } from '../store/testing.ts';
import { identityProviderClient } from './identity-provider-client.ts';
import type { ProviderEndpoint } from './provider-http.ts';
import { signRequest } from './request-signing.ts';
import { smsGatewayClient } from './sms-gateway-client.ts';
import { smsMessageTtlMs, sweepStaleSmsMessages } from './sms-outbox.ts';
import { smsMessageById } from './store.ts';
import { startProviderSimProcess, type ProviderSimProcess } from './testing/provider-sim-process.ts';

const keyId = 'anfu-test';
const secret = randomBytes(24).toString('base64url');
const repositoryRoot = resolve(import.meta.dirname, '../..');
let sim: ProviderSimProcess;

before(async () => {
  sim = await startProviderSimProcess([[keyId, secret]]);
});
after(async () => {
  await sim.stop();
});

const endpoint = (over: Partial<ProviderEndpoint> = {}): ProviderEndpoint => ({
  baseUrl: sim.url,
  key: { keyId, secret },
  timeoutMs: 5_000,
  production: false,
  ...over,
});

/** Runs an `anfu` command as its own process; every wait bounded. */
function runAnfu(args: string[], env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, ['bin/anfu.js', ...args], {
      cwd: repositoryRoot,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      done({ code, output });
    });
  });
}

describe('provider clients against anfu provider-sim', () => {
  test('two-element check: match, mismatch, no record, outage and timeout, each as its own outcome', async () => {
    await sim.putRules({ timeoutHoldMs: 60_000 });
    const client = identityProviderClient(endpoint());
    const idNumber = residentIdNumber();
    assert.equal((await client.checkTwoElements({ name: '张三', idNumber })).result, 'match');
    assert.equal((await client.checkTwoElements({ name: '测试不符', idNumber })).result, 'mismatch');
    assert.equal((await client.checkTwoElements({ name: '测试无档', idNumber })).result, 'no_record');
    assert.deepEqual(await client.checkTwoElements({ name: '测试故障', idNumber }), {
      result: 'unavailable',
      reason: 'http_503',
    });
    const impatient = identityProviderClient(endpoint({ timeoutMs: 300 }));
    assert.deepEqual(await impatient.checkTwoElements({ name: '测试超时', idNumber }), {
      result: 'unavailable',
      reason: 'timeout',
    });
  });

  test('bank-card four elements follow the rules (card suffix); a malformed request is refused', async () => {
    await sim.putRules({ identities: [{ cardSuffix: '0004', outcome: 'mismatch' }] });
    const client = identityProviderClient(endpoint());
    const claim = { name: '张三', idNumber: residentIdNumber(), phone: '+8613900000001' };
    assert.equal((await client.checkBankCard({ ...claim, cardNumber: '6222020000000004' })).result, 'mismatch');
    assert.equal((await client.checkBankCard({ ...claim, cardNumber: '6222020000000012' })).result, 'match');
    assert.deepEqual(await client.checkBankCard({ ...claim, cardNumber: '12' }), {
      result: 'rejected',
      reason: 'invalid_request',
    });
    await sim.putRules({});
  });

  test('the simulator verifies our signature: a wrong secret or unknown key is refused and counted', async () => {
    const before = (await sim.state()).signatureFailures;
    const forged = endpoint({ key: { keyId, secret: 'not the shared secret at all' } });
    assert.deepEqual(
      await identityProviderClient(forged).checkTwoElements({ name: '张三', idNumber: residentIdNumber() }),
      { result: 'rejected', reason: 'signature_invalid' },
    );
    const sms = await smsGatewayClient(endpoint({ key: { keyId: 'unknown', secret } })).submit({
      clientReference: 'ref-forged-1',
      to: '+8613900000002',
      text: 'x',
      purpose: 'test',
    });
    assert.deepEqual(sms, { outcome: 'retry', reason: 'signature_invalid' });
    assert.equal((await sim.state()).signatureFailures, before + 2);
    assert.equal(await sim.lastSms('+8613900000002'), undefined, 'a refused request sends nothing');
  });

  test('a gateway repeat of one client reference is the same message, not a second SMS', async () => {
    const client = smsGatewayClient(endpoint());
    const message = {
      clientReference: `ref-${randomBytes(6).toString('hex')}`,
      to: '+8613900000003',
      text: '验证码 123456',
      purpose: 'test',
    };
    const first = await client.submit(message);
    const again = await client.submit(message);
    assert.equal(first.outcome, 'accepted');
    assert.deepEqual(again, first);
    assert.equal((await sim.lastSms('+8613900000003'))?.code, '123456');
  });

  test('with ANFU_ENV=production the clients refuse an answer that comes from the simulator', async () => {
    const production = endpoint({ production: true });
    assert.deepEqual(
      await identityProviderClient(production).checkTwoElements({ name: '张三', idNumber: residentIdNumber() }),
      { result: 'unavailable', reason: 'simulator_refused' },
    );
    assert.deepEqual(
      await smsGatewayClient(production).submit({
        clientReference: 'ref-prod-1',
        to: '+8613900000004',
        text: 'x',
        purpose: 'test',
      }),
      { outcome: 'retry', reason: 'simulator_refused' },
    );
  });
});

describe('production refuses the stand-ins and the simulator', () => {
  test('anfu serve with ANFU_ENV=production stops at start-up naming the provider settings to configure', async () => {
    const env = {
      ANFU_ENV: 'production',
      ANFU_DATA_DIR: mkdtempSync(join(tmpdir(), 'anfu-prod-')),
      ANFU_KEK: randomBytes(32).toString('base64'),
      ANFU_SMS_GATEWAY_URL: sim.url,
      ANFU_SMS_GATEWAY_KEY_ID: keyId,
      ANFU_SMS_GATEWAY_SECRET: `${secret}${secret}`,
    };
    const { code, output } = await runAnfu(['serve'], env);
    assert.equal(code, 1, output);
    assert.match(
      output,
      /ANFU_SMS_GATEWAY_URL points to a loopback address: the provider simulator is refused in production/,
    );
    assert.match(
      output,
      /production needs an identity-verification provider: set ANFU_IDENTITY_PROVIDER_URL \(https\)/,
    );
    assert.doesNotMatch(output, /listening|serving/i);
  });

  test('anfu provider-sim refuses to run with ANFU_ENV=production', async () => {
    const { code, output } = await runAnfu(['provider-sim', '--port', '0', '--key', `k=${secret}`], {
      ANFU_ENV: 'production',
    });
    assert.equal(code, 2);
    assert.match(output, /refused with ANFU_ENV=production/);
  });
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

for (const kind of testStoreKinds()) {
  describe(`SMS gateway and identity provider through the app (${kind})`, () => {
    let t: TestApp;
    let dispatcher: OutboxDispatcher;
    const clock = manualClock(Date.now());
    /** Runs every due outbox message, `aheadMs` in the future. */
    const deliver = (aheadMs = 0) => {
      clock.now = Date.now() + aheadMs;
      return drain(dispatcher);
    };
    const smsRow = async (codeId: string) => {
      const events = await t.store.all<{ payload: string }>(
        "SELECT payload FROM events WHERE topic = 'sms.message' ORDER BY id",
      );
      return events
        .map((e) => JSON.parse(e.payload) as { smsId: string })
        .map((p) => p.smsId)
        .filter((id) => id > `smm_${codeId.slice(4, 14)}`);
    };
    const requestCode = async (phone: string) => {
      const sent = await t.app.inject({
        method: 'POST',
        url: '/v1/sms-codes',
        payload: { phone, purpose: 'registration' },
      });
      assert.equal(sent.statusCode, 202, sent.body);
      return sent.json().codeId as string;
    };
    const register = (phone: string, codeId: string, code: string, name = '张三', idNumber = residentIdNumber()) =>
      t.app.inject({
        method: 'POST',
        url: '/v1/customers',
        payload: {
          phone,
          smsCodeId: codeId,
          smsCode: code,
          name,
          idNumber,
          password: 'a fine long passphrase',
          device: browserDevice,
        },
      });
    const waitForState = async (smsId: string, states: readonly string[]) => {
      for (let i = 0; i < 300; i += 1) {
        const row = await smsMessageById(t.store, smsId);
        if (row !== undefined && states.includes(row.state)) return row;
        await new Promise((done) => setTimeout(done, 50));
      }
      return smsMessageById(t.store, smsId);
    };

    before(async () => {
      const port = await freePort();
      t = await createTestApp(kind, {
        ...testEnv,
        ANFU_SMS_GATEWAY_URL: sim.url,
        ANFU_SMS_GATEWAY_KEY_ID: keyId,
        ANFU_SMS_GATEWAY_SECRET: secret,
        ANFU_SMS_RECEIPT_URL: `http://127.0.0.1:${port}/v1/providers/sms/receipts`,
        ANFU_IDENTITY_PROVIDER_URL: sim.url,
        ANFU_IDENTITY_PROVIDER_KEY_ID: keyId,
        ANFU_IDENTITY_PROVIDER_SECRET: secret,
      });
      await t.app.listen({ host: '127.0.0.1', port });
      dispatcher = testDispatcher(t.store, {
        sealer: webhookSecretSealer(t.keyring),
        handlers: t.app.context.providers.outboxHandlers,
        clock: clock.read,
      });
      await sim.putRules({});
    });
    after(async () => t.close());

    test('after a gateway 503 the code is retried through the outbox, sealed, receipted, and registers', async () => {
      await sim.putRules({ smsFailNext: 1 });
      const phone = phoneNumber();
      const codeId = await requestCode(phone);
      const [smsId] = await smsRow(codeId);
      assert.ok(smsId !== undefined);
      const queued = await t.store.get('SELECT * FROM sms_messages WHERE id = ?', [smsId]);
      const raw = JSON.stringify(
        Object.values(queued ?? {}).map((v) => (Buffer.isBuffer(v) ? v.toString('latin1') : String(v))),
      );
      assert.ok(!raw.includes(phone.slice(3)), 'the number is sealed in the outbox');
      await deliver();
      assert.equal((await sim.state()).smsFailNext, 0, 'the first attempt met the 503');
      assert.equal((await smsMessageById(t.store, smsId))?.state, 'queued');
      assert.equal(await sim.lastSms(phone), undefined);
      await deliver(120_000);
      const delivered = await waitForState(smsId, ['delivered']);
      assert.equal(delivered?.state, 'delivered', 'the receipt came back, signed, and was accepted');
      assert.equal(
        (
          await t.store.get<{ n: unknown }>(
            'SELECT COUNT(*) AS n FROM sms_messages WHERE id = ? AND message_sealed IS NULL',
            [smsId],
          )
        )?.n?.toString(),
        '1',
        'the content is erased once sent',
      );
      const receipts = await t.store.all<{ outcome: string; target: string }>(
        "SELECT outcome, target FROM audit_entries WHERE action = 'provider.sms.receipt'",
      );
      assert.ok(receipts.some((r) => r.outcome === 'success' && r.target === smsId));
      const code = (await sim.lastSms(phone))?.code;
      assert.ok(code !== null && code !== undefined);
      const registered = await register(phone, codeId, code);
      assert.equal(registered.statusCode, 201, registered.body);
      assert.deepEqual(registered.json().verificationSources, ['public-security-two-element']);
      // The bank-card four-element check upgrades through the provider too; the card the rules refuse is refused.
      await sim.putRules({ identities: [{ cardSuffix: '0004', outcome: 'mismatch' }] });
      const add = (cardNumber: string) =>
        t.app.inject({
          method: 'POST',
          url: '/v1/me/verifications',
          headers: { authorization: `Bearer ${registered.json().session.accessToken}` },
          payload: { source: 'bank-card-four-element', evidence: { cardNumber } },
        });
      assert.equal((await add('6222020000000004')).json().code, 'verification_failed');
      assert.deepEqual((await add('6222020000000012')).json().verificationSources.sort(), [
        'bank-card-four-element',
        'public-security-two-element',
      ]);
      await sim.putRules({});
      for (const text of [t.logs.join(''), sim.output()])
        assert.ok(!text.includes(phone.slice(3)), 'a phone number in a log');
    });

    test('a name and ID the provider contradicts are refused at registration: identity_mismatch', async () => {
      const count = async () =>
        (await t.store.get<{ n: unknown }>('SELECT COUNT(*) AS n FROM customers'))?.n?.toString();
      const before = await count();
      const idNumber = residentIdNumber();
      const phone = phoneNumber();
      const codeId = await requestCode(phone);
      await deliver();
      const refused = await register(phone, codeId, (await sim.lastSms(phone))?.code ?? '', '测试不符', idNumber);
      assert.equal(refused.statusCode, 422);
      assert.equal(refused.json().code, 'identity_mismatch');
      assert.equal(await count(), before, 'no customer was created');
      const audit = await t.store.all<{ details: string }>(
        "SELECT details FROM audit_entries WHERE action = 'customer.register' AND outcome = 'denied'",
      );
      assert.ok(audit.some((e) => JSON.parse(e.details).reason === 'identity_mismatch'));
      assert.ok(!t.logs.join('').includes(idNumber) && !sim.output().includes(idNumber), 'an ID number in a log');
      const other = phoneNumber();
      const otherCode = await requestCode(other);
      await deliver();
      const down = await register(other, otherCode, (await sim.lastSms(other))?.code ?? '', '测试故障');
      assert.equal(down.statusCode, 503);
      assert.equal(down.json().code, 'identity_verification_unavailable');
    });

    test('receipts: a forged one is refused, audited, changes nothing; a replayed genuine one is refused', async () => {
      await sim.putRules({});
      const phone = phoneNumber();
      const codeId = await requestCode(phone);
      const [smsId] = await smsRow(codeId);
      assert.ok(smsId !== undefined);
      const body = JSON.stringify({ messageId: 'gw_test_receipt', clientReference: smsId, status: 'delivered' });
      const path = '/v1/providers/sms/receipts';
      const post = (headers: Record<string, string>) =>
        t.app.inject({
          method: 'POST',
          url: path,
          headers: { 'content-type': 'application/json', ...headers },
          payload: body,
        });
      const now = Math.floor(Date.now() / 1000);
      const forged = await post(
        signRequest(
          { keyId, secret: 'an attacker guessed this' },
          { method: 'POST', path, body },
          now,
          'forged-nonce-000000001',
        ),
      );
      assert.equal(forged.statusCode, 401);
      assert.equal(forged.json().code, 'provider_signature_invalid');
      assert.equal((await smsMessageById(t.store, smsId))?.state, 'queued', 'state unchanged');
      const denied = await t.store.all<{ details: string }>(
        "SELECT details FROM audit_entries WHERE action = 'provider.sms.receipt' AND outcome = 'denied'",
      );
      assert.ok(denied.some((e) => JSON.parse(e.details).reason === 'signature_mismatch'));
      const genuine = signRequest({ keyId, secret }, { method: 'POST', path, body }, now, 'genuine-nonce-00000001');
      assert.equal((await post(genuine)).statusCode, 204);
      assert.equal((await smsMessageById(t.store, smsId))?.state, 'delivered');
      const replay = await post(genuine);
      assert.equal(replay.statusCode, 401);
      assert.equal(replay.json().code, 'provider_signature_invalid');
      await deliver();
      assert.equal(await sim.lastSms(phone), undefined, 'a message already ended is not sent');
    });

    test('a message the outbox never delivered is ended at its deadline, its content erased', async () => {
      const phone = phoneNumber();
      await sim.putRules({ smsFailNext: 1000 });
      const codeId = await requestCode(phone);
      const [smsId] = await smsRow(codeId);
      assert.ok(smsId !== undefined);
      await deliver();
      assert.equal(
        await sweepStaleSmsMessages(t.store, Date.now() + smsMessageTtlMs - 1000),
        0,
        'not before its deadline',
      );
      assert.equal((await smsMessageById(t.store, smsId))?.state, 'queued');
      assert.ok((await sweepStaleSmsMessages(t.store, Date.now() + smsMessageTtlMs + 1000)) >= 1);
      const row = await t.store.get<{ state: string; sealed: unknown }>(
        'SELECT state, message_sealed AS sealed FROM sms_messages WHERE id = ?',
        [smsId],
      );
      assert.deepEqual({ state: row?.state, sealed: row?.sealed }, { state: 'expired', sealed: null });
      await deliver(3_600_000);
      assert.equal(await sim.lastSms(phone), undefined, 'an ended message is never sent');
      await sim.putRules({});
    });

    test('a number the gateway refuses ends the message as rejected, without retries', async () => {
      const phone = `+8613912${String(process.pid % 1000).padStart(3, '0')}777`;
      await sim.putRules({ smsRejectSuffixes: ['777'] });
      const codeId = await requestCode(phone);
      const [smsId] = await smsRow(codeId);
      assert.ok(smsId !== undefined);
      const rejectedBefore = (await sim.state()).smsRejected;
      await deliver();
      await deliver(600_000);
      const row = await smsMessageById(t.store, smsId);
      assert.equal(row?.state, 'rejected');
      assert.equal(row?.errorCode, 'number_blocked');
      assert.equal((await sim.state()).smsRejected, rejectedBefore + 1, 'one attempt only');
      await sim.putRules({});
    });
  });
}
