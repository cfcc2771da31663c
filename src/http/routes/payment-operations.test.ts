// GET /v1/operations/withdrawals/outcome-unknown on both stores: an operator with ledger.read sees the
// withdrawals listed "outcome unknown" (and only those); a customer token or no token is refused. And
// GET /v1/operations/payments[/{id}]: a payment's timeline, whose audit part only audit readers get.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { declareOutcomeUnknown, type FundingPayment, type Payment } from '../../payments/index.ts';
import { seedTestCard, seedTestFunding, seedTestPayment } from '../../payments/testing.ts';
import { testStoreKinds } from '../../store/testing.ts';
import { createTestApp } from '../../wiring/test-app.ts';
import { enrolledTestOperator, testOperatorToken } from '../../wiring/test-operators.ts';

for (const kind of testStoreKinds()) {
  test(`${kind}: operations list the withdrawals whose bank outcome is unknown`, async () => {
    const t = await createTestApp(kind);
    try {
      const now = Date.now();
      const access = t.app.context.access;
      const deps = { store: t.store, totpSecrets: access.totpSecrets, policy: access.enrolmentPolicy };
      const operator = await enrolledTestOperator(deps, 'operations', now);
      const token = await testOperatorToken(t.store, operator.id, 1, now);
      const card = {
        id: 'card_01',
        customerId: 'cus_01',
        cardToken: 'tok',
        maskedPan: '622202******0018',
        bank: 'SIMBANK',
      };
      await seedTestCard(t.store, { ...card, status: 'active', verifiedAt: now, createdAt: now });
      const exchange = {
        stan: '000001',
        transmitted: '1202120000',
        localTime: '200000',
        authorisationCode: null,
        retrievalReference: null,
        responseCode: null,
      };
      const row = (id: string): FundingPayment => ({
        id,
        kind: 'withdrawal',
        state: 'processing',
        customerId: 'cus_01',
        cardId: 'card_01',
        amount: 12_345n,
        currency: 'CNY',
        idempotencyKey: id,
        requestHash: 'h',
        failureCode: null,
        bank: 'SIMBANK',
        exchange,
        reversalOwed: false,
        holdSeq: null,
        statusAttempts: 0,
        nextStatusAt: null,
        outcomeUnknownAt: null,
        sentAt: now,
        createdAt: now,
        updatedAt: now,
      });
      await t.store.transaction(async (tx) => {
        await seedTestFunding(tx, row('fnd_0000000000unknown0000001'));
        await seedTestFunding(tx, row('fnd_0000000000stillpolling01'));
      });
      const url = '/v1/operations/withdrawals/outcome-unknown';
      const list = async () => t.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });
      assert.deepEqual((await list()).json(), { items: [] });
      const unknown = row('fnd_0000000000unknown0000001');
      const declared = await t.store.transaction((tx) => declareOutcomeUnknown(tx, unknown, 'test', now + 1));
      assert.equal(declared, true);
      const listed = (await list()).json() as { items: Array<{ id: string; amount: string; state: string }> };
      assert.deepEqual(
        listed.items.map((i) => [i.id, i.amount, i.state]),
        [['fnd_0000000000unknown0000001', '123.45', 'processing']],
      );
      assert.equal((await t.app.inject({ method: 'GET', url })).statusCode, 401);
      const limited = await t.app.inject({
        method: 'GET',
        url: `${url}?limit=0`,
        headers: { authorization: `Bearer ${token}` },
      });
      assert.equal(limited.statusCode, 400);
    } finally {
      await t.close();
    }
  });
}

for (const kind of testStoreKinds()) {
  test(`${kind}: a payment's timeline: transitions, journal entries, audit entries for audit readers`, async () => {
    const t = await createTestApp(kind);
    try {
      const now = Date.now();
      const id = 'pay_000000000000timeline000001';
      const payment: Payment = {
        id, kind: 'transfer', state: 'created', payerId: 'cus_a', payeeId: 'cus_b', merchantId: null, orderId: null,
        amount: 1234n, currency: 'CNY', fee: 0n, refundedAmount: 0n, idempotencyKey: 'k1', requestHash: 'h',
        failureCode: null, riskReasons: [], limitDay: 0n, limitYear: 0n, createdAt: now, updatedAt: now,
      };
      await t.store.transaction((tx) => seedTestPayment(tx, payment, { type: 'customer', id: 'cus_a' }, now));
      const ledger = t.app.context.ledger;
      const a = await ledger.openAccount({ kind: 'bank_settlement', currency: 'CNY', name: 'a' });
      const b = await ledger.openAccount({ kind: 'suspense', currency: 'CNY', name: 'b' });
      const leg = { kind: 'single' as const, debitAccountId: a.id, creditAccountId: b.id, currency: 'CNY' };
      assert.ok((await ledger.submit({ ...leg, key: 'timeline-1', amount: 1234n, reference: id })).ok);
      assert.ok((await ledger.submit({ ...leg, key: 'other-1', amount: 5n, reference: 'pay_other' })).ok);
      const read = async (token: string, url = `/v1/operations/payments/${id}`) =>
        t.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });
      type Timeline = {
        payment: { id: string; amount: string; transitions: { to: string }[] };
        ledger: { amount: string; reference: string }[];
        audit: { action: string; target: string }[] | null;
      };
      const answered = await read(t.token);
      assert.equal(answered.statusCode, 200, answered.body);
      const admin = answered.json() as Timeline;
      assert.deepEqual([admin.payment.amount, admin.payment.transitions.map((s) => s.to)], ['12.34', ['created']]);
      assert.deepEqual(admin.ledger.map((l) => [l.amount, l.reference]), [['12.34', id]], 'only its own entries');
      assert.deepEqual(admin.audit?.map((e) => [e.action, e.target]), [['payment.create', id]]);
      // A role without audit.read sees the payment and its journal, never its audit entries.
      const operations = (await read(await t.tokenFor('operations'))).json() as Timeline;
      assert.equal(operations.audit, null);
      assert.equal(operations.ledger.length, 1);
      const list = (await read(t.token, '/v1/operations/payments?state=created')).json() as { items: { id: string }[] };
      assert.deepEqual(list.items.map((p) => p.id), [id]);
      const missing = await read(t.token, '/v1/operations/payments/pay_00000000000nosuchpayment01');
      assert.deepEqual([missing.statusCode, (missing.json() as { code: string }).code], [404, 'payment_not_found']);
      assert.equal((await read(await t.tokenFor('auditor'), '/v1/operations/payments')).statusCode, 200);
      assert.equal((await t.app.inject({ method: 'GET', url: `/v1/operations/payments/${id}` })).statusCode, 401);
    } finally {
      await t.close();
    }
  });
}
