// End to end through the public API on both stores: a merchant is onboarded, signs an order request,
// a customer pays it with a signed instruction, the merchant refunds part of it and queries the
// order, the customer transfers to a friend; the journal verifies and every step is audited.
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestApp } from '../wiring/test-app.ts';
import { testStoreKinds } from '../store/testing.ts';
import { merchantRequestSignature, signingKeyOf, walletOf } from '../payments/index.ts';
import { createTestIdentity, instructionFor, signInstruction } from '../payments/testing.ts';

for (const kind of testStoreKinds()) {
  test(`${kind}: order, payment, partial refund, transfer and receipt through the API`, async () => {
    const identity = await createTestIdentity('intl');
    const t = await createTestApp(
      kind,
      { ANFU_KEK: randomBytes(32).toString('base64') },
      { paymentIdentity: identity },
    );
    try {
      const alice = await identity.addCustomer();
      const friend = await identity.addCustomer();
      const bank = await t.ledger.openAccount({ kind: 'bank_settlement', currency: 'CNY', name: 'Bank' });
      const wallet = await walletOf(t.ledger, alice.customer.id, 'CNY');
      assert.ok(
        (
          await t.ledger.submit({
            kind: 'single',
            key: 'fund-alice',
            debitAccountId: bank.id,
            creditAccountId: wallet.id,
            amount: 50_000n,
            currency: 'CNY',
          })
        ).ok,
      );

      const onboarded = await t.app.inject({
        method: 'POST',
        url: '/v1/merchants',
        headers: { authorization: `Bearer ${t.token}` },
        payload: {
          name: 'Tea House',
          businessRegistration: '91310000MA1K00000X',
          contactEmail: 'ops@tea.example',
          settlementAccount: '6222020200112233445',
          feeBps: 60,
        },
      });
      assert.equal(onboarded.statusCode, 201, onboarded.body);
      const { apiKey } = onboarded.json() as { apiKey: string };
      const [keyId = '', secret = ''] = apiKey.split('.');
      const signedHeaders = (method: string, url: string, body: string) => {
        const timestamp = String(Date.now());
        return {
          'anfu-key-id': keyId,
          'anfu-timestamp': timestamp,
          'anfu-signature': merchantRequestSignature(signingKeyOf(secret), method, url, timestamp, body),
          'content-type': 'application/json',
        };
      };
      const orderBody = JSON.stringify({
        merchantReference: 'T-1',
        amount: '100.00',
        currency: 'CNY',
        description: 'Tea',
        expiresInSeconds: 600,
      });
      const headers = signedHeaders('POST', '/v1/merchant/orders', orderBody);
      const created = await t.app.inject({ method: 'POST', url: '/v1/merchant/orders', headers, payload: orderBody });
      assert.equal(created.statusCode, 201, created.body);
      const replayed = await t.app.inject({ method: 'POST', url: '/v1/merchant/orders', headers, payload: orderBody });
      assert.equal(replayed.statusCode, 401, 'a replayed merchant request is refused');
      const order = created.json() as { id: string; paymentCode: string; qrSvg: string };
      assert.match(order.qrSvg, /<svg/);
      const pause = () => new Promise((resolve) => setTimeout(resolve, 5));
      await pause();
      const again = await t.app.inject({
        method: 'POST',
        url: '/v1/merchant/orders',
        headers: signedHeaders('POST', '/v1/merchant/orders', orderBody),
        payload: orderBody,
      });
      assert.deepEqual(
        [again.statusCode, (again.json() as { id: string }).id],
        [200, order.id],
        'the same reference and body: the same order',
      );
      const otherBody = orderBody.replace('"100.00"', '"101.00"');
      await pause();
      const differs = await t.app.inject({
        method: 'POST',
        url: '/v1/merchant/orders',
        headers: signedHeaders('POST', '/v1/merchant/orders', otherBody),
        payload: otherBody,
      });
      assert.deepEqual(
        [differs.statusCode, (differs.json() as { code: string }).code],
        [409, 'order_reference_conflict'],
      );

      const instruction = instructionFor(alice, { kind: 'order_payment', target: order.id, amount: '100.00' });
      const pay = await t.app.inject({
        method: 'POST',
        url: `/v1/orders/${order.id}/payments`,
        headers: { authorization: `Bearer ${alice.token}`, 'idempotency-key': 'pay-order-1' },
        payload: { instruction, signature: signInstruction('intl', alice, instruction) },
      });
      assert.equal(pay.statusCode, 201, pay.body);
      const payment = pay.json() as { id: string; state: string; fee: string };
      assert.deepEqual([payment.state, payment.fee], ['succeeded', '0.60']);

      const refundBody = JSON.stringify({ amount: '30.00', reason: 'one cup short' });
      const refundUrl = `/v1/merchant/payments/${payment.id}/refunds`;
      const refund = await t.app.inject({
        method: 'POST',
        url: refundUrl,
        headers: { ...signedHeaders('POST', refundUrl, refundBody), 'idempotency-key': 'refund-0001' },
        payload: refundBody,
      });
      assert.equal(refund.statusCode, 201, refund.body);
      // Two refunds under one key at once: one 201, one 200 replay, never a 500.
      const raceBody = JSON.stringify({ amount: '10.00', reason: 'race' });
      const raceHeaders = [];
      for (let i = 0; i < 2; i += 1) {
        await pause();
        raceHeaders.push({ ...signedHeaders('POST', refundUrl, raceBody), 'idempotency-key': 'refund-race-1' });
      }
      const raced = await Promise.all(
        raceHeaders.map((h) => t.app.inject({ method: 'POST', url: refundUrl, headers: h, payload: raceBody })),
      );
      assert.deepEqual(raced.map((r) => r.statusCode).sort(), [200, 201], raced.map((r) => r.body).join('\n'));
      assert.equal((raced[0]?.json() as { id: string }).id, (raced[1]?.json() as { id: string }).id);
      const queryUrl = `/v1/merchant/orders/${order.id}`;
      const query = await t.app.inject({ method: 'GET', url: queryUrl, headers: signedHeaders('GET', queryUrl, '') });
      assert.equal(query.statusCode, 200, query.body);
      assert.equal((query.json() as { order: { state: string } }).order.state, 'paid');

      const transfer = instructionFor(alice, { kind: 'transfer', target: friend.customer.id, amount: '20.00' });
      const sent = await t.app.inject({
        method: 'POST',
        url: '/v1/payments/transfers',
        headers: { authorization: `Bearer ${alice.token}`, 'idempotency-key': 'transfer-0001' },
        payload: { instruction: transfer, signature: signInstruction('intl', alice, transfer) },
      });
      assert.equal(sent.statusCode, 201, sent.body);
      const unsigned = await t.app.inject({
        method: 'POST',
        url: '/v1/payments/transfers',
        headers: { authorization: `Bearer ${alice.token}`, 'idempotency-key': 'transfer-0002' },
        payload: {
          instruction: { ...transfer, amount: '200.00' },
          signature: signInstruction('intl', alice, transfer),
        },
      });
      assert.equal(unsigned.statusCode, 401);
      assert.equal((unsigned.json() as { code: string }).code, 'signature_invalid');

      const detail = await t.app.inject({
        method: 'GET',
        url: `/v1/payments/${payment.id}`,
        headers: { authorization: `Bearer ${alice.token}` },
      });
      assert.deepEqual(
        (detail.json() as { transitions: { to: string }[] }).transitions.map((x) => x.to),
        ['created', 'risk_checked', 'processing', 'succeeded'],
      );
      const receipt = await t.app.inject({
        method: 'GET',
        url: `/v1/payments/${payment.id}/receipt`,
        headers: { authorization: `Bearer ${alice.token}` },
      });
      assert.match(
        (receipt.json() as { proof: { deviceCertificate: string } }).proof.deviceCertificate,
        /BEGIN CERTIFICATE/,
      );
      const list = await t.app.inject({
        method: 'GET',
        url: '/v1/payments?limit=1',
        headers: { authorization: `Bearer ${alice.token}` },
      });
      assert.equal((list.json() as { items: unknown[]; nextCursor: string | null }).items.length, 1);
      assert.notEqual((list.json() as { nextCursor: string | null }).nextCursor, null);
      const asAlice = { authorization: `Bearer ${alice.token}` };
      const history = await t.app.inject({ method: 'GET', url: '/v1/payments?limit=50', headers: asAlice });
      const kinds = (history.json() as { items: { kind: string }[] }).items.map((e) => e.kind);
      assert.deepEqual(kinds.sort(), ['order_payment', 'refund', 'refund', 'transfer']);
      const notOurs = '/v1/payments?cursor=ord_00000000000000000000000000';
      const badCursor = await t.app.inject({ method: 'GET', url: notOurs, headers: asAlice });
      assert.equal(badCursor.statusCode, 400);

      assert.equal(
        (await walletOf(t.ledger, alice.customer.id, 'CNY')).creditsPosted -
          (await walletOf(t.ledger, alice.customer.id, 'CNY')).debitsPosted,
        50_000n - 10_000n + 3_000n + 1_000n - 2_000n,
      );
      assert.ok((await t.ledger.verify()).ok);
      const actions = (await t.store.all('SELECT DISTINCT action FROM audit_entries')).map((r) => r.action as string);
      for (const action of ['merchant.onboard', 'payment.create', 'payment.settle', 'refund.request', 'refund.execute'])
        assert.ok(actions.includes(action), action);
      const events = (await t.store.all('SELECT topic FROM events ORDER BY created_at')).map((r) => r.topic);
      assert.deepEqual(events, ['order.paid', 'refund.succeeded', 'refund.succeeded']);
    } finally {
      await t.close();
    }
  });
}
