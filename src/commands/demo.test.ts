// The demo data `npm start` seeds: real customers who can sign in with the printed password, wallets
// funded from the partner bank, a merchant with an API key — and a second run adds nothing.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { testStoreKinds } from '../store/testing.ts';
import { createTestApp, type TestApp } from '../wiring/test-app.ts';
import { describeDemo, seedDemo, type DemoAccounts } from './demo.ts';

for (const kind of testStoreKinds()) {
  describe(`demo seed on ${kind}`, () => {
    let t: TestApp;
    let demo: DemoAccounts;
    before(async () => {
      t = await createTestApp(kind);
      demo = await seedDemo(t.app.context);
    });
    after(() => t.close());

    test('two customers sign in with the printed passwords; wallets are funded', async () => {
      assert.equal(demo.seeded, true);
      assert.equal(demo.customers.length, 2);
      for (const customer of demo.customers) {
        assert.ok(customer.password !== undefined);
        const login = await t.app.inject({
          method: 'POST',
          url: '/v1/customer-sessions',
          // The same device the seed registered from: a known device signs in without a challenge.
          headers: { 'user-agent': 'anfu demo seed' },
          payload: { phone: customer.phone, password: customer.password, device: { platform: 'demo', screen: '1920x1080', timezone: 'Asia/Shanghai' } },
        });
        assert.ok([200, 201].includes(login.statusCode), login.body);
        const wallet = await t.ledger.account(customer.walletId);
        assert.ok(wallet !== undefined && wallet.creditsPosted > 0n, 'the wallet was funded');
        assert.equal(wallet.ownerId, customer.customerId);
      }
      assert.ok(demo.merchant?.apiKey !== undefined);
      assert.match(describeDemo(demo), /password demo-/);
    });

    test('production refuses demo data', async () => {
      await assert.rejects(seedDemo({ ...t.app.context, config: { ...t.app.context.config, environment: 'production' } }), /refused in production/);
    });

    test('a second run adds nothing and shows no secrets; the ledger verifies', async () => {
      const transfersBefore = (await t.ledger.verify()).transfers;
      const again = await seedDemo(t.app.context);
      assert.equal(again.seeded, false);
      assert.deepEqual(again.customers.map((c) => c.customerId), demo.customers.map((c) => c.customerId));
      assert.equal(again.merchant?.merchantId, demo.merchant?.merchantId);
      assert.doesNotMatch(describeDemo(again), /password demo-|API key mk_/);
      const report = await t.ledger.verify();
      assert.deepEqual(report.problems, []);
      assert.equal(report.transfers, transfersBefore);
    });
  });
}
