// fast-check properties of the two money paths whose arithmetic the ledger cannot check by itself
// (issue 10), on both stores, each step compared with a model that predicts EXACT balances:
// - card funding against `anfu bank-sim` as a real process: top-ups, withdrawals (an overdraw fails
//   insufficient_funds and moves nothing), retries that replay; wallet and bank settlement exact;
// - refunds of an order payment under a cumulative approval threshold: a refund executes at once,
//   waits for maker–checker approval (its live total would pass the threshold), or is refused (above
//   what was paid); approvals execute, rejections release; wallet, merchant, the payment's refunded
//   amount and its state (reversed only when executed refunds reach the amount) exact after each step.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  approveProposal,
  ProposalRegistry,
  rejectProposal,
  type Actor,
  type ApprovalsContext,
} from '../access/index.ts';
import { CardLink } from '../banks/index.ts';
import { startBankSimProcess } from '../banks/testing/bank-sim-process.ts';
import { withCheckDigit } from '../cards/index.ts';
import { loadConfig } from '../config.ts';
import { TokenVault } from '../crypto/index.ts';
import { testKeyring } from '../crypto/testing.ts';
import { AnfuError } from '../errors.ts';
import { Ledger, balanceOf } from '../ledger/index.ts';
import {
  bankSettlementOf,
  createCheckoutOrder,
  merchantAccountOf,
  merchantProtectionWith,
  onboardMerchant,
  paymentById,
  paymentSettingsOf,
  refundApprovalExecutor,
  requestRefund,
  sweepRefunds,
  walletOf,
  type CardFunding,
  type PaymentsContext,
  type RefundRequest,
} from '../payments/index.ts';
import {
  createTestIdentity,
  testSignatureChecks,
  instructionFor,
  signInstruction,
  verifiedTestCard,
  type TestCustomer,
} from '../payments/testing.ts';
import { createTestDatabase, testStoreKinds } from '../store/testing.ts';
import { payOrder } from './pay-order.ts';
import { topUpByCard } from './top-up-by-card.ts';
import { withdrawToCard } from './withdraw-to-card.ts';

let keys = 0;
let pans = 0;

async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AnfuError) return error.code;
    throw error;
  }
  return 'no refusal';
}

function checker(): Actor {
  const principal = {
    kind: 'operator' as const,
    id: 'op_checker',
    name: 'checker',
    role: 'operations' as const,
    sessionId: 'ses_checker',
  };
  return { type: 'operator', principal, ip: null, device: null };
}

const fundingOp = fc.record({
  op: fc.constantFrom('top_up', 'withdrawal', 'retry'),
  cents: fc.integer({ min: 1, max: 100_00 }),
});
const refundOp = fc.record({
  op: fc.constantFrom('refund', 'refund', 'approve', 'reject', 'retry'),
  cents: fc.integer({ min: 1, max: 120_00 }),
});

