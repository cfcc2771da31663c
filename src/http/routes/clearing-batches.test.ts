// GET /v1/clearing/batches on both stores: newest first, keyset pages that neither skip nor repeat, the
// partner and state filters, a bad cursor or state refused as problem+json, a role without clearing.read
// refused and audited; and one batch's detail with the instructions it carries.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createPartner, markSent } from '../../clearing/index.ts';
import { fundedWithdrawals } from '../../clearing/testing/context.ts';
import { testStoreKinds } from '../../store/testing.ts';
import { bearer, createAccessTestApp, type AccessTestApp } from '../../wiring/access-test-app.ts';

const partnerInput = (name: string, bic: string) => ({
  name, role: 'settlement_bank' as const, currency: 'CNY', bic, accountNumber: '6222000012345678',
  netDebitCap: 10_000_000n,
});

for (const kind of testStoreKinds()) {
  describe(`clearing batches list (${kind})`, () => {
    let t: AccessTestApp;
    let token = '';
    let serviceToken = '';
    const batchIds: string[] = [];
    let otherBatch = '';
    const get = (url: string, as = token) => t.app.inject({ method: 'GET', url, headers: bearer(as) });

    before(async () => {
      t = await createAccessTestApp(kind);
      token = await t.login(await t.operator('auditor'));
      serviceToken = await t.login(await t.operator('customer_service'));
      const ctx = t.app.context.clearing;
      const now = t.now();
      const a = await createPartner(t.store, t.ledger, partnerInput('Bank A', 'BANKACNB'), 'test', now);
      const b = await createPartner(t.store, t.ledger, partnerInput('Bank B', 'BANKBCNB'), 'test', now);
      const advance = () => t.advance(1_000);
      const fromA = await fundedWithdrawals(ctx, t.ledger, a.id, 'cus_a', 'la', advance);
      const fromB = await fundedWithdrawals(ctx, t.ledger, b.id, 'cus_b', 'lb', advance);
      for (let n = 1; n <= 3; n++) {
        await fromA.out(BigInt(100 * n), n);
        const run = await t.app.inject({ method: 'POST', url: '/v1/clearing/runs', headers: bearer(
          await t.login(await t.operator('operations'))), payload: { partnerId: a.id } });
        assert.equal(run.statusCode, 201, run.body);
        batchIds.push(run.json().batch.id as string);
        advance();
      }
      await fromB.out(50n, 1);
      const other = await t.app.inject({ method: 'POST', url: '/v1/clearing/runs', headers: bearer(
        await t.login(await t.operator('operations'))), payload: { partnerId: b.id } });
      otherBatch = other.json().batch.id as string;
      await markSent(ctx, batchIds[0] as string);
    });
    after(async () => t.close());

    test('newest first, in pages that neither skip nor repeat', async () => {
      const all = await get('/v1/clearing/batches');
      assert.equal(all.statusCode, 200, all.body);
      assert.deepEqual(all.json().items.map((b: { id: string }) => b.id), [otherBatch, ...[...batchIds].reverse()]);
      assert.equal(all.json().nextCursor, null);
      const first = (await get('/v1/clearing/batches?limit=2')).json();
      assert.deepEqual(first.items.map((b: { id: string }) => b.id), [otherBatch, batchIds[2]]);
      assert.equal(first.nextCursor, batchIds[2]);
      const second = (await get(`/v1/clearing/batches?limit=2&cursor=${first.nextCursor as string}`)).json();
      assert.deepEqual(second.items.map((b: { id: string }) => b.id), [batchIds[1], batchIds[0]]);
      assert.equal(second.nextCursor, null);
    });

    test('by partner and by state', async () => {
      const partnerId = (await get(`/v1/clearing/batches/${otherBatch}`)).json().partnerId as string;
      const ofB = (await get(`/v1/clearing/batches?partnerId=${partnerId}`)).json().items;
      assert.deepEqual(ofB.map((b: { id: string }) => b.id), [otherBatch]);
      const sent = (await get('/v1/clearing/batches?state=sent')).json().items;
      assert.deepEqual(sent.map((b: { id: string; state: string }) => [b.id, b.state]), [[batchIds[0], 'sent']]);
    });

    test('a batch shows its net position, hash and the instructions it carries', async () => {
      const detail = await get(`/v1/clearing/batches/${batchIds[2] as string}`);
      assert.equal(detail.statusCode, 200, detail.body);
      const body = detail.json();
      assert.equal(body.count, 1);
      assert.equal(body.netDebit, '300');
      assert.match(body.fileSha256, /^[0-9a-f]{64}$/);
      assert.equal(body.signature, undefined, 'the signature stays out of the view');
      assert.deepEqual(body.instructions.map((i: { amount: string; state: string }) => [i.amount, i.state]),
        [['300', 'batched']]);
    });

    test('a bad cursor, state or limit is a 400 problem', async () => {
      for (const query of ['cursor=cbt_nope', 'state=open', 'limit=0', 'limit=201', 'partnerId=x', 'extra=1']) {
        const refused = await get(`/v1/clearing/batches?${query}`);
        assert.equal(refused.statusCode, 400, query);
        assert.match(String(refused.headers['content-type']), /application\/problem\+json/);
        assert.equal(refused.json().code, 'validation_failed', query);
      }
    });

    test('a role without clearing.read is refused and audited', async () => {
      const refused = await get('/v1/clearing/batches', serviceToken);
      assert.equal(refused.statusCode, 403);
      assert.equal(refused.json().code, 'forbidden');
      const denied = (await t.auditRows('operator.authorize')).filter((r) => r.details.permission === 'clearing.read');
      assert.equal(denied.at(-1)?.outcome, 'denied');
      assert.equal(denied.at(-1)?.details.role, 'customer_service');
    });
  });
}
