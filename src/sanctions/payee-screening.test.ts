// A merchant onboarded before a list named it is screened again when a customer pays its order: the
// payment is refused with `sanctions_hit`, no money moves, one `sanctions_hit` case is opened for the
// merchant and the merchant is frozen: the next payment is refused with `merchant_frozen` (both stores).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { getCase } from '../cases/index.ts';
import { balanceOf } from '../ledger/index.ts';
import { merchantRequestSignature, signingKeyOf, walletOf } from '../payments/index.ts';
import { createTestIdentity, instructionFor, signInstruction } from '../payments/testing.ts';
import { testStoreKinds } from '../store/testing.ts';
import { createTestApp } from '../wiring/test-app.ts';
import { loadLists } from './load-lists.ts';
import { realOfacFiles, realUnFile, requireSharedLists } from './testing.ts';

for (const kind of testStoreKinds()) {
  test(`${kind}: paying a merchant that a new list names is refused, no money moves, a case is opened`, async () => {
    requireSharedLists();
    const identity = await createTestIdentity('intl');
    const t = await createTestApp(
      kind,
      { ANFU_KEK: randomBytes(32).toString('base64') },
      { paymentIdentity: identity },
    );
    try {
      const alice = await identity.addCustomer();
      const bank = await t.ledger.openAccount({ kind: 'bank_settlement', currency: 'CNY', name: 'Bank' });
      const wallet = await walletOf(t.ledger, alice.customer.id, 'CNY');
      const funding = {
        kind: 'single' as const,
        key: 'fund-alice',
        debitAccountId: bank.id,
        creditAccountId: wallet.id,
      };
      assert.ok((await t.ledger.submit({ ...funding, amount: 50_000n, currency: 'CNY' })).ok);
      // Onboarded while no list was loaded (development lets that through unscreened).
      const payload = {
        name: 'Banco Nacional de Cuba',
        businessRegistration: '91310000MA1K00000Y',
        contactEmail: 'ops@bnc.example',
        settlementAccount: '6222020200112233445',
        feeBps: 60,
      };
      const onboarded = await t.app.inject({
        method: 'POST',
        url: '/v1/merchants',
        headers: { authorization: `Bearer ${t.token}` },
        payload,
      });
      assert.equal(onboarded.statusCode, 201, onboarded.body);
      const { apiKey, id: merchantId } = onboarded.json() as { apiKey: string; id: string };
      const [keyId = '', secret = ''] = apiKey.split('.');
      const body = JSON.stringify({
        merchantReference: 'B-1',
        amount: '100.00',
        currency: 'CNY',
        description: 'x',
        expiresInSeconds: 600,
      });
      const timestamp = String(Date.now());
      const signature = merchantRequestSignature(signingKeyOf(secret), 'POST', '/v1/merchant/orders', timestamp, body);
      const headers = {
        'anfu-key-id': keyId,
        'anfu-timestamp': timestamp,
        'anfu-signature': signature,
        'content-type': 'application/json',
      };
      const created = await t.app.inject({ method: 'POST', url: '/v1/merchant/orders', headers, payload: body });
      assert.equal(created.statusCode, 201, created.body);
      const order = created.json() as { id: string };

      await loadLists(
        t.store,
        { ofac: realOfacFiles, un: realUnFile },
        { type: 'operator', id: 'opr_loader' },
        Date.now(),
      );
      const instruction = instructionFor(alice, { kind: 'order_payment', target: order.id, amount: '100.00' });
      const pay = await t.app.inject({
        method: 'POST',
        url: `/v1/orders/${order.id}/payments`,
        headers: { authorization: `Bearer ${alice.token}`, 'idempotency-key': 'pay-bnc-1' },
        payload: { instruction, signature: signInstruction('intl', alice, instruction) },
      });
      assert.equal(pay.statusCode, 403, pay.body);
      assert.equal(pay.json().code, 'sanctions_hit');
      const after = await t.ledger.account(wallet.id);
      assert.ok(after !== undefined);
      assert.equal(balanceOf(after), 50_000n);
      const rows = await t.store.all<{ case_id: string; subject_id: string }>(
        "SELECT case_id, subject_id FROM sanctions_screenings WHERE context = 'payment' AND outcome = 'hit'",
      );
      assert.deepEqual(
        rows.map((r) => r.subject_id),
        [merchantId],
      );
      assert.equal((await getCase(t.store, rows[0]?.case_id ?? ''))?.subject.id, merchantId);
      const audit = await t.store.all<{ outcome: string }>(
        "SELECT outcome FROM audit_entries WHERE action = 'sanctions.screen' AND target = ?",
        [merchantId],
      );
      assert.deepEqual(
        audit.map((a) => a.outcome),
        ['denied'],
      );
      const payments = await t.store.all('SELECT id FROM payments WHERE payer_id = ?', [alice.customer.id]);
      assert.deepEqual(payments, [], 'no payment was created');

      // An existing merchant hit at payment is frozen, as on re-screening: the next attempt is refused
      // with `merchant_frozen` before it is screened again.
      const frozen = await t.store.all<{ case_id: string; active: unknown }>(
        'SELECT case_id, active FROM sanctions_merchant_freezes WHERE merchant_id = ?',
        [merchantId],
      );
      assert.deepEqual(frozen.map((f) => [f.case_id, Number(f.active)]), [[rows[0]?.case_id, 1]]);
      const screenings = "SELECT id FROM sanctions_screenings WHERE context = 'payment'";
      const screenedBefore = (await t.store.all(screenings)).length;
      const again = instructionFor(alice, { kind: 'order_payment', target: order.id, amount: '100.00' });
      const refused = await t.app.inject({
        method: 'POST',
        url: `/v1/orders/${order.id}/payments`,
        headers: { authorization: `Bearer ${alice.token}`, 'idempotency-key': 'pay-bnc-2' },
        payload: { instruction: again, signature: signInstruction('intl', alice, again) },
      });
      assert.deepEqual([refused.statusCode, refused.json().code], [403, 'merchant_frozen'], refused.body);
      assert.equal((await t.store.all(screenings)).length, screenedBefore, 'not screened again');
    } finally {
      await t.close();
    }
  });
}
