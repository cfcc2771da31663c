// Top-ups by card and withdrawals against `anfu bank-sim` running as a real process, and requests for
// money, on both stores: approvals, declines, timeouts with reversal, idempotent retries that never
// reach the bank twice, payouts completed at once or after polling; a seeded property run checks
// conservation (ledger.verify), no negative wallet, idempotency and replay refusal.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CardLink } from '../banks/index.ts';
import { withCheckDigit } from '../cards/index.ts';
import { startBankSimProcess, type BankSimProcess } from '../banks/testing/bank-sim-process.ts';
import { loadConfig } from '../config.ts';
import { testKeyring } from '../crypto/testing.ts';
import { TokenVault } from '../crypto/index.ts';
import { AnfuError } from '../errors.ts';
import { Ledger, balanceOf } from '../ledger/index.ts';
import { bankSettlementOf, declineCollectRequest, fundingTransitionsOf, paymentSettingsOf, requestMoney, walletOf, type CardFunding, type PaymentsContext } from '../payments/index.ts';
import { createTestIdentity, instructionFor, signInstruction, verifiedTestCard, type TestCustomer, type TestIdentity } from '../payments/testing.ts';
import { createTestDatabase, testStoreKinds } from '../store/testing.ts';
import { payCollectRequest } from './pay-collect-request.ts';
import { topUpByCard } from './top-up-by-card.ts';
import { pollWithdrawals, withdrawToCard } from './withdraw-to-card.ts';

const goodPan = withCheckDigit('622202000000000001');
const declinedPan = withCheckDigit('622202000000000005'); // ends …05x: rule below
const slowPan = withCheckDigit('622202000000001111');

let keys = 0;
function signed(identity: TestIdentity, who: TestCustomer, fields: Parameters<typeof instructionFor>[1]) {
  const instruction = instructionFor(who, fields);
  return { instruction, signature: signInstruction(identity.profile, who, instruction), idempotencyKey: `key-${keys++}-${Date.now()}` };
}

async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AnfuError) return error.code;
    throw error;
  }
  return 'no refusal';
}

async function setUp(kind: 'sqlite' | 'postgres', sim: BankSimProcess) {
  const database = await createTestDatabase(kind);
  const store = database.open();
  const ledger = new Ledger({ store });
  const identity = await createTestIdentity('intl');
  const ctx: PaymentsContext = { store, ledger, identity, settings: paymentSettingsOf(loadConfig({ ANFU_ENV: 'test' })), clock: Date.now };
  const link = new CardLink({ port: sim.port, terminalId: `T${kind.slice(0, 3)}0001`, merchantId: 'ANFUTOPUP000001', responseTimeoutMs: 300, reversalRetryDelayMs: 10 });
  const funding: CardFunding = { link, vault: new TokenVault(await testKeyring(store)), bank: 'SIMBANK', terminalId: `T${kind.slice(0, 3)}0001`, merchantId: 'ANFUTOPUP000001' };
  const balance = async (who: TestCustomer) => balanceOf(await walletOf(ledger, who.customer.id, 'CNY'));
  const bind = (who: TestCustomer, pan: string) => verifiedTestCard(store, funding.vault, who.customer.id, { pan, expiryMonth: 12, expiryYear: 2030, bank: 'SIMBANK' });
  const close = async () => { link.close(); await ledger.close(); await store.close(); await database.drop(); };
  return { store, ledger, identity, ctx, funding, balance, bind, close };
}

