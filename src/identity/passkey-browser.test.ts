// Passkeys end to end in Debian's Chromium (playwright-core) with a CDP virtual authenticator
// (CTAP2, internal, user verification): the real server over HTTPS serves the page; the page
// registers a customer, enrols a passkey and answers a login challenge with it. Replayed and forged
// assertions are refused.
import { skipUnless } from '../testing/required-tools.ts';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { loadConfig } from '../config.ts';
import { serve } from '../serve.ts';
import { phoneNumber, residentIdNumber, testEnv } from '../wiring/identity-test-app.ts';

const chromiumPath = '/usr/bin/chromium';

interface ApiReply {
  status: number;
  body: Record<string, unknown> & { code?: string };
}

async function api(page: Page, path: string, options: { token?: string; body?: unknown; method?: string } = {}): Promise<ApiReply> {
  return page.evaluate(([p, o]) => (globalThis as unknown as { anfuPasskey: { api(path: string, options: unknown): Promise<ApiReply> } }).anfuPasskey.api(p, o), [path, options] as const);
}

function smsCodeFrom(sinkFile: string, phone: string): string {
  const lines = readFileSync(sinkFile, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { to: string; text: string });
  const code = /\d{6}/.exec(lines.filter((l) => l.to === phone).at(-1)?.text ?? '')?.[0];
  if (code === undefined) throw new Error('no code');
  return code;
}

test('passkey registration and step-up in Chromium with a virtual authenticator', { skip: skipUnless(existsSync(chromiumPath), 'Debian chromium'), timeout: 120_000 }, async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'anfu-browser-'));
  const config = loadConfig({ ...testEnv, ANFU_ENV: 'development', ANFU_DATA_DIR: dataDir, ANFU_PORT: '0', ANFU_HOST: '127.0.0.1', ANFU_LOG_LEVEL: 'silent' });
  const server = await serve(config, { demo: false, quiet: true });
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--host-resolver-rules=MAP localhost 127.0.0.1'],
  });
  try {
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const page = await context.newPage();
    const origin = `https://localhost:${new URL(server.url).port}`;
    await page.goto(`${origin}/web/passkey`);
    await page.waitForFunction(() => 'anfuPasskey' in globalThis);
    assert.match(await page.textContent('#status') ?? '', /Passkeys are available/);
    const cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    await cdp.send('WebAuthn.addVirtualAuthenticator', { options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true } });

    const phone = phoneNumber();
    const sent = await api(page, '/sms-codes', { body: { phone, purpose: 'registration' } });
    assert.equal(sent.status, 202);
    const password = 'a passphrase for the browser test';
    const device = { installId: 'browser-1' };
    const registered = await api(page, '/customers', { body: { phone, smsCodeId: sent.body.codeId, smsCode: smsCodeFrom(config.smsSinkFile, phone), name: '赵六', idNumber: residentIdNumber(), password, device } });
    assert.equal(registered.status, 201, JSON.stringify(registered.body));
    const token = (registered.body.session as { accessToken: string }).accessToken;

    const enrolled = await page.evaluate((t) => (globalThis as unknown as { anfuPasskey: { enrol(token: string, label: string): Promise<ApiReply> } }).anfuPasskey.enrol(t, 'Chromium virtual'), token);
    assert.equal(enrolled.status, 201, JSON.stringify(enrolled.body));
    const me = await api(page, '/me', { token, method: 'GET' });
    assert.equal((me.body.factors as { passkeys: number }).passkeys, 1);

    const challenge = async () => {
      const login = await api(page, '/customer-sessions', { body: { phone, password, device: { installId: `browser-${Math.random()}` } } });
      assert.equal(login.status, 202, JSON.stringify(login.body));
      assert.ok((login.body.factors as string[]).includes('passkey'));
      return login.body.challengeId as string;
    };
    const first = await challenge();
    const assertion = await page.evaluate((id) => (globalThis as unknown as { anfuPasskey: { assertion(id: string): Promise<unknown> } }).anfuPasskey.assertion(id), first);
    const answer = (id: string, response: unknown) => api(page, `/login-challenges/${id}`, { body: { factor: 'passkey', response } });
    const done = await answer(first, assertion);
    assert.equal(done.status, 201, JSON.stringify(done.body));
    assert.deepEqual(done.body.factors, ['password', 'passkey']);
    assert.equal(done.body.authenticationStrength, 'two_factors');

    // Replayed: the same assertion against a new challenge (its WebAuthn challenge differs).
    const second = await challenge();
    await page.evaluate((id) => (globalThis as unknown as { anfuPasskey: { api(p: string): Promise<unknown> } }).anfuPasskey.api(`/login-challenges/${id}/passkey-options`), second);
    assert.equal((await answer(second, assertion)).body.code, 'passkey_failed');
    // Forged: a fresh assertion with one byte of the signature changed.
    const third = await challenge();
    const fresh = await page.evaluate((id) => (globalThis as unknown as { anfuPasskey: { assertion(id: string): Promise<{ response: { signature: string } }> } }).anfuPasskey.assertion(id), third);
    const signature = Buffer.from(fresh.response.signature, 'base64url');
    signature[signature.length - 1] = (signature[signature.length - 1] ?? 0) ^ 0x01;
    assert.equal((await answer(third, { ...fresh, response: { ...fresh.response, signature: signature.toString('base64url') } })).body.code, 'passkey_failed');
    const devices = await api(page, '/me/devices', { token: (done.body as { accessToken: string }).accessToken, method: 'GET' });
    assert.ok((devices.body.items as unknown[]).length >= 2);
  } finally {
    await browser.close();
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