for (const kind of testStoreKinds()) {
  test(`${kind}: property — card funding leaves exact wallet and bank balances`, { timeout: 300_000 }, async () => {
    const sim = await startBankSimProcess({ unknownCards: 'approve' });
    const database = await createTestDatabase(kind);
    const store = database.open();
    const ledger = new Ledger({ store });
    const terminalId = `T${kind.slice(0, 3).toUpperCase()}PROP`;
    const link = new CardLink({
      port: sim.port,
      terminalId,
      merchantId: 'ANFUTOPUP000001',
      responseTimeoutMs: 2_000,
      reversalRetryDelayMs: 10,
    });
    try {
      const identity = await createTestIdentity('intl');
      const ctx: PaymentsContext = {
        store,
        ledger,
        identity,
        settings: paymentSettingsOf(loadConfig({ ANFU_ENV: 'test' })),
        clock: Date.now,
        signatureChecks: testSignatureChecks(),
      };
      const funding: CardFunding = {
        link,
        vault: new TokenVault(await testKeyring(store)),
        bank: 'SIMBANK',
        terminalId,
        merchantId: 'ANFUTOPUP000001',
      };
      const bankBalance = async () => balanceOf(await bankSettlementOf(ledger, 'SIMBANK', 'CNY'));
      await fc.assert(
        fc.asyncProperty(fc.array(fundingOp, { minLength: 1, maxLength: 6 }), async (ops) => {
          const who: TestCustomer = await identity.addCustomer();
          const pan = withCheckDigit(`62220210${String(pans++).padStart(10, '0')}`);
          const card = await verifiedTestCard(store, funding.vault, who.customer.id, {
            pan,
            expiryMonth: 12,
            expiryYear: 2030,
            bank: 'SIMBANK',
          });
          const bankAtStart = await bankBalance();
          let wallet = 0n;
          let last: { request: Parameters<typeof topUpByCard>[3]; kind: string; id: string; state: string } | undefined;
          for (const { op, cents } of ops) {
            const amount = BigInt(cents);
            if (op === 'retry' && last !== undefined) {
              const again =
                last.kind === 'top_up'
                  ? await topUpByCard(ctx, funding, who.principal, last.request)
                  : await withdrawToCard(ctx, funding, who.principal, last.request);
              assert.deepEqual([again.replayed, again.funding.id, again.funding.state], [true, last.id, last.state]);
            } else if (op !== 'retry') {
              const instruction = instructionFor(who, {
                kind: op === 'top_up' ? 'top_up' : 'withdrawal',
                target: card.id,
                amount: (cents / 100).toFixed(2),
              });
              const request = {
                instruction,
                signature: signInstruction(identity.profile, who, instruction),
                idempotencyKey: `prop-${keys++}`,
              };
              const started =
                op === 'top_up'
                  ? await topUpByCard(ctx, funding, who.principal, request)
                  : await withdrawToCard(ctx, funding, who.principal, request);
              const covered = op === 'top_up' || amount <= wallet;
              assert.deepEqual(
                [started.funding.state, started.funding.failureCode],
                covered ? ['succeeded', null] : ['failed', 'insufficient_funds'],
              );
              if (covered) wallet += op === 'top_up' ? amount : -amount;
              last = { request, kind: op, id: started.funding.id, state: started.funding.state };
            }
            assert.equal(balanceOf(await walletOf(ledger, who.customer.id, 'CNY')), wallet);
            assert.equal(await bankBalance(), bankAtStart - wallet);
          }
        }),
        { numRuns: 10, seed: 10 },
      );
      assert.deepEqual((await ledger.verify()).problems, []);
    } finally {
      link.close();
      await ledger.close();
      await store.close();
      await database.drop();
      await sim.stop();
    }
  });

  test(
    `${kind}: property — refunds: exact balances, refunded amount and state, cumulative approval threshold`,
    { timeout: 300_000 },
    async () => {
      const threshold = 50_00n;
      const database = await createTestDatabase(kind);
      const store = database.open();
      const ledger = new Ledger({ store });
      try {
        const identity = await createTestIdentity('intl');
        const config = loadConfig({ ANFU_ENV: 'test', ANFU_REFUND_APPROVAL_MINOR: String(threshold) });
        const ctx: PaymentsContext = {
          store, ledger, identity, settings: paymentSettingsOf(config), clock: Date.now,
          signatureChecks: testSignatureChecks(),
        };
        const registry = new ProposalRegistry();
        registry.register(refundApprovalExecutor(ctx));
        const approvals: ApprovalsContext = { store, registry, ttlMs: config.proposalTtlMs };
        const protection = merchantProtectionWith(await testKeyring(store));
        const shop = (
          await onboardMerchant(
            store,
            protection,
            {
              name: 'Tea House',
              businessRegistration: '91310000MA1K000000',
              contactEmail: 'ops@tea.example',
              settlementAccount: '6222020200112233445',
              feeBps: 0,
            },
            'op_test',
            60,
            Date.now(),
          )
        ).merchant;
        const bank = await ledger.openAccount({ kind: 'bank_settlement', currency: 'CNY', name: 'Test bank' });
        const merchantBalance = async () => balanceOf(await merchantAccountOf(ledger, shop.id, 'CNY'));
        await fc.assert(
          fc.asyncProperty(
            fc.integer({ min: 1, max: 100_00 }),
            fc.array(refundOp, { minLength: 1, maxLength: 8 }),
            async (paidCents, ops) => {
              const paid = BigInt(paidCents);
              const alice = await identity.addCustomer();
              const wallet = await walletOf(ledger, alice.customer.id, 'CNY');
              assert.ok(
                (
                  await ledger.submit({
                    kind: 'single',
                    key: `fund:${alice.customer.id}`,
                    debitAccountId: bank.id,
                    creditAccountId: wallet.id,
                    amount: 100_00n,
                    currency: 'CNY',
                  })
                ).ok,
              );
              const order = await createCheckoutOrder(
                store,
                {
                  merchantId: shop.id,
                  merchantReference: `P-${keys++}`,
                  amount: paid,
                  currency: 'CNY',
                  description: 'Tea',
                  ttlMs: 60_000,
                },
                Date.now(),
              );
              const instruction = instructionFor(alice, {
                kind: 'order_payment',
                target: order.id,
                amount: (paidCents / 100).toFixed(2),
              });
              const payment = (
                await payOrder(ctx, alice.principal, order.id, {
                  instruction,
                  signature: signInstruction(identity.profile, alice, instruction),
                  idempotencyKey: `pay-${keys++}`,
                })
              ).payment;
              assert.equal(payment.state, 'succeeded');
              const merchantAtStart = await merchantBalance();
              let reserved = 0n;
              let executed = 0n;
              const pending: Array<{ proposalId: string; amount: bigint }> = [];
              let lastAccepted: { request: RefundRequest; id: string } | undefined;
              for (const { op, cents } of ops) {
                if (op === 'refund') {
                  const amount = BigInt(cents);
                  const request = { amount, reason: 'property', idempotencyKey: `rf-${keys++}` };
                  const refusedWith =
                    executed === paid
                      ? 'payment_state_invalid'
                      : reserved + amount > paid
                        ? 'refund_exceeds_payment'
                        : undefined;
                  if (refusedWith !== undefined) {
                    assert.equal(await refusal(requestRefund(ctx, shop.id, payment.id, request)), refusedWith);
                  } else {
                    const { refund } = await requestRefund(ctx, shop.id, payment.id, request);
                    reserved += amount;
                    if (reserved > threshold) {
                      assert.equal(refund.state, 'awaiting_approval', 'the live total passes the threshold: approval');
                      pending.push({ proposalId: refund.proposalId ?? '', amount });
                    } else {
                      assert.equal(refund.state, 'succeeded');
                      executed += amount;
                    }
                    lastAccepted = { request, id: refund.id };
                  }
                } else if (op === 'approve' && pending.length > 0) {
                  const next = pending.shift();
                  assert.ok((await approveProposal(approvals, checker(), next?.proposalId ?? '', Date.now)).ok);
                  executed += next?.amount ?? 0n;
                } else if (op === 'reject' && pending.length > 0) {
                  const next = pending.shift();
                  assert.ok((await rejectProposal(approvals, checker(), next?.proposalId ?? '', Date.now())).ok);
                  assert.equal((await sweepRefunds(ctx, { olderThanMs: 60_000, limit: 100 })).rejected, 1);
                  reserved -= next?.amount ?? 0n;
                } else if (op === 'retry' && lastAccepted !== undefined) {
                  const again = await requestRefund(ctx, shop.id, payment.id, lastAccepted.request);
                  assert.deepEqual([again.replayed, again.refund.id], [true, lastAccepted.id]);
                }
                const now = await paymentById(store, payment.id);
                assert.equal(now?.refundedAmount, executed, 'refunded is what executed refunds moved');
                assert.equal(now?.state, executed === paid ? 'reversed' : 'succeeded');
                assert.equal(balanceOf(await walletOf(ledger, alice.customer.id, 'CNY')), 100_00n - paid + executed);
                assert.equal(await merchantBalance(), merchantAtStart - executed);
              }
            },
          ),
          { numRuns: 25, seed: 11 },
        );
        assert.deepEqual((await ledger.verify()).problems, []);
      } finally {
        await ledger.close();
        await store.close();
        await database.drop();
      }
    },
  );
}
