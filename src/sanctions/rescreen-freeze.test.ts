// A re-screening hit on an existing, funded customer freezes their outgoing money until compliance
// decides, on both stores and through the real app: the transfer and the withdrawal are refused
// (`customer_frozen`, audited, balances exact) while money sent to them still arrives; a second run
// opens no second case and no second freeze; a confirmed match keeps the freeze; a false positive,
// approved by a second analyst, lifts it and the customer pays again.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { PayoutResult } from '../banks/index.ts';
import { TokenVault } from '../crypto/index.ts';
import { balanceOf } from '../ledger/index.ts';
import { provideCardFunding, walletOf, type CardFunding } from '../payments/index.ts';
import {
  createTestIdentity,
  instructionFor,
  signInstruction,
  verifiedTestCard,
  type TestCustomer,
} from '../payments/testing.ts';
import { testStoreKinds } from '../store/testing.ts';
import { bearer, createAccessTestApp, type AccessTestApp } from '../wiring/access-test-app.ts';
import { loadLists } from './load-lists.ts';
import { requestRescreen, rescreenStep, type PartySource } from './rescreen.ts';
import { createSanctions } from './sanctions.ts';
import { realOfacFiles, realUnFile, requireSharedLists } from './testing.ts';

// On the OFAC list (entry 11447) with this birth date: a hit at the block score.
const listedName = '李方伟';
const listedBirth = '1972-09-18';

