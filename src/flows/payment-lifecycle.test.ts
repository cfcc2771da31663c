// Issue 10 on both stores: every reservation ends. A challenged payment expires and gives back its
// limit usage and its order; a late step-up is refused. Orders and requests for money expire and say
// so. Large refunds open their maker–checker proposal at once, count cumulatively, release on
// rejection or expiry, and the payment's refunded amount comes from executed refunds only. Two
// concurrent refunds under one key give one refund and one replay. Settlement is one linked submit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  approveProposal,
  findProposal,
  ProposalRegistry,
  rejectProposal,
  type Actor,
  type ApprovalsContext,
} from '../access/index.ts';
import { loadConfig } from '../config.ts';
import { testKeyring } from '../crypto/testing.ts';
import { AnfuError } from '../errors.ts';
import { listNotifications } from '../events/index.ts';
import { Ledger, balanceOf } from '../ledger/index.ts';
import {
  collectRequestById,
  createCheckoutOrder,
  openCheckoutOrder,
  expireChallengedPayments,
  expireOrdersAndRequests,
  feeAccountOf,
  merchantAccountOf,
  merchantProtectionWith,
  onboardMerchant,
  orderById,
  paymentById,
  paymentSettingsOf,
  refundApprovalExecutor,
  refundsOf,
  requestMoney,
  requestRefund,
  sweepRefunds,
  walletOf,
  type PaymentsContext,
} from '../payments/index.ts';
import {
  createTestIdentity,
  testSignatureChecks,
  instructionFor,
  signInstruction,
  type TestCustomer,
  type TestIdentity,
} from '../payments/testing.ts';
import { createTestDatabase, testStoreKinds } from '../store/testing.ts';
import { payOrder } from './pay-order.ts';
import { resumeChallengedPayment } from './resume-challenged-payment.ts';
import { transferToCustomer } from './transfer-to-customer.ts';

async function setUp(kind: 'sqlite' | 'postgres', overrides: Record<string, string> = {}) {
  const database = await createTestDatabase(kind);
  const store = database.open();
  const ledger = new Ledger({ store });
  const identity = await createTestIdentity('intl');
  const config = loadConfig({ ANFU_ENV: 'test', ...overrides });
  let offset = 0;
  const clock = () => Date.now() + offset;
  const ctx: PaymentsContext = {
    store, ledger, identity, settings: paymentSettingsOf(config), clock,
    signatureChecks: testSignatureChecks(),
  };
  const bank = await ledger.openAccount({ kind: 'bank_settlement', currency: 'CNY', name: 'Test bank' });
  let funded = 0;
  const fund = async (who: TestCustomer, minor: bigint) => {
    const wallet = await walletOf(ledger, who.customer.id, 'CNY');
    assert.ok(
      (
        await ledger.submit({
          kind: 'single',
          key: `fund:${funded++}`,
          debitAccountId: bank.id,
          creditAccountId: wallet.id,
          amount: minor,
          currency: 'CNY',
        })
      ).ok,
    );
  };
  const balance = async (who: TestCustomer) => balanceOf(await walletOf(ledger, who.customer.id, 'CNY'));
  const protection = merchantProtectionWith(await testKeyring(store));
  const merchant = async (feeBps = 60) =>
    (
      await onboardMerchant(
        store,
        protection,
        {
          name: 'Tea House',
          businessRegistration: '91310000MA1K000000',
          contactEmail: 'ops@tea.example',
          settlementAccount: '6222020200112233445',
          feeBps,
        },
        'op_test',
        60,
        clock(),
      )
    ).merchant;
  const usage = async (who: TestCustomer) =>
    (
      await store.all('SELECT used FROM payment_limit_usage WHERE customer_id = ? ORDER BY period', [who.customer.id])
    ).map((r) => BigInt(r.used as bigint));
  const advance = (ms: number) => {
    offset += ms;
  };
  const close = async () => {
    await ledger.close();
    await store.close();
    await database.drop();
  };
  return { database, store, ledger, identity, ctx, fund, balance, merchant, usage, advance, clock, close, config };
}

