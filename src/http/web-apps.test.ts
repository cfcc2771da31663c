// The edge of the web apps, without a browser: pages and assets come only from the build (a path that
// is not a built file is a 404 problem, never a disk read), under the strict CSP, compressed when
// asked, cacheable by hash; a missing build says how to make it. And the wallet's one new read,
// GET /v1/me/wallet: the customer's balances and limits, exact after a payment, refused without a session.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import Fastify from 'fastify';
import { webAppRoutes, webAppsCsp } from './routes/web-apps.ts';
import { problemOf } from './problem.ts';
import { AnfuError } from '../errors.ts';
import { walletOf } from '../payments/index.ts';
import { testStoreKinds } from '../store/testing.ts';
import { createIdentityTestApp, registerThroughApi } from '../wiring/identity-test-app.ts';

function builtTree(): string {
  const root = mkdtempSync(join(tmpdir(), 'anfu-webdist-'));
  mkdirSync(join(root, 'wallet'));
  mkdirSync(join(root, 'assets'));
  writeFileSync(
    join(root, 'wallet', 'index.html'),
    '<!doctype html><script type="module" src="/assets/w-1.js"></script>',
  );
  writeFileSync(join(root, 'assets', 'w-1.js'), `export const x = ${JSON.stringify('a'.repeat(4000))};`);
  writeFileSync(join(root, 'secret.txt'), 'not served');
  return root;
}

async function edge(root: string) {
  const app = Fastify();
  app.setErrorHandler((error, _request, reply) => {
    const problem = problemOf(error instanceof AnfuError ? error.code : 'internal_error');
    return reply.status(problem.status).type('application/problem+json').send(problem);
  });
  await app.register(webAppRoutes(root));
  return app;
}

test('web apps: built pages and assets only, strict CSP, gzip, caching by hash', async () => {
  const app = await edge(builtTree());
  const page = await app.inject({ url: '/wallet/' });
  assert.equal(page.statusCode, 200);
  assert.equal(page.headers['content-security-policy'], webAppsCsp);
  assert.doesNotMatch(webAppsCsp, /unsafe-inline|unsafe-eval|https?:/);
  assert.equal(page.headers['cache-control'], 'no-cache');
  assert.equal((await app.inject({ url: '/' })).headers.location, '/wallet/');
  const asset = await app.inject({ url: '/assets/w-1.js', headers: { 'accept-encoding': 'gzip, br' } });
  assert.equal(asset.headers['content-encoding'], 'gzip');
  assert.match(String(asset.headers['cache-control']), /immutable/);
  assert.match(gunzipSync(asset.rawPayload).toString('utf8'), /^export const x/);
  const again = await app.inject({ url: '/assets/w-1.js', headers: { 'if-none-match': String(asset.headers.etag) } });
  assert.equal(again.statusCode, 304);
  for (const url of ['/assets/../secret.txt', '/assets/%2e%2e/secret.txt', '/assets/missing.js', '/secret.txt']) {
    const refused = await app.inject({ url });
    assert.equal(refused.statusCode, 404, url);
    assert.doesNotMatch(refused.body, /not served/);
  }
  assert.equal((await app.inject({ url: '/console/' })).json().code, 'web_not_built', 'a page not built says so');
  await app.close();
});

for (const kind of testStoreKinds()) {
  test(`GET /v1/me/wallet: balances and limits with what remains (${kind})`, async () => {
    const t = await createIdentityTestApp(kind);
    try {
      assert.equal((await t.app.inject({ url: '/v1/me/wallet' })).json().code, 'unauthenticated');
      const customer = await registerThroughApi(t);
      const bearer = { authorization: `Bearer ${customer.accessToken}` };
      const empty = await t.app.inject({ url: '/v1/me/wallet', headers: bearer });
      assert.equal(empty.statusCode, 200, empty.body);
      assert.deepEqual(empty.json().balances, [{ currency: 'CNY', balance: '0.00', available: '0.00' }]);
      const bank = await t.ledger.openAccount({ kind: 'bank_settlement', currency: 'CNY', name: 'bank' });
      const wallet = await walletOf(t.ledger, customer.customerId, 'CNY');
      assert.ok(
        (
          await t.ledger.submit({
            kind: 'single',
            key: 'w-1',
            debitAccountId: bank.id,
            creditAccountId: wallet.id,
            amount: 12_345n,
            currency: 'CNY',
            reference: 'x',
          })
        ).ok,
      );
      const held = await t.ledger.submit({
        kind: 'hold',
        key: 'w-2',
        debitAccountId: wallet.id,
        creditAccountId: bank.id,
        amount: 345n,
        currency: 'CNY',
        reference: 'y',
        timeoutMs: 60_000,
      });
      assert.ok(held.ok, 'the hold is placed');
      const funded = (await t.app.inject({ url: '/v1/me/wallet', headers: bearer })).json();
      assert.deepEqual(funded.balances, [{ currency: 'CNY', balance: '123.45', available: '120.00' }]);
      assert.equal(funded.accountClass, 'I');
      const names = funded.limits.map((l: { name: string }) => l.name);
      assert.deepEqual(names, ['class_lifetime', 'day']);
      assert.deepEqual(funded.limits[0], {
        name: 'class_lifetime',
        currency: 'CNY',
        limit: '1000.00',
        used: '0.00',
        remaining: '1000.00',
      });
    } finally {
      await t.close();
    }
  });
}

test('web money: typed amounts are plain positive decimals; shown grouped, never recomputed', async () => {
  const { normaliseAmount, formatAmount } = await import('../../web/src/shared/money.ts');
  const accepted: [string, string][] = [
    ['12.34', '12.34'],
    ['¥1,000', '1000'],
    [' 0.5 ', '0.5'],
    ['7', '7'],
  ];
  for (const [typed, sent] of accepted) assert.equal(normaliseAmount(typed), sent, typed);
  for (const typed of ['', '0', '0.00', '-1', '1.234', '01', '1.2.3', '1e3', '１２', 'NaN', '9'.repeat(17)]) {
    assert.equal(normaliseAmount(typed), undefined, typed);
  }
  assert.equal(formatAmount('1234567.5', 'CNY', 'zh'), '¥1,234,567.50');
  assert.equal(formatAmount('-100.00', 'CNY', 'en'), '−¥100.00');
  assert.equal(formatAmount('0.01', 'USD', 'en'), 'USD 0.01');
});

test('web money: minor units (clearing, reconciliation) shown by moving the point, never by arithmetic', async () => {
  const { formatMinor } = await import('../../web/src/shared/money.ts');
  assert.equal(formatMinor('1000000', 'CNY', 'zh'), '¥10,000.00');
  assert.equal(formatMinor('5', 'CNY', 'zh'), '¥0.05');
  assert.equal(formatMinor('0', 'CNY', 'zh'), '¥0.00');
  assert.equal(formatMinor('-2000', 'CNY', 'en'), '−¥20.00');
  assert.equal(formatMinor('123456789012345678', 'CNY', 'en'), '¥1,234,567,890,123,456.78');
});