for (const kind of testStoreKinds()) {
  test(`${kind}: top-up by card over ISO 8583, declines, timeouts, withdrawals and requests for money`, async (t) => {
    const sim = await startBankSimProcess({ unknownCards: 'approve', declines: [{ panSuffix: declinedPan.slice(-4), code: '51' }], delays: [{ panSuffix: slowPan.slice(-4), mti: '0100', ms: 2000 }] });
    const s = await setUp(kind, sim);
    try {
      const alice = await s.identity.addCustomer();
      const bob = await s.identity.addCustomer();
      const card = await s.bind(alice, goodPan);
      assert.equal(card.maskedPan.includes(goodPan.slice(6, 12)), false, 'only first 6 / last 4 are kept');

      await t.test('approval credits the wallet from bank settlement; a retry does not authorise twice', async () => {
        const request = signed(s.identity, alice, { kind: 'top_up', target: card.id, amount: '500.00' });
        const first = await topUpByCard(s.ctx, s.funding, alice.principal, request);
        assert.equal(first.funding.state, 'succeeded');
        const before = (await sim.state()).received;
        const again = await topUpByCard(s.ctx, s.funding, alice.principal, request);
        assert.deepEqual([again.replayed, again.funding.id], [true, first.funding.id]);
        assert.deepEqual((await sim.state()).received, before, 'the retry never reached the bank');
        assert.equal(await s.balance(alice), 50_000n);
        assert.equal(balanceOf(await bankSettlementOf(s.ledger, 'SIMBANK', 'CNY')), -50_000n);
        assert.deepEqual((await fundingTransitionsOf(s.store, first.funding.id)).map((x) => x.to), ['created', 'risk_checked', 'processing', 'succeeded']);
        assert.equal(await refusal(topUpByCard(s.ctx, s.funding, alice.principal, { ...request, idempotencyKey: 'another-key-1' })), 'instruction_replayed');
      });

      await t.test('a decline fails with the response code; a timeout is reversed and fails', async () => {
        const poor = await s.bind(alice, declinedPan);
        const declined = await topUpByCard(s.ctx, s.funding, alice.principal, signed(s.identity, alice, { kind: 'top_up', target: poor.id, amount: '10.00' }));
        assert.deepEqual([declined.funding.state, declined.funding.failureCode, declined.funding.exchange.responseCode], ['failed', 'card_declined', '51']);
        const slow = await s.bind(alice, slowPan);
        const timedOut = await topUpByCard(s.ctx, s.funding, alice.principal, signed(s.identity, alice, { kind: 'top_up', target: slow.id, amount: '10.00' }));
        assert.deepEqual([timedOut.funding.state, timedOut.funding.failureCode, timedOut.funding.reversalOwed], ['failed', 'card_issuer_unavailable', false]);
        assert.ok(((await sim.state()) as unknown as { reversalsApplied: number }).reversalsApplied >= 1, JSON.stringify(await sim.state()));
        assert.equal(await s.balance(alice), 50_000n, 'no money moved');
      });

      await t.test('a withdrawal completes at once, or stays processing until polled', async () => {
        const done = await withdrawToCard(s.ctx, s.funding, alice.principal, signed(s.identity, alice, { kind: 'withdrawal', target: card.id, amount: '100.00' }));
        assert.equal(done.funding.state, 'succeeded');
        assert.equal(await s.balance(alice), 40_000n);
        await sim.putRules({ unknownCards: 'approve', payoutSettleMs: 300 });
        const later = await withdrawToCard(s.ctx, s.funding, alice.principal, signed(s.identity, alice, { kind: 'withdrawal', target: card.id, amount: '50.00' }));
        assert.equal(later.funding.state, 'processing');
        assert.equal(await s.balance(alice), 40_000n, 'held, not posted');
        assert.equal(await refusal(withdrawToCard(s.ctx, s.funding, alice.principal, signed(s.identity, alice, { kind: 'withdrawal', target: card.id, amount: '400.00' }))), 'no refusal');
        await new Promise((r) => setTimeout(r, 400));
        // The first status query is due 5 s after the payout (back-off): ask as if that time had come.
        assert.ok((await pollWithdrawals({ ...s.ctx, clock: () => Date.now() + 10_000 }, s.funding, { limit: 10 })) >= 1);
        assert.equal(await s.balance(alice), 35_000n);
        await sim.putRules({ unknownCards: 'approve' });
      });

      await t.test('requests for money: pay once, decline, expiry', async () => {
        const asked = await requestMoney(s.ctx, bob.principal, { payerId: alice.customer.id, amount: 1_000n, currency: 'CNY', note: 'lunch', ttlMs: 600_000 });
        const paid = await payCollectRequest(s.ctx, alice.principal, asked.id, signed(s.identity, alice, { kind: 'collect_payment', target: asked.id, amount: '10.00' }));
        assert.equal(paid.payment.state, 'succeeded');
        assert.equal(await refusal(payCollectRequest(s.ctx, alice.principal, asked.id, signed(s.identity, alice, { kind: 'collect_payment', target: asked.id, amount: '10.00' }))), 'collect_request_not_pending');
        const other = await requestMoney(s.ctx, bob.principal, { payerId: alice.customer.id, amount: 1_000n, currency: 'CNY', note: 'again', ttlMs: 600_000 });
        assert.equal((await declineCollectRequest(s.ctx, alice.principal, other.id)).state, 'declined');
        const expiring = await requestMoney(s.ctx, bob.principal, { payerId: alice.customer.id, amount: 1_000n, currency: 'CNY', note: 'soon', ttlMs: 60_000 });
        const late = { ...s.ctx, clock: () => Date.now() + 61_000 };
        assert.equal(await refusal(declineCollectRequest(late, alice.principal, expiring.id)), 'collect_request_not_pending');
        assert.equal(await s.balance(bob), 1_000n);
      });

      await t.test('property: any mix of top-ups, withdrawals and retries conserves money and never overdraws', async () => {
        await fc.assert(fc.asyncProperty(fc.array(fc.record({ op: fc.constantFrom('top_up', 'withdrawal', 'retry', 'replay'), cents: fc.integer({ min: 1, max: 200_00 }) }), { minLength: 1, maxLength: 6 }), async (ops) => {
          let last: ReturnType<typeof signed> | undefined;
          for (const { op, cents } of ops) {
            const amount = (cents / 100).toFixed(2);
            if (op === 'retry' && last !== undefined) {
              const again = last.instruction.kind === 'top_up' ? await topUpByCard(s.ctx, s.funding, alice.principal, last) : await withdrawToCard(s.ctx, s.funding, alice.principal, last);
              assert.equal(again.replayed, true);
            } else if (op === 'replay' && last !== undefined) {
              const replayed = { ...last, idempotencyKey: `replay-${keys++}` };
              assert.equal(await refusal(last.instruction.kind === 'top_up' ? topUpByCard(s.ctx, s.funding, alice.principal, replayed) : withdrawToCard(s.ctx, s.funding, alice.principal, replayed)), 'instruction_replayed');
            } else {
              last = signed(s.identity, alice, { kind: op === 'withdrawal' ? 'withdrawal' : 'top_up', target: card.id, amount });
              const outcome = op === 'withdrawal' ? await withdrawToCard(s.ctx, s.funding, alice.principal, last) : await topUpByCard(s.ctx, s.funding, alice.principal, last);
              assert.ok(['succeeded', 'failed'].includes(outcome.funding.state), outcome.funding.state);
            }
            assert.ok((await s.balance(alice)) >= 0n);
          }
          assert.ok((await s.ledger.verify()).ok);
        }), { numRuns: 8, seed: 6 });
      });
      assert.ok((await s.ledger.verify()).ok);
      for (const pan of [goodPan, declinedPan, slowPan]) assert.equal(sim.output().includes(pan), false, 'no PAN in the simulator log');
    } finally {
      await s.close();
      await sim.stop();
    }
  });
}