let keys = 0;
function signed(identity: TestIdentity, who: TestCustomer, fields: Parameters<typeof instructionFor>[1], now: number) {
  const instruction = instructionFor(who, fields, now);
  return {
    instruction,
    signature: signInstruction(identity.profile, who, instruction),
    idempotencyKey: `key-${keys++}-${Date.now()}`,
  };
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

function operator(id: string): Actor {
  return {
    type: 'operator',
    principal: { kind: 'operator', id, name: id, role: 'operations', sessionId: `ses_${id}` },
    ip: null,
    device: null,
  };
}

for (const kind of testStoreKinds()) {
  test(`${kind}: a challenged order payment expires, gives back its usage and its order, and a late step-up is refused`, async () => {
    const t = await setUp(kind);
    try {
      const fresh = await t.identity.addCustomer({ deviceAgeMs: 1000 });
      const bob = await t.identity.addCustomer();
      await t.fund(fresh, 100_000n);
      const shop = await t.merchant();
      const order = await createCheckoutOrder(
        t.store,
        {
          merchantId: shop.id,
          merchantReference: 'C-1',
          amount: 5_000n,
          currency: 'CNY',
          description: 'Tea',
          ttlMs: 3600_000,
        },
        t.clock(),
      );
      const started = await payOrder(
        t.ctx,
        fresh.principal,
        order.id,
        signed(t.identity, fresh, { kind: 'order_payment', target: order.id, amount: '50.00' }, t.clock()),
      );
      assert.equal(started.payment.state, 'challenged');
      assert.equal((await orderById(t.store, order.id, t.clock()))?.state, 'paying');
      const transfer = await transferToCustomer(
        t.ctx,
        fresh.principal,
        signed(t.identity, fresh, { kind: 'transfer', target: bob.customer.id, amount: '20.00' }, t.clock()),
      );
      assert.equal(transfer.payment.state, 'challenged');
      assert.deepEqual(await t.usage(fresh), [7_000n, 7_000n, 7_000n]);
      // Just inside the window nothing expires.
      t.advance(t.ctx.settings.challengeTtlMs - 1_000);
      assert.equal(await expireChallengedPayments(t.ctx, 100), 0);
      t.advance(2_000);
      // A step-up after the window is refused and expires the payment on the way, before any sweep.
      assert.equal(
        await refusal(
          resumeChallengedPayment(t.ctx, fresh.principal, transfer.payment.id, {
            kind: 'totp',
            code: t.identity.stepUpCode,
          }),
        ),
        'challenge_expired',
      );
      assert.equal(await expireChallengedPayments(t.ctx, 100), 1);
      for (const id of [started.payment.id, transfer.payment.id]) {
        const after = await paymentById(t.store, id);
        assert.equal(after?.state, 'failed');
        assert.equal(after?.failureCode, 'challenge_expired');
      }
      assert.deepEqual(await t.usage(fresh), [0n, 0n, 0n]);
      assert.equal((await orderById(t.store, order.id, t.clock()))?.state, 'open');
      assert.equal(
        await refusal(
          resumeChallengedPayment(t.ctx, fresh.principal, started.payment.id, {
            kind: 'totp',
            code: t.identity.stepUpCode,
          }),
        ),
        'challenge_expired',
      );
      assert.equal(await t.balance(fresh), 100_000n);
      assert.equal(await t.balance(bob), 0n);
      const audited = await t.store.all(
        "SELECT action FROM audit_entries WHERE target = ? AND action = 'payment.fail'",
        [started.payment.id],
      );
      assert.equal(audited.length, 1);
    } finally {
      await t.close();
    }
  });

  test(`${kind}: orders and requests for money past their expiry are written expired; merchant and payers are told`, async () => {
    const t = await setUp(kind);
    try {
      const alice = await t.identity.addCustomer();
      const bob = await t.identity.addCustomer();
      const carol = await t.identity.addCustomer();
      // Notices belong to identity's customers: the three exist there as they do in the product.
      for (const [i, who] of [alice, bob, carol].entries()) {
        await t.store.run(
          'INSERT INTO customers (id, phone_sealed, phone_index, name_sealed, id_number_sealed, id_number_index, ' +
            "account_class, password_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 'I', 'x', 0, 0)",
          [
            who.customer.id,
            Buffer.from('p'),
            Buffer.from(`phone-${i}`),
            Buffer.from('n'),
            Buffer.from('i'),
            Buffer.from(`id-${i}`),
          ],
        );
      }
      const shop = await t.merchant();
      const order = await createCheckoutOrder(
        t.store,
        {
          merchantId: shop.id,
          merchantReference: 'E-1',
          amount: 100n,
          currency: 'CNY',
          description: 'Tea',
          ttlMs: 60_000,
        },
        t.clock(),
      );
      const request = await requestMoney(t.ctx, alice.principal, {
        payerId: bob.customer.id,
        amount: 300n,
        currency: 'CNY',
        note: 'lunch',
        ttlMs: 60_000,
      });
      // Carol tries to pay a second order without the money: the attempt fails and the order stays open.
      const tried = await createCheckoutOrder(
        t.store,
        {
          merchantId: shop.id,
          merchantReference: 'E-2',
          amount: 200n,
          currency: 'CNY',
          description: 'Cake',
          ttlMs: 60_000,
        },
        t.clock(),
      );
      const attempt = signed(t.identity, carol, { kind: 'order_payment', target: tried.id, amount: '2.00' }, t.clock());
      assert.equal(
        (await payOrder(t.ctx, carol.principal, tried.id, attempt)).payment.failureCode,
        'insufficient_funds',
      );
      assert.deepEqual(await expireOrdersAndRequests(t.ctx, 100), { orders: 0, requests: 0 });
      t.advance(61_000);
      assert.deepEqual(await expireOrdersAndRequests(t.ctx, 100), { orders: 2, requests: 1 });
      assert.deepEqual(await expireOrdersAndRequests(t.ctx, 100), { orders: 0, requests: 0 });
      assert.equal((await t.store.get('SELECT state FROM checkout_orders WHERE id = ?', [order.id]))?.state, 'expired');
      assert.equal(
        (await t.store.get('SELECT state FROM collect_requests WHERE id = ?', [request.id]))?.state,
        'expired',
      );
      assert.equal((await collectRequestById(t.store, request.id, t.clock()))?.state, 'expired');
      const events = await t.store.all('SELECT topic, subject FROM events WHERE merchant_id = ? ORDER BY subject', [
        shop.id,
      ]);
      assert.deepEqual(
        events.map((e) => `${String(e.topic)} ${String(e.subject)}`),
        [`order.expired ${order.id}`, `order.expired ${tried.id}`].sort(),
      );
      // The payer and the requester of the request, and the customer who tried to pay the order, see a notice.
      const notices = async (who: TestCustomer) =>
        (await listNotifications(t.store, who.customer.id, { limit: 10 })).items.map(
          (n) => `${n.kind}: ${n.message ?? ''}`,
        );
      assert.deepEqual(await notices(bob), [
        'collect_request.expired: A request for 3.00 CNY to you has expired unpaid',
      ]);
      assert.deepEqual(await notices(alice), ['collect_request.expired: Your request for 3.00 CNY has expired unpaid']);
      assert.deepEqual(await notices(carol), [
        'order.expired: The order of 2.00 CNY you tried to pay has expired unpaid',
      ]);
    } finally {
      await t.close();
    }
  });

  test(`${kind}: large refunds open their proposal, count cumulatively, release on rejection and expiry; refunded comes from executed refunds`, async () => {
    const t = await setUp(kind, { ANFU_REFUND_APPROVAL_MINOR: '5000' });
    try {
      const alice = await t.identity.addCustomer();
      await t.fund(alice, 100_000n);
      const shop = await t.merchant(0);
      const order = await createCheckoutOrder(
        t.store,
        {
          merchantId: shop.id,
          merchantReference: 'R-1',
          amount: 10_000n,
          currency: 'CNY',
          description: 'Tea',
          ttlMs: 60_000,
        },
        t.clock(),
      );
      const paid = await payOrder(
        t.ctx,
        alice.principal,
        order.id,
        signed(t.identity, alice, { kind: 'order_payment', target: order.id, amount: '100.00' }, t.clock()),
      );
      assert.equal(paid.payment.state, 'succeeded');
      const registry = new ProposalRegistry();
      registry.register(refundApprovalExecutor(t.ctx));
      const approvals: ApprovalsContext = { store: t.store, registry, ttlMs: t.config.proposalTtlMs };
      const small = await requestRefund(t.ctx, shop.id, paid.payment.id, {
        amount: 3_000n,
        reason: 'short',
        idempotencyKey: 'r-1',
      });
      assert.equal(small.refund.state, 'succeeded');
      // 3,000 + 3,000 is above 5,000: the second small refund needs approval (splitting does not avoid it).
      const second = await requestRefund(t.ctx, shop.id, paid.payment.id, {
        amount: 3_000n,
        reason: 'split',
        idempotencyKey: 'r-2',
      });
      assert.equal(second.refund.state, 'awaiting_approval');
      assert.ok(second.refund.proposalId !== null);
      const proposal = await findProposal(t.store, second.refund.proposalId);
      assert.equal(proposal?.state, 'pending');
      assert.equal(proposal?.kind, 'payment.refund');
      let payment = await paymentById(t.store, paid.payment.id);
      assert.equal(payment?.refundedAmount, 3_000n, 'awaiting refunds are not refunded money');
      assert.equal(payment?.state, 'succeeded');
      // Reserved 6,000 of 10,000: 4,001 more is refused while the approval is pending.
      assert.equal(
        await refusal(
          requestRefund(t.ctx, shop.id, paid.payment.id, { amount: 4_001n, reason: 'too much', idempotencyKey: 'r-3' }),
        ),
        'refund_exceeds_payment',
      );
      assert.ok((await rejectProposal(approvals, operator('op_checker'), second.refund.proposalId, t.clock())).ok);
      assert.deepEqual(await sweepRefunds(t.ctx, { olderThanMs: 60_000, limit: 100 }), { executed: 0, rejected: 1 });
      assert.equal(
        (await refundsOf(t.store, paid.payment.id)).find((r) => r.id === second.refund.id)?.state,
        'rejected',
      );
      // Released: 7,000 fits again; it waits for approval, its proposal expires, the reservation comes back.
      const third = await requestRefund(t.ctx, shop.id, paid.payment.id, {
        amount: 7_000n,
        reason: 'rest',
        idempotencyKey: 'r-4',
      });
      assert.equal(third.refund.state, 'awaiting_approval');
      t.advance(t.config.proposalTtlMs + 1);
      assert.deepEqual(await sweepRefunds(t.ctx, { olderThanMs: 60_000, limit: 100 }), { executed: 0, rejected: 1 });
      // Approved this time: the payment is fully refunded only when the money has moved.
      const fourth = await requestRefund(t.ctx, shop.id, paid.payment.id, {
        amount: 7_000n,
        reason: 'rest',
        idempotencyKey: 'r-5',
      });
      assert.equal(fourth.refund.state, 'awaiting_approval');
      const approved = await approveProposal(
        approvals,
        operator('op_checker'),
        fourth.refund.proposalId ?? '',
        t.clock,
      );
      assert.ok(approved.ok);
      assert.equal(approved.proposal.state, 'executed');
      payment = await paymentById(t.store, paid.payment.id);
      assert.equal(payment?.refundedAmount, 10_000n);
      assert.equal(payment?.state, 'reversed');
      assert.equal(await t.balance(alice), 100_000n);
      assert.equal(balanceOf(await merchantAccountOf(t.ledger, shop.id, 'CNY')), 0n);
      const report = await t.ledger.verify();
      assert.deepEqual(report.problems, []);
    } finally {
      await t.close();
    }
  });

  test(`${kind}: two concurrent refunds under one idempotency key give one refund and one replay`, async () => {
    const t = await setUp(kind);
    try {
      const alice = await t.identity.addCustomer();
      await t.fund(alice, 100_000n);
      const shop = await t.merchant(0);
      const order = await createCheckoutOrder(
        t.store,
        {
          merchantId: shop.id,
          merchantReference: 'K-1',
          amount: 10_000n,
          currency: 'CNY',
          description: 'Tea',
          ttlMs: 60_000,
        },
        t.clock(),
      );
      const paid = await payOrder(
        t.ctx,
        alice.principal,
        order.id,
        signed(t.identity, alice, { kind: 'order_payment', target: order.id, amount: '100.00' }, t.clock()),
      );
      const request = { amount: 2_500n, reason: 'twice', idempotencyKey: 'same-key' };
      const both = await Promise.all([
        requestRefund(t.ctx, shop.id, paid.payment.id, request),
        requestRefund(t.ctx, shop.id, paid.payment.id, request),
      ]);
      assert.deepEqual(both.map((b) => b.replayed).sort(), [false, true]);
      assert.equal(both[0].refund.id, both[1].refund.id);
      assert.equal((await refundsOf(t.store, paid.payment.id)).length, 1);
      assert.equal(await t.balance(alice), 100_000n - 10_000n + 2_500n);
      assert.equal((await paymentById(t.store, paid.payment.id))?.refundedAmount, 2_500n);
    } finally {
      await t.close();
    }
  });

  test(`${kind}: a repeated merchant reference returns the order when the body matches, and is refused when it differs`, async () => {
    const t = await setUp(kind);
    try {
      const shop = await t.merchant();
      const input = {
        merchantId: shop.id,
        merchantReference: 'M-1',
        amount: 1_000n,
        currency: 'CNY',
        description: 'Tea',
        ttlMs: 60_000,
      };
      const first = await openCheckoutOrder(t.store, input, t.clock());
      assert.equal(first.replayed, false);
      const again = await openCheckoutOrder(t.store, input, t.clock());
      assert.deepEqual(
        [again.replayed, again.order.id, again.order.paymentCode],
        [true, first.order.id, first.order.paymentCode],
      );
      for (const changed of [{ amount: 1_001n }, { currency: 'USD' }, { description: 'Coffee' }]) {
        assert.equal(
          await refusal(openCheckoutOrder(t.store, { ...input, ...changed }, t.clock())),
          'order_reference_conflict',
        );
      }
      // Another merchant's reference is its own.
      const other = await t.merchant();
      assert.equal((await openCheckoutOrder(t.store, { ...input, merchantId: other.id }, t.clock())).replayed, false);
      assert.equal((await t.store.all('SELECT id FROM checkout_orders')).length, 2);
    } finally {
      await t.close();
    }
  });

  test(`${kind}: refunds under one key from two connections at once: one refund, the rest replays, never an error`, async () => {
    const t = await setUp(kind);
    // PostgreSQL: a second pool, as a second API process has. SQLite is served by one process (its
    // connection is synchronous: a second writer in the same process would block it), so there the
    // racers are concurrent requests of that process, which is the deployment.
    const second = kind === 'postgres' ? t.database.open() : t.store;
    try {
      const alice = await t.identity.addCustomer();
      await t.fund(alice, 100_000n);
      const shop = await t.merchant(0);
      const order = await createCheckoutOrder(
        t.store,
        {
          merchantId: shop.id,
          merchantReference: 'K-2',
          amount: 10_000n,
          currency: 'CNY',
          description: 'Tea',
          ttlMs: 60_000,
        },
        t.clock(),
      );
      const paid = await payOrder(
        t.ctx,
        alice.principal,
        order.id,
        signed(t.identity, alice, { kind: 'order_payment', target: order.id, amount: '100.00' }, t.clock()),
      );
      const secondLedger = second === t.store ? t.ledger : new Ledger({ store: second });
      const other: PaymentsContext = { ...t.ctx, store: second, ledger: secondLedger };
      try {
        for (let round = 0; round < 5; round += 1) {
          const request = { amount: 1_000n, reason: 'race', idempotencyKey: `race-${round}` };
          const racers = [t.ctx, other, t.ctx, other].map((ctx) =>
            requestRefund(ctx, shop.id, paid.payment.id, request),
          );
          const settled = await Promise.allSettled(racers);
          const outcomes = settled.map((x) => (x.status === 'fulfilled' ? x.value : undefined));
          assert.deepEqual(
            settled.filter((x) => x.status === 'rejected'),
            [],
            'no racer fails',
          );
          assert.deepEqual(outcomes.map((o) => o?.replayed).sort(), [false, true, true, true]);
          assert.equal(new Set(outcomes.map((o) => o?.refund.id)).size, 1);
        }
      } finally {
        if (secondLedger !== t.ledger) await secondLedger.close();
      }
      assert.equal((await refundsOf(t.store, paid.payment.id)).length, 5);
      assert.equal(await t.balance(alice), 100_000n - 10_000n + 5_000n);
      assert.equal((await paymentById(t.store, paid.payment.id))?.refundedAmount, 5_000n);
      assert.deepEqual((await t.ledger.verify()).problems, []);
    } finally {
      if (second !== t.store) await second.close();
      await t.close();
    }
  });

  test(`${kind}: an order payment settles principal and fee in one linked submit — a refused fee leg moves nothing`, async () => {
    const t = await setUp(kind);
    try {
      const alice = await t.identity.addCustomer();
      await t.fund(alice, 100_000n);
      const shop = await t.merchant(60);
      const fees = await feeAccountOf(t.ledger, 'CNY');
      // The fee account closed: the fee leg is refused, so the principal must not move either.
      await t.store.run("UPDATE ledger_accounts SET status = 'closed' WHERE id = ?", [fees.id]);
      const order = await createCheckoutOrder(
        t.store,
        {
          merchantId: shop.id,
          merchantReference: 'L-1',
          amount: 10_000n,
          currency: 'CNY',
          description: 'Tea',
          ttlMs: 60_000,
        },
        t.clock(),
      );
      const paid = await payOrder(
        t.ctx,
        alice.principal,
        order.id,
        signed(t.identity, alice, { kind: 'order_payment', target: order.id, amount: '100.00' }, t.clock()),
      );
      assert.equal(paid.payment.state, 'failed');
      assert.equal(paid.payment.failureCode, 'account_closed');
      assert.equal(await t.balance(alice), 100_000n);
      assert.equal(balanceOf(await merchantAccountOf(t.ledger, shop.id, 'CNY')), 0n);
      const moved = await t.store.all('SELECT idempotency_key FROM ledger_transfers WHERE reference = ?', [
        paid.payment.id,
      ]);
      assert.deepEqual(moved, [], 'no leg and no compensation was written');
      assert.equal((await orderById(t.store, order.id, t.clock()))?.state, 'open');
      assert.deepEqual(await t.usage(alice), [0n, 0n, 0n]);
    } finally {
      await t.close();
    }
  });
}
