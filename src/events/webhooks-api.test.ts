// The operators' webhook API through the real app: register an endpoint (secret shown once, never
// listed), see a failing delivery's attempts, list the dead letter, re-deliver it; refusals by code.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestApp, type TestApp } from '../wiring/test-app.ts';
import { testStoreKinds } from '../store/testing.ts';
import { enqueueOutbox, listNotifications, notify, webhookSecretSealer } from './index.ts';
import { drain, startReceiver, testDispatcher, type Receiver } from './testing.ts';

for (const kind of testStoreKinds()) {
  describe(`webhooks API on ${kind}`, () => {
    let t: TestApp;
    let receiver: Receiver;
    before(async () => {
      t = await createTestApp(kind);
      receiver = await startReceiver();
    });
    after(async () => {
      await receiver.close();
      await t.close();
    });
    const call = (method: 'GET' | 'POST', url: string, payload?: unknown, token = t.token) =>
      t.app.inject({ method, url, headers: { authorization: `Bearer ${token}`, ...(payload === undefined ? {} : { 'content-type': 'application/json' }) }, ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }) });

    test('endpoint → failing deliveries → dead letter → re-delivery, all over the API', async () => {
      const created = await call('POST', '/v1/webhook-endpoints', { merchantId: 'mch_api', url: `${receiver.baseUrl}/api`, topics: ['order.paid'] });
      assert.equal(created.statusCode, 201, created.body);
      const endpoint = created.json() as { id: string; secret: string };
      assert.match(endpoint.secret, /^whsec_[A-Za-z0-9_-]{43}$/);
      receiver.route('/api', 'fail', endpoint.secret);
      const listed = await call('GET', '/v1/webhook-endpoints?merchantId=mch_api');
      assert.equal(listed.statusCode, 200);
      assert.ok(!listed.body.includes(endpoint.secret) && !listed.body.includes('secret'), 'the secret is never listed');

      const { eventId } = await t.store.transaction((tx) => enqueueOutbox(tx, { topic: 'order.paid', destination: { kind: 'merchant', merchantId: 'mch_api' }, payload: { orderId: 'ord_api' }, subject: 'ord_api' }, Date.now()));
      const dispatcher = testDispatcher(t.store, { sealer: webhookSecretSealer(t.keyring), retry: { baseMs: 10, maxMs: 10, attemptsMax: 2 } });
      await drain(dispatcher);
      await new Promise((resolve) => setTimeout(resolve, 20));
      await drain(dispatcher);

      const deliveries = await call('GET', `/v1/webhooks/deliveries?eventId=${eventId}`);
      assert.equal(deliveries.statusCode, 200, deliveries.body);
      const [delivery] = (deliveries.json() as { items: { id: string; state: string; history: { statusCode: number; errorClass: string; durationMs: number }[] }[] }).items;
      assert.equal(delivery?.state, 'dead');
      assert.deepEqual(delivery?.history.map((a) => [a.statusCode, a.errorClass]), [[500, 'http_status'], [500, 'http_status']]);

      const dead = await call('GET', '/v1/webhooks/dead-letters?limit=10');
      assert.equal(dead.statusCode, 200, dead.body);
      assert.ok((dead.json() as { items: { id: string }[] }).items.some((d) => d.id === delivery.id));

      receiver.route('/api', 'ok', endpoint.secret);
      const redelivered = await call('POST', `/v1/webhooks/dead-letters/${delivery.id}/redeliver`);
      assert.equal(redelivered.statusCode, 200, redelivered.body);
      assert.equal((await call('POST', `/v1/webhooks/dead-letters/${delivery.id}/redeliver`)).json().code, 'webhook_delivery_not_dead');
      await drain(dispatcher);
      const ok = receiver.received.filter((r) => r.path === '/api' && r.verification.ok);
      assert.equal(ok.length, 3);
      const audited = await t.store.get("SELECT actor_type, actor_id FROM audit_entries WHERE action = 'webhook.delivery.redeliver' AND target = ?", [delivery.id]);
      assert.equal(audited?.actor_type, 'operator');
    });

    test('refusals: bad URL, unknown ids, malformed ids, roles without the permission', async () => {
      const refused = await call('POST', '/v1/webhook-endpoints', { merchantId: 'mch_x', url: 'ftp://127.0.0.1/x', topics: ['order.paid'] });
      assert.equal(refused.json().code, 'webhook_url_refused');
      const badTopic = await call('POST', '/v1/webhook-endpoints', { merchantId: 'mch_x', url: 'http://127.0.0.1/x', topics: ['Order Paid'] });
      assert.equal(badTopic.statusCode, 400);
      assert.equal((await call('POST', '/v1/webhooks/dead-letters/dlv_0000000000aaaaaaaaaaaaaaaa/redeliver')).json().code, 'webhook_delivery_not_found');
      assert.equal((await call('POST', '/v1/webhooks/dead-letters/nope/redeliver')).statusCode, 400);
      assert.equal((await call('POST', '/v1/webhook-endpoints/whe_0000000000aaaaaaaaaaaaaaaa/disable')).json().code, 'webhook_endpoint_not_found');
      assert.equal((await call('GET', '/v1/webhooks/dead-letters?cursor=zzz')).json().code, 'invalid_cursor');
      const analyst = await t.tokenFor('risk_analyst');
      assert.equal((await call('GET', '/v1/webhooks/dead-letters', undefined, analyst)).statusCode, 403);
      const support = await t.tokenFor('customer_service');
      assert.equal((await call('GET', '/v1/webhooks/dead-letters', undefined, support)).statusCode, 200);
      assert.equal((await call('POST', '/v1/webhooks/dead-letters/dlv_0000000000aaaaaaaaaaaaaaaa/redeliver', undefined, support)).statusCode, 403);
    });

    test('customer notifications are written in the caller\'s transaction and listed newest first', async () => {
      const customerId = 'cus_0000000000notifications00';
      const bytes = Buffer.from('x');
      await t.store.run(
        "INSERT INTO customers (id, phone_sealed, phone_index, name_sealed, id_number_sealed, id_number_index, account_class, password_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 'I', 'x', 0, 0)",
        [customerId, bytes, Buffer.from(customerId), bytes, bytes, bytes],
      );
      await t.store.transaction(async (tx) => {
        await notify(tx, { customerId, kind: 'payment.received', message: 'You received 12.34 CNY', data: { paymentId: 'pay_1' } }, 1000);
        await notify(tx, { customerId, kind: 'refund.issued', message: 'Refund of 2.00 CNY' }, 2000);
      });
      await assert.rejects(t.store.transaction(async (tx) => {
        await notify(tx, { customerId, kind: 'payment.received', message: 'never shown' }, 3000);
        throw new Error('rolled back');
      }));
      const first = await listNotifications(t.store, customerId, { limit: 1 });
      assert.deepEqual(first.items.map((n) => [n.kind, n.message]), [['refund.issued', 'Refund of 2.00 CNY']]);
      assert.ok(first.nextCursor !== null);
      const second = await listNotifications(t.store, customerId, { limit: 5, cursor: first.nextCursor });
      assert.deepEqual(second.items.map((n) => [n.kind, n.message, n.data]), [['payment.received', 'You received 12.34 CNY', { paymentId: 'pay_1' }]]);
      assert.equal(second.nextCursor, null);
    });
  });
}
