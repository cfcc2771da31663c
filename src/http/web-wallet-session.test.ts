// The wallet's session in Debian's Chromium (playwright-core), against the real server on each store,
// with customer access tokens living 10 s (the least ANFU_CUSTOMER_ACCESS_TOKEN_TTL_MS allows): the
// wallet renews its token before each expiry and keeps working across several of them (the balance
// loads, a signed transfer is made), a refused token is renewed and the request sent once more, and a
// refresh token used twice (as a thief who copied it would) ends the session and shows the login with
// its message. Passkeys through a CDP virtual authenticator: one is added in Security, answers the
// transfer's step-up, and answers the login challenge of a new browser holding the same passkey.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import { type Browser, type BrowserContext, type CDPSession, type Page } from 'playwright-core';
import { type Running } from '../serve.ts';
import { walletOf } from '../payments/index.ts';
import { testStoreKinds } from '../store/testing.ts';
import { phoneNumber, residentIdNumber } from '../wiring/identity-test-app.ts';
import {
  alerts,
  answerStepUp,
  axeFindings,
  browserSkip,
  registerByApi,
  registerInWallet,
  startBrowserRig,
  virtualAuthenticator,
  watch,
} from './testing/browser.ts';

const accessTokenTtlMs = 10_000;

/** What the page was told about its session: each token pair, in order, and every 401 it received. */
function sessionLog(page: Page) {
  const log = {
    refreshTokens: [] as string[],
    accessTokens: [] as string[],
    renewals: 0,
    renewalRequests: 0,
    refused: [] as string[],
  };
  page.on('request', (request) => {
    if (new URL(request.url()).pathname === '/v1/customer-sessions/refresh') log.renewalRequests += 1;
  });
  page.on('response', (response) => {
    const path = new URL(response.url()).pathname;
    if (response.status() === 401) log.refused.push(path);
    const issuing =
      path === '/v1/customers' || path === '/v1/customer-sessions' || path.startsWith('/v1/login-challenges/');
    if (!(response.ok() && (issuing || path === '/v1/customer-sessions/refresh'))) return;
    void response.json().then((body: { session?: unknown; refreshToken?: string; accessToken?: string }) => {
      const issued = (body.session ?? body) as { refreshToken?: string; accessToken?: string };
      if (issued.refreshToken === undefined || issued.accessToken === undefined) return;
      log.refreshTokens.push(issued.refreshToken);
      log.accessTokens.push(issued.accessToken);
      if (path === '/v1/customer-sessions/refresh') log.renewals += 1;
    });
  });
  return log;
}

