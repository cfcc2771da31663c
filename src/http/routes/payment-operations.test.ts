// GET /v1/operations/withdrawals/outcome-unknown on both stores: an operator with ledger.read sees the
// withdrawals listed "outcome unknown" (and only those); a customer token or no token is refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { declareOutcomeUnknown, type FundingPayment } from '../../payments/index.ts';
import { seedTestCard, seedTestFunding } from '../../payments/testing.ts';
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
