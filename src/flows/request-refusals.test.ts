// Attacks on signed requests through the public API, on both stores: every refused payment instruction
// (tampered, wrong key, another session's, replayed, stale, future, expired or revoked certificate)
// and every refused merchant request (bad HMAC, replay, stale timestamp) answers its problem code,
// is audited as denied with the refusal code only, raises its typed security event (read by a risk
// analyst through GET /v1/security/events, counted in /metrics), quieted per device in a storm; a
// limit breach is audited only; a valid payment raises nothing.
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestApp, type TestApp } from '../wiring/test-app.ts';
import { testStoreKinds } from '../store/testing.ts';
import { merchantRequestSignature, signingKeyOf, walletOf, type Instruction } from '../payments/index.ts';
import { createTestIdentity, instructionFor, signInstruction, type TestCustomer, type TestIdentity } from '../payments/testing.ts';

interface AuditRow {
  readonly actorType: string;
  readonly actorId: string | null;
  readonly device: string | null;
  readonly target: string | null;
  readonly outcome: string;
  readonly details: Record<string, unknown>;
}

interface EventItem {
  readonly type: string;
  readonly severity: string;
  readonly source: string | null;
  readonly subject: string | null;
  readonly details: Record<string, unknown>;
}

for (const kind of testStoreKinds()) {
  describe(`refused signed requests are audited and raise security events (${kind})`, () => {
    let t: TestApp;
    let identity: TestIdentity;
    let payee: TestCustomer;
    let analyst: string;
    let funded = 0;

    const auditRows = async (action: string): Promise<AuditRow[]> => {
      const rows = await t.store.all('SELECT actor_type, actor_id, device, target, outcome, details FROM audit_entries WHERE action = ? ORDER BY seq', [action]);
      return rows.map((r) => ({ actorType: String(r.actor_type), actorId: r.actor_id === null ? null : String(r.actor_id), device: r.device === null ? null : String(r.device), target: r.target === null ? null : String(r.target), outcome: String(r.outcome), details: JSON.parse(String(r.details)) as Record<string, unknown> }));
    };
    const events = async (subject: string | null): Promise<EventItem[]> => {
      const response = await t.app.inject({ url: '/v1/security/events?limit=200', headers: { authorization: `Bearer ${analyst}` } });
      assert.equal(response.statusCode, 200, response.body);
      return (response.json() as { items: EventItem[] }).items.filter((e) => e.subject === subject);
    };
    const metricCount = async (type: string, severity: string): Promise<number> => {
      const body = (await t.app.inject({ url: '/metrics' })).body;
      const prefix = `anfu_security_events_total{type="${type}",severity="${severity}"} `;
      const line = body.split('\n').find((l) => l.startsWith(prefix));
      return line === undefined ? 0 : Number(line.slice(prefix.length));
    };
    const customer = async (options: Parameters<TestIdentity['addCustomer']>[0] = {}) => {
      const who = await identity.addCustomer(options);
      const bank = await t.ledger.openAccount({ kind: 'bank_settlement', currency: 'CNY', name: `Bank ${funded}` });
      const wallet = await walletOf(t.ledger, who.customer.id, 'CNY');
      assert.ok((await t.ledger.submit({ kind: 'single', key: `fund-${funded++}`, debitAccountId: bank.id, creditAccountId: wallet.id, amount: 100_000n, currency: 'CNY' })).ok);
      return who;
    };
    const transfer = (who: TestCustomer, instruction: object, signature: string, key = randomBytes(8).toString('hex')) =>
      t.app.inject({ method: 'POST', url: '/v1/payments/transfers', headers: { authorization: `Bearer ${who.token}`, 'idempotency-key': `k-${key}` }, payload: { instruction, signature } });
    const toPayee = (who: TestCustomer, now?: number): Instruction => instructionFor(who, { kind: 'transfer', target: payee.customer.id, amount: '1.00' }, now);

    /** The refusal's answer, its audit entry (denied, the code only) and its one security event, read as an operator would. */
    async function assertRecorded(who: TestCustomer, response: { statusCode: number; json(): unknown }, code: string, event: { type: string; severity: string } | undefined) {
      assert.equal((response.json() as { code: string }).code, code);
      const entries = (await auditRows('payment.instruction_refused')).filter((e) => e.device === who.device.id);
      assert.deepEqual(entries.map((e) => [e.actorType, e.actorId, e.outcome, e.details]), [['customer', who.customer.id, 'denied', { code }]]);
      const raised = await events(who.device.id);
      if (event === undefined) return assert.deepEqual(raised, []);
      assert.deepEqual(raised.map((e) => [e.type, e.severity, e.source, e.details]), [[event.type, event.severity, '127.0.0.1', { channel: 'payment_instruction', code }]]);
    }

    before(async () => {
      identity = await createTestIdentity('intl');
      t = await createTestApp(kind, { ANFU_KEK: randomBytes(32).toString('base64'), ANFU_LIMIT_CLASS_I_LIFETIME_MINOR: '1000' }, { paymentIdentity: identity });
      payee = await identity.addCustomer();
      analyst = await t.tokenFor('risk_analyst');
    });
    after(async () => {
      await t.close();
    });

    test('a valid payment raises nothing and audits no refusal', async () => {
      const alice = await customer();
      const before = await t.store.get('SELECT COUNT(*) AS n FROM security_events');
      const instruction = toPayee(alice);
      const sent = await transfer(alice, instruction, signInstruction('intl', alice, instruction));
      assert.equal(sent.statusCode, 201, sent.body);
      assert.deepEqual(await t.store.get('SELECT COUNT(*) AS n FROM security_events'), before);
      assert.deepEqual([...(await auditRows('payment.instruction_refused')), ...(await auditRows('payment.limit_refused'))], []);
    });

    test('a body tampered after signing is a forged request', async () => {
      const who = await customer();
      const instruction = toPayee(who);
      const response = await transfer(who, { ...instruction, amount: '900.00' }, signInstruction('intl', who, instruction));
      assert.equal(response.statusCode, 401);
      await assertRecorded(who, response, 'signature_invalid', { type: 'forged_request', severity: 'high' });
    });

    test('an instruction signed with another key is a forged request', async () => {
      const who = await customer();
      const other = await identity.addCustomer();
      const instruction = toPayee(who);
      await assertRecorded(who, await transfer(who, instruction, signInstruction('intl', other, instruction)), 'signature_invalid', { type: 'forged_request', severity: 'high' });
    });

    test("another session's instruction is a forged request, recorded against the session that sent it", async () => {
      const victim = await customer();
      const mallory = await customer();
      const instruction = toPayee(victim);
      await assertRecorded(mallory, await transfer(mallory, instruction, signInstruction('intl', victim, instruction)), 'instruction_mismatch', { type: 'forged_request', severity: 'high' });
    });

    test('a revoked device is a forged request', async () => {
      const who = await customer();
      (who.device as { status: string }).status = 'revoked';
      const instruction = toPayee(who);
      await assertRecorded(who, await transfer(who, instruction, signInstruction('intl', who, instruction)), 'device_revoked', { type: 'forged_request', severity: 'high' });
    });

    test('a device certificate from another CA is a forged request', async () => {
      const who = await customer();
      const stranger = await (await createTestIdentity('intl')).addCustomer();
      (who.device as { certificatePem: string | null }).certificatePem = stranger.device.certificatePem;
      const instruction = toPayee(who);
      await assertRecorded(who, await transfer(who, instruction, signInstruction('intl', stranger, instruction)), 'device_certificate_invalid', { type: 'forged_request', severity: 'high' });
    });

    test('stale and future timestamps and an expired certificate are stale requests', async () => {
      const window = t.config.instructionWindowMs;
      for (const offset of [-window - 1000, window + 1000]) {
        const who = await customer();
        const instruction = toPayee(who, Date.now() + offset);
        await assertRecorded(who, await transfer(who, instruction, signInstruction('intl', who, instruction)), 'instruction_stale', { type: 'stale_request', severity: 'medium' });
      }
      const expired = await customer({ certificateValidMs: -1000 });
      const instruction = toPayee(expired);
      await assertRecorded(expired, await transfer(expired, instruction, signInstruction('intl', expired, instruction)), 'certificate_expired', { type: 'stale_request', severity: 'medium' });
    });

    test('a replayed nonce is a replayed request, on the group-committed transfer path', async () => {
      const who = await customer();
      const instruction = toPayee(who);
      const signature = signInstruction('intl', who, instruction);
      assert.equal((await transfer(who, instruction, signature)).statusCode, 201);
      const replayed = await transfer(who, instruction, signature);
      assert.equal(replayed.statusCode, 409);
      await assertRecorded(who, replayed, 'instruction_replayed', { type: 'replayed_request', severity: 'high' });
      const [entry] = (await auditRows('payment.instruction_refused')).filter((e) => e.device === who.device.id);
      assert.match(entry?.target ?? '', /^pay_/, 'the target is the refused payment id');
      assert.equal(await t.store.get('SELECT id FROM payments WHERE id = ?', [entry?.target ?? '']), undefined, 'the refused payment was never committed');
    });

    test('a storm of forgeries from one device raises one event and audits every attempt', async () => {
      const who = await customer();
      const instruction = toPayee(who);
      const forgedBefore = await metricCount('forged_request', 'high');
      for (let i = 0; i < 5; i++) assert.equal((await transfer(who, { ...instruction, amount: `${i + 2}.00` }, signInstruction('intl', who, instruction))).statusCode, 401);
      assert.equal((await auditRows('payment.instruction_refused')).filter((e) => e.device === who.device.id).length, 5);
      assert.equal((await events(who.device.id)).length, 1);
      assert.equal(await metricCount('forged_request', 'high'), forgedBefore + 1);
    });

    test('a limit breach is audited with the limit name and raises no event', async () => {
      const who = await customer({ accountClass: 'I' });
      const instruction = instructionFor(who, { kind: 'transfer', target: payee.customer.id, amount: '20.00' });
      const response = await transfer(who, instruction, signInstruction('intl', who, instruction));
      assert.equal((response.json() as { code: string }).code, 'limit_exceeded');
      const entries = (await auditRows('payment.limit_refused')).filter((e) => e.device === who.device.id);
      assert.deepEqual(entries.map((e) => [e.actorId, e.outcome, e.details]), [[who.customer.id, 'denied', { code: 'limit_exceeded', limit: 'class_lifetime' }]]);
      assert.deepEqual(await events(who.device.id), []);
    });

    test('merchant requests: bad HMAC, replay and stale timestamps raise events; a replayed order payment too', async () => {
      const onboarded = await t.app.inject({ method: 'POST', url: '/v1/merchants', headers: { authorization: `Bearer ${t.token}` }, payload: { name: 'Tea House', businessRegistration: '91310000MA1K00000X', contactEmail: 'ops@tea.example', settlementAccount: '6222020200112233445' } });
      assert.equal(onboarded.statusCode, 201, onboarded.body);
      const merchantId = (onboarded.json() as { id: string }).id;
      const [keyId = '', secret = ''] = (onboarded.json() as { apiKey: string }).apiKey.split('.');
      const url = '/v1/merchant/orders';
      const body = JSON.stringify({ merchantReference: 'R-1', amount: '5.00', currency: 'CNY', description: 'Tea', expiresInSeconds: 600 });
      const headersAt = (timestamp: number, signedBody = body) => ({ 'anfu-key-id': keyId, 'anfu-timestamp': String(timestamp), 'anfu-signature': merchantRequestSignature(signingKeyOf(secret), 'POST', url, String(timestamp), signedBody), 'content-type': 'application/json' });
      const post = (headers: Record<string, string>) => t.app.inject({ method: 'POST', url, headers, payload: body });
      const counts = { forged: await metricCount('forged_request', 'high'), replayed: await metricCount('replayed_request', 'high'), stale: await metricCount('stale_request', 'medium') };

      const good = headersAt(Date.now());
      const created = await post(good);
      assert.equal(created.statusCode, 201, created.body);
      for (const headers of [headersAt(Date.now(), `${body} `), good, headersAt(Date.now() - t.config.merchantRequestWindowMs - 1000), { 'content-type': 'application/json' }]) {
        const refused = await post(headers);
        assert.deepEqual([refused.statusCode, (refused.json() as { code: string }).code], [401, 'merchant_signature_invalid']);
      }
      const entries = await auditRows('merchant.request_refused');
      assert.deepEqual(entries.map((e) => [e.actorType, e.actorId, e.target, e.outcome, e.details.reason]), [
        ['merchant', null, url, 'denied', 'signature_invalid'],
        ['merchant', merchantId, url, 'denied', 'signature_replayed'],
        ['merchant', null, url, 'denied', 'timestamp_stale'],
        ['merchant', null, url, 'denied', 'headers_missing'],
      ]);
      assert.deepEqual((await events(keyId)).map((e) => [e.type, e.severity, e.details.reason]).sort(), [['forged_request', 'high', 'signature_invalid'], ['replayed_request', 'high', 'signature_replayed'], ['stale_request', 'medium', 'timestamp_stale']]);
      assert.deepEqual(await events(null).then((list) => list.filter((e) => e.details.channel === 'merchant_request')), [], 'a request without signature headers is audited only');
      assert.deepEqual({ forged: await metricCount('forged_request', 'high'), replayed: await metricCount('replayed_request', 'high'), stale: await metricCount('stale_request', 'medium') }, { forged: counts.forged + 1, replayed: counts.replayed + 1, stale: counts.stale + 1 });

      // The per-payment path (order payments): a second order signed with the first payment's nonce is
      // refused in the payment's own (rolled-back) transaction.
      const secondBody = JSON.stringify({ merchantReference: 'R-2', amount: '5.00', currency: 'CNY', description: 'Tea', expiresInSeconds: 600 });
      const second = await t.app.inject({ method: 'POST', url, headers: headersAt(Date.now(), secondBody), payload: secondBody });
      assert.equal(second.statusCode, 201, second.body);
      const who = await customer();
      const pay = (orderId: string, nonce?: string) => {
        const instruction = { ...instructionFor(who, { kind: 'order_payment', target: orderId, amount: '5.00' }), ...(nonce === undefined ? {} : { nonce }) };
        const response = t.app.inject({ method: 'POST', url: `/v1/orders/${orderId}/payments`, headers: { authorization: `Bearer ${who.token}`, 'idempotency-key': `order-${orderId}` }, payload: { instruction, signature: signInstruction('intl', who, instruction) } });
        return { instruction, response };
      };
      const first = pay((created.json() as { id: string }).id);
      assert.equal((await first.response).statusCode, 201);
      await assertRecorded(who, await pay((second.json() as { id: string }).id, first.instruction.nonce).response, 'instruction_replayed', { type: 'replayed_request', severity: 'high' });
    });
  });
}