for (const kind of testStoreKinds()) {
  describe(`a re-screening hit freezes outgoing money on ${kind}`, () => {
    let t: AccessTestApp;
    let alice: TestCustomer;
    let bob: TestCustomer;
    let carol: TestCustomer;
    /** A listed name on a device enrolled a minute ago: its transfer waits for a step-up. */
    let dave: TestCustomer;
    let davesWaiting = '';
    let cardId: string;
    let analysts: [string, string];
    let keys = 0;
    const payouts: unknown[] = [];

    const balance = async (who: TestCustomer) => balanceOf(await walletOf(t.ledger, who.customer.id, 'CNY'));
    const signed = (who: TestCustomer, what: Parameters<typeof instructionFor>[1]) => {
      const instruction = instructionFor(who, what, t.now());
      return { instruction, signature: signInstruction('intl', who, instruction) };
    };
    const post = (who: TestCustomer, url: string, payload: unknown) =>
      t.app.inject({
        method: 'POST',
        url,
        headers: { ...bearer(who.token), 'idempotency-key': `freeze-${kind}-${keys++}-key` },
        payload: payload as Record<string, unknown>,
      });
    const transfer = (from: TestCustomer, to: TestCustomer, amount: string) =>
      post(from, '/v1/payments/transfers', signed(from, { kind: 'transfer', target: to.customer.id, amount }));
    const withdraw = (who: TestCustomer, amount: string) =>
      post(who, '/v1/withdrawals', signed(who, { kind: 'withdrawal', target: cardId, amount }));
    const operator = (token: string, url: string, payload?: Record<string, unknown>) =>
      t.app.inject({ method: 'POST', url, headers: bearer(token), ...(payload === undefined ? {} : { payload }) });

    /** Alice and Carol carry a listed name; Bob does not. A full run over them. */
    const rescreen = async () => {
      const sanctions = createSanctions(t.store, t.now);
      const parties = [alice, carol, dave, bob].map((c) => ({
        id: c.customer.id,
        name: c === bob ? '王小明' : listedName,
        birthDate: c === bob ? '1990-01-01' : listedBirth,
        customerId: c.customer.id,
      }));
      const customers: PartySource = {
        type: 'customer',
        page: async (afterId, limit) => (afterId === '' ? parties.slice(0, limit) : []),
      };
      await requestRescreen(sanctions, 'opr_analyst');
      let step = await rescreenStep(sanctions, [customers], { pageSize: 10 });
      for (let i = 0; i < 10 && step.run?.state === 'running'; i += 1)
        step = await rescreenStep(sanctions, [customers]);
      assert.equal(step.run?.state, 'done');
    };
    const caseOf = async (who: TestCustomer) => {
      const rows = await t.store.all<{ id: string }>(
        "SELECT id FROM cases WHERE kind = 'sanctions_hit' AND subject_id = ?",
        [who.customer.id],
      );
      assert.equal(rows.length, 1, 'one case per customer and list entry');
      return (rows[0] as { id: string }).id;
    };
    const freezes = async () =>
      t.store.all<{ customer_id: string; active: number | bigint }>(
        'SELECT customer_id, active FROM sanctions_freezes ORDER BY customer_id',
      );
    const refusalCodes = async () =>
      (await t.auditRows('payment.instruction_refused')).map((r) => [r.actor_id, r.details.code]);

    before(async () => {
      requireSharedLists();
      const identity = await createTestIdentity('intl');
      t = await createAccessTestApp(kind, {}, { paymentIdentity: identity });
      [alice, bob, carol] = [
        await identity.addCustomer({ now: t.now() }),
        await identity.addCustomer({ now: t.now() }),
        await identity.addCustomer({ now: t.now() }),
      ];
      dave = await identity.addCustomer({ now: t.now(), deviceAgeMs: 60_000 });
      const bank = await t.ledger.openAccount({ kind: 'bank_settlement', currency: 'CNY', name: 'Bank' });
      for (const [who, amount] of [[alice, 100_000n], [bob, 10_000n], [carol, 20_000n], [dave, 30_000n]] as const) {
        const wallet = await walletOf(t.ledger, who.customer.id, 'CNY');
        const funded = await t.ledger.submit({
          kind: 'single',
          key: `fund-${who.customer.id}`,
          debitAccountId: bank.id,
          creditAccountId: wallet.id,
          amount,
          currency: 'CNY',
        });
        assert.ok(funded.ok);
      }
      const vault = new TokenVault(t.app.context.keyring);
      const never = () => Promise.reject(new Error('the card link is not reached by a frozen customer'));
      const funding: CardFunding = {
        link: {
          stamp: () => ({ transmissionDateTime: '0101000000', localTime: '000000' }),
          stampWithMoment: () => ({
            transmissionDateTime: '0101000000', localTime: '000000', at: Date.UTC(2026, 0, 1),
          }),
          authorise: never,
          reverse: never,
          payout: async (input) => {
            payouts.push(input);
            return never() as Promise<PayoutResult>;
          },
          payoutStatus: never,
          verifyAccount: never,
          confirmOneTimeCode: never,
        },
        vault,
        bank: 'SIMBANK',
        terminalId: 'TFRZ0001',
        merchantId: 'ANFUTOPUP000001',
      };
      provideCardFunding(t.store, funding);
      const card = { pan: '6222020000000000018', expiryMonth: 12, expiryYear: 2035, bank: 'SIMBANK' };
      cardId = (await verifiedTestCard(t.store, vault, alice.customer.id, card)).id;
      const loader = { type: 'operator' as const, id: 'opr_loader' };
      await loadLists(t.store, { ofac: realOfacFiles, un: realUnFile }, loader, t.now());
      analysts = [
        await t.login(await t.operator('risk_analyst')),
        await t.login(await t.operator('risk_analyst')),
      ];
    });
    after(() => t.close());

    test('the hit opens the case and freezes: no transfer or withdrawal out, money in still arrives', async () => {
      assert.equal((await transfer(alice, bob, '1.00')).statusCode, 201, 'not frozen before the re-screening');
      assert.deepEqual([await balance(alice), await balance(bob)], [99_900n, 10_100n]);
      const waiting = await transfer(dave, bob, '3.00');
      assert.equal(waiting.statusCode, 202, `a new device's transfer waits for a step-up: ${waiting.body}`);
      davesWaiting = waiting.json().id as string;
      await rescreen();
      const caseId = await caseOf(alice);
      const frozenRows = (await freezes()).map((f) => [f.customer_id, Number(f.active)]);
      const listed = [[alice.customer.id, 1], [carol.customer.id, 1], [dave.customer.id, 1]];
      assert.deepEqual(frozenRows, listed.sort(), 'Bob is not frozen');
      const audit = (await t.auditRows('sanctions.freeze')).filter((r) => r.target === alice.customer.id);
      assert.equal(audit.length, 1);
      assert.deepEqual(audit[0]?.details, { caseId, frozen: ['outgoing_payments', 'withdrawals'] });

      const refused = await transfer(alice, bob, '1.00');
      assert.equal(refused.statusCode, 403, refused.body);
      assert.equal(refused.json().code, 'customer_frozen');
      const refusedWithdrawal = await withdraw(alice, '10.00');
      assert.equal(refusedWithdrawal.statusCode, 403, refusedWithdrawal.body);
      assert.equal(refusedWithdrawal.json().code, 'customer_frozen');
      assert.equal(payouts.length, 0, 'nothing reached the bank');
      const codes = await refusalCodes();
      assert.deepEqual(codes.filter(([who]) => who === alice.customer.id).map(([, code]) => code), [
        'customer_frozen',
        'customer_frozen',
      ]);
      assert.deepEqual([await balance(alice), await balance(bob)], [99_900n, 10_100n], 'nothing moved out');

      const incoming = await transfer(bob, alice, '5.00');
      assert.equal(incoming.statusCode, 201, incoming.body);
      assert.deepEqual([await balance(alice), await balance(bob)], [100_400n, 9_600n], 'money in still arrives');
    });

    test('a payment waiting for its step-up when the freeze arrives fails at the step-up; nothing moves', async () => {
      const paymentId = davesWaiting;
      // The re-screening ran in the test before, after Dave's transfer was challenged.
      assert.ok((await freezes()).some((f) => f.customer_id === dave.customer.id && Number(f.active) === 1));
      const bobBefore = await balance(bob);
      const stepUp = await t.app.inject({
        method: 'POST', url: `/v1/payments/${paymentId}/step-up`, headers: bearer(dave.token),
        payload: { kind: 'totp', code: '123456' },
      });
      assert.deepEqual([stepUp.statusCode, stepUp.json().code], [403, 'customer_frozen'], stepUp.body);
      const failed = await t.app.inject({ url: `/v1/payments/${paymentId}`, headers: bearer(dave.token) });
      assert.deepEqual([failed.json().state, failed.json().failureCode], ['failed', 'customer_frozen'], failed.body);
      assert.deepEqual([await balance(dave), await balance(bob)], [30_000n, bobBefore], 'nothing moved');
    });

    test('running the re-screening again opens no second case and no second freeze', async () => {
      const [casesBefore, freezesBefore] = [
        await t.store.all("SELECT id FROM cases WHERE kind = 'sanctions_hit' ORDER BY id"),
        await freezes(),
      ];
      await rescreen();
      assert.deepEqual(await t.store.all("SELECT id FROM cases WHERE kind = 'sanctions_hit' ORDER BY id"), casesBefore);
      assert.deepEqual(await freezes(), freezesBefore);
      assert.equal((await t.auditRows('sanctions.freeze')).length, 3, 'Alice, Carol and Dave, once each');
    });

    test('a confirmed match keeps the freeze, audited', async () => {
      const caseId = await caseOf(carol);
      const decided = await operator(analysts[0], `/v1/cases/${caseId}/decisions`, {
        decision: 'confirmed_match',
        reason: 'same person as the list entry',
      });
      assert.equal(decided.statusCode, 200, decided.body);
      assert.equal(decided.json().case.status, 'decided');
      const kept = await t.auditRows('sanctions.freeze.keep');
      assert.deepEqual(
        kept.map((r) => [r.target, r.details.caseId, r.details.decision]),
        [[carol.customer.id, caseId, 'confirmed_match']],
      );
      const refused = await transfer(carol, bob, '1.00');
      assert.equal(refused.json().code, 'customer_frozen', refused.body);
      assert.equal(await balance(carol), 20_000n);
      await rescreen();
      assert.equal((await freezes()).filter((f) => f.customer_id === carol.customer.id).length, 1);
    });

    test('a false positive needs a second analyst; approved, it lifts the freeze and the customer pays', async () => {
      const caseId = await caseOf(alice);
      const proposed = await operator(analysts[0], `/v1/cases/${caseId}/decisions`, {
        decision: 'false_positive',
        reason: 'different birth place and ID',
      });
      assert.equal(proposed.statusCode, 200, proposed.body);
      const proposalId = proposed.json().proposalId as string;
      assert.match(proposalId, /^prp_/);
      const pending = await transfer(alice, bob, '1.00');
      assert.equal(pending.json().code, 'customer_frozen', 'still frozen on one signature');
      const self = await operator(analysts[0], `/v1/proposals/${proposalId}/approve`);
      assert.equal(self.json().code, 'proposal_self_approval');
      const approved = await operator(analysts[1], `/v1/proposals/${proposalId}/approve`);
      assert.equal(approved.json().state, 'executed', approved.body);
      const lifted = await t.store.all<{ active: number | bigint; lifted_at: unknown }>(
        'SELECT active, lifted_at FROM sanctions_freezes WHERE customer_id = ?',
        [alice.customer.id],
      );
      assert.equal(lifted.length, 1);
      assert.equal(Number(lifted[0]?.active), 0);
      assert.equal(Number(lifted[0]?.lifted_at), t.now(), 'lifted at the decision clock');
      const liftAudit = await t.auditRows('sanctions.freeze.lift');
      assert.deepEqual(
        liftAudit.map((r) => [r.target, r.details.caseId]),
        [[alice.customer.id, caseId]],
      );

      const paid = await transfer(alice, bob, '1.00');
      assert.equal(paid.statusCode, 201, paid.body);
      assert.deepEqual([await balance(alice), await balance(bob)], [100_300n, 9_700n]);
      assert.equal((await freezes()).filter((f) => Number(f.active) === 1).length, 2, 'Carol and Dave stay frozen');
    });
  });
}
