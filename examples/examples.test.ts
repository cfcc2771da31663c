// The examples run against the real server over real sockets, on both stores, through @anfu/sdk: an
// operator onboards a merchant and registers the example merchant server's webhook endpoint; the
// merchant server creates a checkout order; the customer script signs in, certifies a device key
// (P-256; SM2 on the `gm` profile), pays with a signed instruction and a TOTP step-up; the outbox
// delivers `order.paid`, which the merchant verifies; the merchant refunds. Balances are exact and a
// forged delivery is refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { createAnfuClient, data } from '@anfu/sdk';
import { outboxDispatcherFor } from '../src/events/index.ts';
import { totpCode } from '../src/identity/totp.ts';
import { walletOf } from '../src/payments/index.ts';
import { testStoreKinds, type StoreKind } from '../src/store/testing.ts';
import { browserDevice, createIdentityTestApp, registerThroughApi } from '../src/wiring/identity-test-app.ts';
import { signInAndPay } from './customer-pay.ts';
import { startMerchantServer } from './merchant-server.ts';

async function run(kind: StoreKind, profile: 'intl' | 'gm') {
  const t = await createIdentityTestApp(kind, {
    env: { ANFU_KEK: randomBytes(32).toString('base64'), ANFU_CRYPTO_PROFILE: profile },
  });
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  const baseUrl = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  const now = () => t.identity.clock();
  let webhookSecret = '';
  try {
    const operator = createAnfuClient({ baseUrl, credentials: { kind: 'bearer', token: t.token } });
    const onboarded = await data(
      operator.POST('/v1/merchants', {
        body: {
          name: 'Tea House',
          businessRegistration: '91310000MA1K00000X',
          contactEmail: 'ops@tea.example',
          settlementAccount: '6222020200112233445',
          feeBps: 60,
        },
      }),
    );
    const shop = await startMerchantServer({ baseUrl, apiKey: onboarded.apiKey, webhookSecret: () => webhookSecret, now });
    try {
      const endpoint = await data(
        operator.POST('/v1/webhook-endpoints', {
          body: { merchantId: onboarded.id, url: `${shop.url}/anfu/webhooks`, topics: ['*'] },
        }),
      );
      webhookSecret = endpoint.secret;

      // The customer exists (registered with an SMS code), has an authenticator app and 500.00 in the wallet.
      const customer = await registerThroughApi(t);
      const me = createAnfuClient({ baseUrl, credentials: { kind: 'bearer', token: customer.accessToken } });
      const { secret } = await data(me.POST('/v1/me/totp'));
      const confirmed = await me.POST('/v1/me/totp/confirm', { body: { code: totpCode(secret, now()) } });
      assert.equal(confirmed.response.status, 204);
      const bank = await t.ledger.openAccount({ kind: 'bank_settlement', currency: 'CNY', name: 'Bank' });
      const wallet = await walletOf(t.ledger, customer.customerId, 'CNY');
      const funding = { kind: 'single', key: 'fund', debitAccountId: bank.id, creditAccountId: wallet.id } as const;
      assert.ok((await t.ledger.submit({ ...funding, amount: 50_000n, currency: 'CNY' })).ok);

      const checkout = await fetch(`${shop.url}/checkout`, {
        method: 'POST',
        body: JSON.stringify({ reference: `cart-${profile}`, amount: '100.00' }),
      });
      assert.equal(checkout.status, 201);
      const order = (await checkout.json()) as { id: string; paymentCode: string };

      const paid = await signInAndPay({
        baseUrl,
        phone: customer.phone,
        password: customer.password,
        paymentCode: order.paymentCode,
        profile,
        device: browserDevice,
        now,
        totpCode: () => {
          t.advance(30_000);
          return totpCode(secret, now());
        },
      });
      assert.deepEqual([paid.state, paid.orderId, paid.amount, paid.fee], ['succeeded', order.id, '100.00', '0.60']);

      // The dispatcher signs deliveries on the app's clock, as serve() runs everything on one clock.
      const dispatcher = outboxDispatcherFor(t.config, t.store, t.keyring, { clock: now });
      for (let round = 0; round < 5 && shop.events.length < 1; round += 1) await dispatcher.runOnce();
      const event = shop.events[0];
      assert.equal(event?.topic, 'order.paid');
      assert.equal(event.topic === 'order.paid' ? event.data.paymentId : undefined, paid.id);

      const refunded = await fetch(`${shop.url}/refunds`, {
        method: 'POST',
        body: JSON.stringify({ paymentId: paid.id, amount: '30.00', reason: 'one cup short' }),
      });
      assert.equal(refunded.status, 201);
      assert.equal(((await refunded.json()) as { state: string }).state, 'succeeded');
      // The same refund asked again (a retry after a lost answer) is the same refund, not a second one.
      const again = await fetch(`${shop.url}/refunds`, {
        method: 'POST',
        body: JSON.stringify({ paymentId: paid.id, amount: '30.00', reason: 'one cup short' }),
      });
      assert.equal(again.status, 201);
      for (let round = 0; round < 5 && shop.events.length < 2; round += 1) await dispatcher.runOnce();
      assert.deepEqual(shop.events.map((e) => e.topic), ['order.paid', 'refund.succeeded']);

      const after = await walletOf(t.ledger, customer.customerId, 'CNY');
      assert.equal(after.creditsPosted - after.debitsPosted, 50_000n - 10_000n + 3_000n);

      // A delivery with a made-up signature is refused and not acted on.
      const forged = await fetch(`${shop.url}/anfu/webhooks`, {
        method: 'POST',
        headers: { 'anfu-signature': `t=${Math.floor(now() / 1000)},v1=${'0'.repeat(64)}` },
        body: JSON.stringify({ ...event, id: 'evt_forged' }),
      });
      assert.equal(forged.status, 400);
      assert.equal(shop.refused, 1);
      assert.equal(shop.events.length, 2);
    } finally {
      await shop.close();
    }
  } finally {
    await t.close();
  }
}

for (const kind of testStoreKinds()) {
  test(`examples on ${kind}: merchant server and customer script through the SDK (P-256)`, () => run(kind, 'intl'));
}
test('examples on sqlite with the gm profile: the customer signs with an SM2 device key', () => run('sqlite', 'gm'));
