// The outbox and webhook delivery on each store, against a real HTTP receiver on 127.0.0.1 that
// verifies every signature: commit-or-nothing, retries with growing delays, dead letters and their
// re-delivery, timeouts that do not block other endpoints, and several dispatchers sharing the work.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDatabase, testStoreKinds, type TestDatabase } from '../store/testing.ts';
import type { Store } from '../store/index.ts';
import {
  createWebhookEndpoint, disableWebhookEndpoint, enqueueOutbox, listDeadLetters, listDeliveries, redeliverDeadLetter, systemAuditActor, webhookSecretSealer,
  type WebhookSecretSealer,
} from './index.ts';
import { testKeyring } from '../crypto/testing.ts';
import { claimDueMessages } from './store.ts';
import { drain, manualClock, startReceiver, testDispatcher, type Receiver } from './testing.ts';

const loopback = { httpsRequired: false, privateAddressesAllowed: true };
let merchantSeq = 0;

async function endpointFor(store: Store, sealer: WebhookSecretSealer, receiver: Receiver, path: string, topics: string[] = ['*'], now = Date.now()) {
  const merchantId = `mch_${++merchantSeq}`;
  const { endpoint, secret } = await createWebhookEndpoint({ store, sealer, targets: loopback }, systemAuditActor, { merchantId, url: `${receiver.baseUrl}${path}`, topics }, now);
  receiver.route(path, 'ok', secret);
  return { endpoint, secret, merchantId };
}

async function enqueue(store: Store, merchantId: string, subject: string, now = Date.now()) {
  return store.transaction((tx) => enqueueOutbox(tx, { topic: 'order.paid', destination: { kind: 'merchant', merchantId }, payload: { orderId: subject, amount: '12.34', currency: 'CNY' }, subject }, now));
}

