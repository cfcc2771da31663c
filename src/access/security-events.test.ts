// Security events and alerts: other capabilities raise events in their own transaction (replayed
// or forged signed requests), the audit verifier reports failures, a storm of API errors trips the
// sliding window once, and every event is POSTed to the webhook (a loopback server here) after commit.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { testStoreKinds } from '../store/testing.ts';
import { ErrorRateMonitor } from './error-rate.ts';
import { raiseSecurityEvent, reportAuditVerificationFailure } from './index.ts';
import { bearer, createAccessTestApp, type AccessTestApp } from '../wiring/access-test-app.ts';

test('the error-rate window trips at N errors, not N−1, and once per window', () => {
  const monitor = new ErrorRateMonitor({ windowMs: 10_000, errorsMax: 3 });
  assert.equal(monitor.record(500, 0), undefined);
  assert.equal(monitor.record(200, 100), undefined);
  assert.equal(monitor.record(401, 200), undefined);
  assert.equal(monitor.record(404, 300), 3);
  assert.equal(monitor.record(500, 400), undefined, 'quiet for a window');
  assert.equal(monitor.record(500, 20_000), undefined, 'old errors slid out');
});

for (const kind of testStoreKinds()) {
  describe(`security events and alerts (${kind})`, () => {
    let t: AccessTestApp;
    let server: Server;
    const received: Record<string, unknown>[] = [];
    let notify: () => void = () => undefined;
    before(async () => {
      server = createServer((request, response) => {
        let body = '';
        request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
        request.on('end', () => {
          received.push(JSON.parse(body) as Record<string, unknown>);
          response.writeHead(204).end();
          notify();
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const port = (server.address() as AddressInfo).port;
      t = await createAccessTestApp(kind, { ANFU_SECURITY_WEBHOOK_URL: `http://127.0.0.1:${port}/alerts`, ANFU_API_ERRORS_MAX: '20' });
    });
    after(async () => {
      await t.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });

    test('a replayed signed request raised by another capability is stored, audited, listed and delivered', async () => {
      const id = await t.store.transaction((tx) => raiseSecurityEvent(tx, { type: 'replayed_request', source: 'dev_123', subject: 'nonce:abc', details: { instruction: 'ins_1' } }, t.now()));
      assert.ok(id !== undefined);
      const quiet = await t.store.transaction((tx) => raiseSecurityEvent(tx, { type: 'replayed_request', source: 'dev_123', subject: 'nonce:abc', quietMs: 60_000 }, t.now()));
      assert.equal(quiet, undefined, 'quieted within its window');
      assert.equal((await t.auditRows('security_event.raise')).filter((r) => r.target === id).length, 1);
      const delivered = new Promise<void>((resolve) => (notify = resolve));
      t.app.context.access.alerts.kick();
      await delivered;
      assert.deepEqual(Object.keys(received.at(-1) ?? {}).sort(), ['createdAt', 'id', 'severity', 'source', 'subject', 'type']);
      assert.equal(received.at(-1)?.id, id);
      await t.app.context.access.alerts.deliverPending();
      const row = await t.store.get('SELECT delivered_at FROM security_events WHERE id = ?', [id]);
      assert.notEqual(row?.delivered_at, null);
      const count = received.length;
      await t.app.context.access.alerts.deliverPending();
      assert.equal(received.length, count, 'delivered once');
    });

    test('an audit-verification failure is a critical event', async () => {
      const id = await reportAuditVerificationFailure(t.store, { reason: 'chain hash mismatch', entry: 42n }, t.now());
      const events = await t.app.inject({ url: '/v1/security/events?severity=critical', headers: bearer(await t.apiToken('auditor')) });
      const items = events.json().items as { id: string; type: string; details: Record<string, unknown> }[];
      assert.deepEqual(items.map((e) => [e.id, e.type, e.details.entry]), [[id, 'audit_verification_failed', '42']]);
    });

    test('a storm of API errors raises one abnormal-error-rate event', async () => {
      for (let i = 0; i < 25; i++) await t.app.inject({ url: '/v1/operators/me', headers: bearer('anfu_op_nonsense') });
      const rows = await t.store.all("SELECT details FROM security_events WHERE type = 'api_error_rate'");
      assert.equal(rows.length, 1);
      assert.equal(JSON.parse(String(rows[0]?.details)).errors, 20);
      const metrics = (await t.app.inject({ url: '/metrics' })).body;
      assert.match(metrics, /anfu_security_events_total\{type="api_error_rate",severity="medium"\} 1/);
      assert.match(metrics, /anfu_security_events_total\{type="replayed_request",severity="high"\} 1/);
    });

    test('customer service cannot read security events; malformed queries are refused and audited', async () => {
      assert.equal((await t.app.inject({ url: '/v1/security/events', headers: bearer(await t.apiToken('customer_service')) })).json().code, 'forbidden');
      const bad = await t.app.inject({ url: '/v1/security/events?type=everything', headers: bearer(await t.apiToken('risk_analyst')) });
      assert.equal(bad.statusCode, 400);
      assert.equal(bad.json().code, 'validation_failed');
      assert.equal((await t.auditRows('operator.request')).at(-1)?.target, 'GET /v1/security/events');
    });
  });
}