async function until(what: string, done: () => boolean, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function fund(running: Running, minor: bigint) {
  const { store, ledger } = running.context;
  const customerId = (await store.get<{ id: string }>('SELECT id FROM customers'))?.id;
  const bank = await ledger.openAccount({ kind: 'bank_settlement', currency: 'CNY', name: 'bank for this test' });
  const wallet = await walletOf(ledger, customerId ?? '', 'CNY');
  const key = `session-test-${randomBytes(4).toString('hex')}`;
  const booked = await ledger.submit({
    kind: 'single', key, debitAccountId: bank.id, creditAccountId: wallet.id, amount: minor, currency: 'CNY',
  });
  assert.ok(booked.ok);
}

/** Answers the step-up prompt shown with the passkey (offered first once one is enrolled). */
async function answerWithPasskey(page: Page) {
  await page.click('button[data-factor=passkey]');
  await page.click('#step-up-passkey button[type=submit]');
}

/** Adds a passkey in Security (answering a step-up by SMS if the server asks), then certifies the device. */
async function securePasskeyAndDevice(page: Page, running: Running, phone: string, axeSource: string) {
  await page.click('a[href="#/security"]');
  await page.click('#add-passkey button[type=submit]');
  await page.waitForSelector('[data-testid=passkey-count][data-count="1"], #step-up-answer, #step-up-send');
  if ((await page.locator('[data-testid=passkey-count][data-count="1"]').count()) === 0) {
    await answerStepUp(page, running, phone, undefined);
  }
  await page.waitForSelector('[data-testid=passkey-count][data-count="1"]');
  assert.deepEqual(await axeFindings(page, axeSource), [], 'security with passkeys: no serious or critical finding');
  await page.click('#certify-device button[type=submit]');
  await page.waitForSelector('[data-testid=device-certified], #step-up-passkey, #step-up-answer, #step-up-send');
  if ((await page.locator('[data-testid=device-certified]').count()) === 0) {
    await answerWithPasskey(page);
    await page.waitForSelector('[data-testid=device-certified]');
  }
}

/** A transfer by phone, challenged (a device certified moments ago) and answered with the passkey. */
async function transferWithPasskey(page: Page, payeePhone: string, axeSource: string): Promise<string> {
  await page.click('a[href="#/transfer"]');
  await page.fill('input[name=payee-phone]', payeePhone);
  await page.click('#look-up button[type=submit]');
  await page.waitForSelector('[data-testid=payee-name]');
  await page.fill('input[name=amount]', '12.34');
  await page.click('#transfer button[type=submit]');
  await page.waitForSelector('[data-testid=payment-state], #step-up-passkey');
  assert.equal(await page.locator('[data-testid=payment-state]').count(), 0, 'a new device is challenged');
  assert.equal(
    await page.getAttribute('button[data-factor=passkey]', 'aria-pressed'),
    'true',
    'the enrolled passkey is offered first, without a flash of SMS',
  );
  assert.deepEqual(await axeFindings(page, axeSource), [], 'step-up with a passkey: no serious or critical finding');
  await page.click('#step-up-passkey button[type=submit]');
  const paid = page.locator('[data-testid=payment-state][data-state=succeeded]');
  await paid.waitFor().catch(async (e: unknown) => assert.fail(`${String(e)}; the page shows ${await alerts(page)}`));
  return (await paid.getAttribute('data-payment-id')) ?? '';
}

async function registerPayee(page: Page, running: Running): Promise<string> {
  const phone = phoneNumber();
  await registerByApi(page.context().request, running, phone);
  return phone;
}

/** Nothing of the session is in the page's storage (the language preference may be). */
async function storageHolds(page: Page, secrets: readonly string[]): Promise<boolean> {
  const stored = await page.evaluate(() => {
    const w = globalThis as unknown as { localStorage: object; sessionStorage: object; document: { cookie: string } };
    return JSON.stringify([{ ...w.localStorage }, { ...w.sessionStorage }, w.document.cookie]);
  });
  return secrets.some((s) => stored.includes(s));
}

/** Part one: a session kept across several expiries, the 401 path, passkey and a signed transfer. */
async function keepSessionAlive(page: Page, running: Running, phone: string, password: string, axeSource: string) {
  const log = sessionLog(page);
  await registerInWallet(page, running, phone, '张三', residentIdNumber('19900307'), password);
  await securePasskeyAndDevice(page, running, phone, axeSource);
  await fund(running, 100_000n);
  const payee = await registerPayee(page, running);
  await until('three renewals (three expiries)', () => log.renewals >= 3, 6 * accessTokenTtlMs);
  assert.deepEqual(log.refused, [], 'renewed ahead of expiry: the page never met a refused token');
  // The first access token expired long ago: the page works on with the renewed ones.
  await page.click('a[href="#/"]');
  await page.waitForSelector('[data-testid=balance-CNY]:text("¥1,000.00")');
  const paymentId = await transferWithPasskey(page, payee, axeSource);
  assert.match(paymentId, /^pay_/);
  // Tokens the server refuses (as a sleeping tab's would be) on the two reads Home makes at once: one
  // renewal for both, and each request sent once more.
  const faked = new Map<string, number>();
  const refusedReads = (url: URL) => url.pathname === '/v1/me/wallet' || url.pathname === '/v1/payments';
  await page.route(refusedReads, async (route) => {
    const path = new URL(route.request().url()).pathname;
    faked.set(path, (faked.get(path) ?? 0) + 1);
    if ((faked.get(path) ?? 0) > 1) return route.continue();
    return route.fulfill({
      status: 401,
      contentType: 'application/problem+json',
      body: JSON.stringify({ status: 401, code: 'unauthenticated', title: 'Missing or invalid credentials' }),
    });
  });
  const before = log.renewalRequests;
  await page.click('a[href="#/"]');
  await page.waitForSelector('[data-testid=balance-CNY]:text("¥987.66")');
  await page.locator('tr[data-payment]').first().waitFor(); // the history too
  assert.deepEqual([faked.get('/v1/me/wallet'), faked.get('/v1/payments')], [2, 2], 'each refused read sent once more');
  assert.equal(log.renewalRequests - before, 1, 'one renewal in flight for both');
  await page.unroute(refusedReads);
  assert.equal(await storageHolds(page, [...log.refreshTokens, ...log.accessTokens]), false, 'no token in storage');
  await page.click('nav button.lang:text-matches("退出|Log out")');
  await page.waitForSelector('#login');
}

/** The same passkey in a second browser: a new device, so the login asks for it. */
async function passkeyBrowser(
  browser: Browser,
  origin: string,
  from: { cdp: CDPSession; authenticatorId: string },
) {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, locale: 'zh-CN', baseURL: origin });
  context.setDefaultTimeout(30_000);
  const page = await context.newPage();
  const to = await virtualAuthenticator(context, page);
  const { credentials } = await from.cdp.send('WebAuthn.getCredentials', { authenticatorId: from.authenticatorId });
  assert.equal(credentials.length, 1, 'the passkey added in Security');
  for (const credential of credentials) {
    await to.cdp.send('WebAuthn.addCredential', { authenticatorId: to.authenticatorId, credential });
  }
  return { context, page };
}