for (const kind of testStoreKinds()) {
  describe(`outbox and webhooks on ${kind}`, () => {
    let database: TestDatabase;
    let store: Store;
    let receiver: Receiver;
    let sealer: WebhookSecretSealer;
    before(async () => {
      database = await createTestDatabase(kind);
      store = database.open();
      sealer = webhookSecretSealer(await testKeyring(store));
      receiver = await startReceiver();
    });
    after(async () => {
      await receiver.close();
      await store.close();
      await database.drop();
    });

    test('a committed event reaches the endpoint once, signed, with the documented body and headers', async () => {
      const { merchantId, endpoint } = await endpointFor(store, sealer, receiver, '/signed');
      const { eventId } = await enqueue(store, merchantId, 'ord_signed');
      assert.equal(await drain(testDispatcher(store, { sealer })), 1);
      const got = receiver.received.filter((r) => r.path === '/signed');
      assert.equal(got.length, 1);
      const delivery = got[0]!;
      assert.deepEqual(delivery.verification.ok, true);
      assert.equal(delivery.eventId, eventId);
      assert.equal(delivery.attempt, 1);
      assert.equal(delivery.headers['anfu-event-topic'], 'order.paid');
      assert.equal(delivery.headers['content-type'], 'application/json');
      const body = JSON.parse(delivery.body) as { id: string; topic: string; createdAt: string; data: unknown };
      assert.deepEqual(body.data, { orderId: 'ord_signed', amount: '12.34', currency: 'CNY' });
      assert.equal(body.id, eventId);
      const [history] = await listDeliveries(store, { subject: 'ord_signed', merchantId });
      assert.equal(history?.state, 'delivered');
      assert.equal(history?.endpointId, endpoint.id);
      assert.equal(history?.history.length, 1);
      assert.equal(history?.history[0]?.statusCode, 204);
      assert.equal(history?.history[0]?.errorClass, null);
    });

    test('an event enqueued in a transaction that rolls back is never written nor delivered', async () => {
      const { merchantId } = await endpointFor(store, sealer, receiver, '/rolled-back');
      await assert.rejects(store.transaction(async (tx) => {
        await enqueueOutbox(tx, { topic: 'order.paid', destination: { kind: 'merchant', merchantId }, payload: { orderId: 'ord_rb' }, subject: 'ord_rb' }, Date.now());
        throw new Error('the payment failed after the event was enqueued');
      }), /payment failed/);
      await drain(testDispatcher(store, { sealer }));
      assert.equal(receiver.received.filter((r) => r.path === '/rolled-back').length, 0);
      assert.equal((await store.all("SELECT id FROM events WHERE subject = 'ord_rb'")).length, 0);
    });

    test('the same key enqueues one event; only subscribed, enabled endpoints get messages', async () => {
      const clock = Date.now();
      const a = await endpointFor(store, sealer, receiver, '/topics-a', ['order.paid']);
      const b = await createWebhookEndpoint({ store, sealer, targets: loopback }, systemAuditActor, { merchantId: a.merchantId, url: `${receiver.baseUrl}/topics-b`, topics: ['refund.succeeded'] }, clock);
      const c = await createWebhookEndpoint({ store, sealer, targets: loopback }, systemAuditActor, { merchantId: a.merchantId, url: `${receiver.baseUrl}/topics-c`, topics: ['*'] }, clock);
      await disableWebhookEndpoint(store, systemAuditActor, c.endpoint.id, clock);
      const event = { topic: 'order.paid', destination: { kind: 'merchant', merchantId: a.merchantId }, payload: { n: 1 }, key: `order.paid:${a.merchantId}` } as const;
      const first = await store.transaction((tx) => enqueueOutbox(tx, event, clock));
      const second = await store.transaction((tx) => enqueueOutbox(tx, event, clock));
      assert.equal(first.messageIds.length, 1, 'only the endpoint subscribed to order.paid');
      assert.equal(second.replayed, true);
      assert.equal(second.eventId, first.eventId);
      assert.deepEqual(second.messageIds, []);
      assert.ok(b.endpoint.id);
      await drain(testDispatcher(store, { sealer }));
    });

    test('an endpoint answering 500 is retried with growing delays, dead-lettered, and re-delivered by an operator', async () => {
      // Starts at the real time: the receiver checks each signature's timestamp against its own clock.
      const clock = manualClock(Date.now());
      const { merchantId, secret } = await endpointFor(store, sealer, receiver, '/flaky', ['*'], clock.now);
      receiver.route('/flaky', 'fail', secret);
      await enqueue(store, merchantId, 'ord_flaky', clock.now);
      const dispatcher = testDispatcher(store, { sealer, clock: clock.read });
      const attemptTimes: number[] = [];
      for (let attempt = 1; attempt <= 4; attempt++) {
        attemptTimes.push(clock.now);
        assert.equal(await dispatcher.runOnce(), 1, `attempt ${attempt} is due`);
        assert.equal(await dispatcher.runOnce(), 0, 'nothing is due before the back-off has passed');
        const [delivery] = await listDeliveries(store, { subject: 'ord_flaky' });
        if (attempt < 4) clock.now = delivery!.nextAttemptAt!;
        else assert.equal(delivery?.state, 'dead');
      }
      const delays = attemptTimes.slice(1).map((t, i) => t - attemptTimes[i]!);
      assert.deepEqual(delays, [750, 1500, 3000], 'base 1 s doubling, half fixed and half jitter (fixed at 0.5 here)');
      const got = receiver.received.filter((r) => r.path === '/flaky');
      assert.deepEqual(got.map((r) => r.attempt), [1, 2, 3, 4]);
      assert.ok(got.every((r) => r.verification.ok && r.eventId === got[0]?.eventId), 'every retry carries the same event id');

      const dead = await listDeadLetters(store, { limit: 200 });
      const letter = dead.items.find((d) => d.merchantId === merchantId);
      assert.ok(letter !== undefined);
      assert.equal(letter.attempts, 4);
      assert.equal(letter.lastStatus, 500);
      assert.equal(letter.lastError, 'http_status');

      receiver.route('/flaky', 'ok', secret);
      await redeliverDeadLetter(store, { actorType: 'operator', actorId: 'op_test', ip: '127.0.0.1', device: 'test' }, letter.deliveryId, clock.now);
      assert.equal(await drain(dispatcher), 1);
      const [after] = await listDeliveries(store, { deliveryId: letter.deliveryId });
      assert.equal(after?.state, 'delivered');
      assert.deepEqual(after?.history.map((a) => [a.attempt, a.outcome, a.statusCode]), [[1, 'failed', 500], [2, 'failed', 500], [3, 'failed', 500], [4, 'failed', 500], [1, 'delivered', 204]]);
      const audited = await store.all("SELECT action, actor_id FROM audit_entries WHERE target = ? ORDER BY seq", [letter.deliveryId]);
      assert.deepEqual(audited.map((row) => row.action), ['webhook.delivery.dead_letter', 'webhook.delivery.redeliver']);
      assert.equal(audited[1]?.actor_id, 'op_test');
      assert.equal((await listDeadLetters(store, { limit: 200 })).items.some((d) => d.deliveryId === letter.deliveryId), false);
    });

    test('a hanging endpoint times out without holding up delivery to another endpoint', async () => {
      const hanging = await endpointFor(store, sealer, receiver, '/hang');
      receiver.route('/hang', 'hang', hanging.secret);
      const healthy = await endpointFor(store, sealer, receiver, '/healthy');
      for (let i = 0; i < 6; i++) await enqueue(store, hanging.merchantId, `ord_hang_${i}`);
      await enqueue(store, healthy.merchantId, 'ord_healthy');
      const timeoutMs = 1500;
      const dispatcher = testDispatcher(store, { sealer, timeoutMs, concurrencyMax: 4 });
      const started = Date.now();
      dispatcher.start();
      try {
        while (!receiver.received.some((r) => r.path === '/healthy')) await new Promise((resolve) => setTimeout(resolve, 10));
        const healthyAt = receiver.received.find((r) => r.path === '/healthy')!.at - started;
        assert.ok(healthyAt < timeoutMs, `the healthy endpoint was served after ${healthyAt} ms, before any hanging attempt timed out`);
        assert.ok(receiver.received.filter((r) => r.path === '/hang').length >= 1, 'a hanging attempt was in flight');
      } finally {
        await dispatcher.stop();
      }
      const timedOut = (await listDeliveries(store, { merchantId: hanging.merchantId })).flatMap((d) => d.history);
      assert.ok(timedOut.length >= 1 && timedOut.every((a) => a.outcome === 'failed' && a.errorClass === 'timeout'), JSON.stringify(timedOut));
      assert.ok(timedOut.every((a) => a.durationMs >= timeoutMs - 50 && a.durationMs < timeoutMs + 1000));
      // Leave nothing pending for the next tests: a disabled endpoint's messages are dead-lettered when due.
      await disableWebhookEndpoint(store, systemAuditActor, hanging.endpoint.id, Date.now());
      await store.run("UPDATE outbox_messages SET next_attempt_at = 0 WHERE endpoint_id = ? AND state = 'pending'", [hanging.endpoint.id]);
      await drain(testDispatcher(store, { sealer }));
    });

    test('two dispatchers on two connections deliver each event exactly once', async () => {
      const { merchantId } = await endpointFor(store, sealer, receiver, '/shared');
      const count = 40;
      for (let i = 0; i < count; i++) await enqueue(store, merchantId, `ord_shared_${i}`);
      const other = database.open();
      try {
        const pair = [testDispatcher(store, { sealer, concurrencyMax: 4, perEndpointConcurrencyMax: 4 }), testDispatcher(other, { sealer, concurrencyMax: 4, perEndpointConcurrencyMax: 4 })];
        await Promise.all(pair.map((d) => drain(d)));
        await Promise.all(pair.map((d) => drain(d)));
      } finally {
        await other.close();
      }
      const got = receiver.received.filter((r) => r.path === '/shared');
      const ids = got.map((r) => r.eventId);
      assert.equal(ids.length, count);
      assert.equal(new Set(ids).size, count, 'no event was delivered twice');
      assert.ok(got.every((r) => r.verification.ok));
    });

    test('concurrent claims from two connections never lease one message twice', async () => {
      const { merchantId, endpoint } = await endpointFor(store, sealer, receiver, '/claims');
      const clock = Date.now();
      for (let i = 0; i < 60; i++) await enqueue(store, merchantId, `ord_claim_${i}`, clock);
      const other = database.open();
      try {
        const claims = await Promise.all(Array.from({ length: 12 }, (_, i) =>
          claimDueMessages(i % 2 === 0 ? store : other, { token: `claimer-${i}`, now: clock, leaseMs: 60_000, limit: 7, busyEndpointIds: [] })));
        const ids = claims.flat().filter((m) => m.endpointId === endpoint.id).map((m) => m.id);
        assert.equal(new Set(ids).size, ids.length, 'a message appeared in two claims');
        assert.ok(ids.length > 0 && ids.length <= 60);
      } finally {
        await other.close();
      }
      await store.run('UPDATE outbox_messages SET lease_token = NULL, lease_until = NULL WHERE endpoint_id = ?', [endpoint.id]);
      await drain(testDispatcher(store, { sealer }));
    });

    test('a claim left by a crashed process is retried after its lease expires, with the same event id', async () => {
      const clock = manualClock(Date.now());
      const { merchantId } = await endpointFor(store, sealer, receiver, '/crash', ['*'], clock.now);
      const { eventId } = await enqueue(store, merchantId, 'ord_crash', clock.now);
      // The "crashed" process: claims and never records an outcome.
      const claimed = await claimDueMessages(store, { token: 'crashed-process', now: clock.now, leaseMs: 10_000, limit: 100, busyEndpointIds: [] });
      assert.ok(claimed.some((m) => m.eventId === eventId));
      const survivor = testDispatcher(store, { sealer, clock: clock.read, leaseMs: 10_000 });
      await drain(survivor);
      assert.equal(receiver.received.filter((r) => r.path === '/crash').length, 0, 'leased work is not taken while the lease holds');
      clock.now += 10_001;
      await drain(survivor);
      const got = receiver.received.filter((r) => r.path === '/crash');
      assert.deepEqual(got.map((r) => r.eventId), [eventId]);
    });

    test('a disabled endpoint dead-letters its queued messages at once, and cannot be re-delivered to', async () => {
      const clock = Date.now();
      const { merchantId, endpoint } = await endpointFor(store, sealer, receiver, '/disabled');
      await enqueue(store, merchantId, 'ord_disabled', clock);
      await disableWebhookEndpoint(store, systemAuditActor, endpoint.id, clock);
      await drain(testDispatcher(store, { sealer }));
      const [delivery] = await listDeliveries(store, { subject: 'ord_disabled' });
      assert.equal(delivery?.state, 'dead');
      assert.equal(delivery?.history[0]?.errorClass, 'endpoint_disabled');
      await assert.rejects(redeliverDeadLetter(store, systemAuditActor, delivery.deliveryId, clock), { code: 'webhook_endpoint_disabled' });
      await assert.rejects(redeliverDeadLetter(store, systemAuditActor, 'dlv_0000000000aaaaaaaaaaaaaaaa', clock), { code: 'webhook_delivery_not_found' });
    });

    test('handler destinations: success is delivered, a throwing or hanging handler is retried', async () => {
      const clock = manualClock(Date.now());
      const seen: string[] = [];
      let failuresLeft = 1;
      const dispatcher = testDispatcher(store, { sealer,
        clock: clock.read, timeoutMs: 200,
        handlers: {
          sms: async ({ payload }) => {
            if (failuresLeft-- > 0) throw new Error('gateway down');
            seen.push((payload as { text: string }).text);
          },
          stuck: () => new Promise(() => undefined),
        },
      });
      await store.transaction(async (tx) => {
        await enqueueOutbox(tx, { topic: 'customer.sms', destination: { kind: 'handler', handler: 'sms' }, payload: { text: 'hello' }, subject: 'sms_1' }, clock.now);
        await enqueueOutbox(tx, { topic: 'customer.sms', destination: { kind: 'handler', handler: 'stuck' }, payload: { text: 'never' }, subject: 'stuck_1' }, clock.now);
      });
      await drain(dispatcher);
      clock.now += 60_000;
      await drain(dispatcher);
      assert.deepEqual(seen, ['hello']);
      const [sms] = await listDeliveries(store, { subject: 'sms_1' });
      assert.deepEqual(sms?.history.map((a) => a.errorClass), ['handler_error', null]);
      const [stuck] = await listDeliveries(store, { subject: 'stuck_1' });
      assert.deepEqual(stuck?.history.map((a) => a.errorClass), ['timeout', 'timeout']);
    });
  });
}