/** Part two: log in with password + passkey, then a refresh token used twice ends the session. */
async function logInWithPasskeyThenLoseIt(
  context: BrowserContext,
  page: Page,
  origin: string,
  phone: string,
  password: string,
  axeSource: string,
) {
  const log = sessionLog(page);
  const problems = await watch(page);
  await page.goto(`${origin}/wallet/`);
  await page.fill('input[name=phone]', phone);
  await page.fill('input[name=password]', password);
  await page.click('#login button[type=submit]');
  await page.waitForSelector('#step-up-passkey');
  assert.deepEqual(await axeFindings(page, axeSource), [], 'login with a passkey: no serious or critical finding');
  await page.click('#step-up-passkey button[type=submit]');
  await page.waitForSelector('[data-testid=balance-CNY]:text("¥987.66")');
  const issued = log.refreshTokens.at(-1);
  assert.ok(issued !== undefined, 'the login issued a refresh token');
  // A thief who copied the refresh token renews first; the wallet's own renewal is then a reuse, which
  // the server answers by ending the session: the page shows the login and says why.
  const stolen = await context.request.post('/v1/customer-sessions/refresh', { data: { refreshToken: issued } });
  assert.equal(stolen.status(), 200);
  await page.waitForSelector('#login [name=phone], [data-testid=session-ended]', { timeout: 3 * accessTokenTtlMs });
  await page.waitForSelector('[data-testid=session-ended]');
  assert.ok(await page.isVisible('#login'), 'the login is shown');
  const thiefToken = ((await stolen.json()) as { accessToken: string }).accessToken;
  const me = await context.request.get('/v1/me', { headers: { authorization: `Bearer ${thiefToken}` } });
  assert.equal(me.status(), 401, 'the reuse ended the whole session, the thief’s rotation too');
  assert.deepEqual(problems, [], 'no CSP violation or script error in the second browser');
}

for (const kind of testStoreKinds()) {
  test(
    `web: the wallet renews its session and uses a passkey (${kind})`,
    {
      skip: browserSkip(),
      timeout: 300_000,
    },
    async () => {
      const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
      const rig = await startBrowserRig(kind, 'web-session', {
        env: { ANFU_CUSTOMER_ACCESS_TOKEN_TTL_MS: String(accessTokenTtlMs) },
        // WebAuthn's RP ID is "localhost" by default: the pages are opened as https://localhost:<port>.
        args: ['--host-resolver-rules=MAP localhost 127.0.0.1'],
      });
      const { running, browser } = rig;
      try {
        const origin = `https://localhost:${new URL(running.url).port}`;
        const context = await browser.newContext({ ignoreHTTPSErrors: true, locale: 'zh-CN', baseURL: origin });
        context.setDefaultTimeout(30_000);
        const page = await context.newPage();
        const problems = await watch(page);
        const authenticator = await virtualAuthenticator(context, page);
        await page.goto(`${origin}/wallet/`);
        await page.waitForSelector('#login');
        const phone = phoneNumber();
        const password = `a long passphrase ${randomBytes(4).toString('hex')}`;
        await keepSessionAlive(page, running, phone, password, axeSource);
        assert.deepEqual(problems, [], 'no CSP violation or script error');
        const second = await passkeyBrowser(browser, origin, authenticator);
        await logInWithPasskeyThenLoseIt(second.context, second.page, origin, phone, password, axeSource);
      } finally {
        await rig.stop();
      }
    },
  );
}
