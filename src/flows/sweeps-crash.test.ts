// A crash test for each payments sweep without a bank (issue 10): a child process runs the sweep and
// is SIGKILLed between two steps (after the ledger moved money, before the state was recorded; or
// after the first of several transactions). The dead child still holds the sweep's lease, so a pass
// before the lease lapses does nothing; after it, the sweep completes: no double payout, no stuck
// state, balances exact, ledger whole.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { loadConfig } from '../config.ts';
import { testKeyring } from '../crypto/testing.ts';
import { Ledger, balanceOf } from '../ledger/index.ts';
import { forkWorker } from '../ledger/testing/fork-worker.ts';
import {
  createCheckoutOrder,
  feeAccountOf,
  merchantAccountOf,
  merchantProtectionWith,
  onboardMerchant,
  orderById,
  paymentById,
  paymentSettingsOf,
  refundById,
  requestRefund,
  walletOf,
  type PaymentsContext,
} from '../payments/index.ts';
import { createTestIdentity, instructionFor, signInstruction, type TestCustomer } from '../payments/testing.ts';
import type { SweepCrashConfig } from './testing/sweep-crash-worker.ts';
import { passLeaseMs, underLease } from '../store/index.ts';
import { createTestDatabase, testStoreKinds, type TestDatabase } from '../store/testing.ts';
import { payOrder } from './pay-order.ts';
import { paymentSweeps } from './payment-sweeps.ts';
import { resumeChallengedPayment } from './resume-challenged-payment.ts';

const workerPath = '../../flows/testing/sweep-crash-worker.ts';

async function setUp(kind: 'sqlite' | 'postgres') {
  const database = await createTestDatabase(kind);
  const store = database.open();
  const ledger = new Ledger({ store });
  const identity = await createTestIdentity('intl');
  const ctx: PaymentsContext = {
    store,
    ledger,
    identity,
    settings: paymentSettingsOf(loadConfig({ ANFU_ENV: 'test' })),
    clock: Date.now,
  };
  const bank = await ledger.openAccount({ kind: 'bank_settlement', currency: 'CNY', name: 'Test bank' });
  const fund = async (who: TestCustomer, minor: bigint) => {
    const wallet = await walletOf(ledger, who.customer.id, 'CNY');
    assert.ok(
      (
        await ledger.submit({
          kind: 'single',
          key: `fund:${who.customer.id}`,
          debitAccountId: bank.id,
          creditAccountId: wallet.id,
          amount: minor,
          currency: 'CNY',
        })
      ).ok,
    );
  };
  const shop = (
    await onboardMerchant(
      store,
      merchantProtectionWith(await testKeyring(store)),
      {
        name: 'Tea House',
        businessRegistration: '91310000MA1K000000',
        contactEmail: 'ops@tea.example',
        settlementAccount: '6222020200112233445',
        feeBps: 100,
      },
      'op_test',
      60,
      Date.now(),
    )
  ).merchant;
  const close = async () => {
    await ledger.close();
    await store.close();
    await database.drop();
  };
  return { database, store, ledger, identity, ctx, fund, shop, close };
}

type Setup = Awaited<ReturnType<typeof setUp>>;

/** The context with a ledger that "crashes" (throws) on every money step: what a process dying there leaves behind. */
function failingMoney(ctx: PaymentsContext): PaymentsContext {
  const crash = () => Promise.reject(new Error('simulated crash before the money moved'));
  const ledger = new Proxy(ctx.ledger, {
    get(target, property) {
      if (property === 'submit' || property === 'submitLinked' || property === 'applyWithin') return crash;
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { ...ctx, ledger };
}

async function orderPaidBy(s: Setup, who: TestCustomer, ref: string, ctx: PaymentsContext, at = Date.now()) {
  const order = await createCheckoutOrder(
    s.store,
    {
      merchantId: s.shop.id,
      merchantReference: ref,
      amount: 10_000n,
      currency: 'CNY',
      description: 'Tea',
      ttlMs: 3600_000,
    },
    at,
  );
  const instruction = instructionFor(who, { kind: 'order_payment', target: order.id, amount: '100.00' }, at);
  const request = {
    instruction,
    signature: signInstruction(s.identity.profile, who, instruction),
    idempotencyKey: `crash-${ref}`,
  };
  const paid = await payOrder(ctx, who.principal, order.id, request).catch(() => undefined);
  return { order, paid };
}

async function crashDuring(
  database: TestDatabase,
  config: Omit<SweepCrashConfig, 'databaseUrl' | 'sqlitePath' | 'schema'>,
): Promise<void> {
  const child = forkWorker(workerPath, {
    ANFU_SWEEP_CRASH: JSON.stringify({
      databaseUrl: database.databaseUrl,
      sqlitePath: database.sqlitePath,
      schema: database.schema,
      ...config,
    }),
  });
  const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
  assert.equal(signal, 'SIGKILL', `the worker was to die mid-sweep, it exited with ${code}`);
}

/** After the crash: the dead holder's lease blocks a pass until it lapses; then the sweep completes. */
async function restartSweep(s: Setup, name: string, offsetMs: number): Promise<void> {
  const sweeps = (clock: () => number) => paymentSweeps({ ...s.ctx, clock }, undefined);
  const during = () => Date.now() + offsetMs;
  const blocked = await underLease(s.store, name, during, async () => undefined);
  assert.equal(blocked.ran, false, 'the lease of the killed process is still held');
  const after = () => Date.now() + offsetMs + passLeaseMs + 1_000;
  const sweep = sweeps(after).find(([n]) => n === name);
  assert.ok(sweep !== undefined);
  assert.equal((await underLease(s.store, name, after, sweep[1])).ran, true);
}

async function transfersOf(s: Setup, reference: string): Promise<string[]> {
  return (
    await s.store.all('SELECT idempotency_key FROM ledger_transfers WHERE reference = ? ORDER BY seq', [reference])
  ).map((r) => String(r.idempotency_key));
}

for (const kind of testStoreKinds()) {
  test(
    `${kind}: settle-stuck sweep killed after the linked submit completes once on restart`,
    { timeout: 120_000 },
    async () => {
      const s = await setUp(kind);
      try {
        // An order payment commits with its money in its batch (a crash there takes both back); one
        // is left `processing` by a crash between its passed step-up and its money.
        const alice = await s.identity.addCustomer({ deviceAgeMs: 1000 });
        await s.fund(alice, 50_000n);
        const { order, paid } = await orderPaidBy(s, alice, 'S-1', s.ctx);
        const stuck = paid?.payment.id ?? '';
        assert.equal(paid?.payment.state, 'challenged');
        const factor = { kind: 'totp' as const, code: s.identity.stepUpCode };
        await resumeChallengedPayment(failingMoney(s.ctx), alice.principal, stuck, factor).catch(() => undefined);
        assert.equal((await paymentById(s.store, stuck))?.state, 'processing');
        await crashDuring(s.database, { sweep: 'payments.settle-stuck', killAfter: 'ledger', clockOffsetMs: 120_000 });
        assert.equal(
          (await paymentById(s.store, stuck))?.state,
          'processing',
          'killed before the outcome was recorded',
        );
        await restartSweep(s, 'payments.settle-stuck', 120_000);
        assert.equal((await paymentById(s.store, stuck))?.state, 'succeeded');
        assert.equal((await orderById(s.store, order.id, Date.now()))?.state, 'paid');
        assert.deepEqual(await transfersOf(s, stuck), [`${stuck}:principal`, `${stuck}:fee`]);
        assert.equal(balanceOf(await walletOf(s.ledger, alice.customer.id, 'CNY')), 40_000n);
        assert.equal(balanceOf(await merchantAccountOf(s.ledger, s.shop.id, 'CNY')), 9_900n);
        assert.equal(balanceOf(await feeAccountOf(s.ledger, 'CNY')), 100n);
        assert.deepEqual((await s.ledger.verify()).problems, []);
      } finally {
        await s.close();
      }
    },
  );

  test(
    `${kind}: refunds sweep killed after the refund's transfer, before its commit, completes once on restart`,
    { timeout: 120_000 },
    async () => {
      const s = await setUp(kind);
      try {
        const alice = await s.identity.addCustomer();
        await s.fund(alice, 50_000n);
        const { paid } = await orderPaidBy(s, alice, 'R-1', s.ctx);
        assert.equal(paid?.payment.state, 'succeeded');
        const paymentId = paid?.payment.id ?? '';
        await requestRefund(failingMoney(s.ctx), s.shop.id, paymentId, {
          amount: 4_000n,
          reason: 'crash',
          idempotencyKey: 'crash-refund',
        }).catch(() => undefined);
        const refundId = String((await s.store.get('SELECT id FROM refunds WHERE payment_id = ?', [paymentId]))?.id);
        assert.equal((await refundById(s.store, refundId))?.state, 'processing');
        await crashDuring(s.database, { sweep: 'payments.refunds', killAfter: 'ledger', clockOffsetMs: 120_000 });
        assert.equal(
          (await refundById(s.store, refundId))?.state,
          'processing',
          'killed before the outcome was recorded',
        );
        // The transfer is applied in the refund's own transaction: the kill took it back with the state.
        assert.deepEqual(await transfersOf(s, refundId), []);
        await restartSweep(s, 'payments.refunds', 120_000);
        assert.equal((await refundById(s.store, refundId))?.state, 'succeeded');
        assert.deepEqual(await transfersOf(s, refundId), [`${refundId}:refund`]);
        assert.equal(balanceOf(await walletOf(s.ledger, alice.customer.id, 'CNY')), 50_000n - 10_000n + 4_000n);
        assert.equal((await paymentById(s.store, paymentId))?.refundedAmount, 4_000n);
        assert.deepEqual((await s.ledger.verify()).problems, []);
      } finally {
        await s.close();
      }
    },
  );

  test(
    `${kind}: challenge-expiry sweep killed after its first transaction finishes the rest on restart`,
    { timeout: 120_000 },
    async () => {
      const s = await setUp(kind);
      try {
        const fresh = await s.identity.addCustomer({ deviceAgeMs: 1000 });
        await s.fund(fresh, 50_000n);
        const first = await orderPaidBy(s, fresh, 'C-1', s.ctx);
        const second = await orderPaidBy(s, fresh, 'C-2', s.ctx);
        assert.equal(first.paid?.payment.state, 'challenged');
        assert.equal(second.paid?.payment.state, 'challenged');
        const offset = s.ctx.settings.challengeTtlMs + 60_000;
        await crashDuring(s.database, {
          sweep: 'payments.expire-challenges',
          killAfter: 'transaction',
          clockOffsetMs: offset,
        });
        const states = async () =>
          Promise.all([first, second].map(async (x) => (await paymentById(s.store, x.paid?.payment.id ?? ''))?.state));
        assert.deepEqual((await states()).sort(), ['challenged', 'failed'], 'one expired before the kill');
        await restartSweep(s, 'payments.expire-challenges', offset);
        assert.deepEqual(await states(), ['failed', 'failed']);
        for (const x of [first, second])
          assert.equal((await orderById(s.store, x.order.id, Date.now()))?.state, 'open');
        const used = await s.store.all('SELECT used FROM payment_limit_usage WHERE customer_id = ?', [
          fresh.customer.id,
        ]);
        assert.deepEqual(
          used.map((r) => BigInt(r.used as bigint)),
          [0n, 0n, 0n],
        );
        assert.equal(balanceOf(await walletOf(s.ledger, fresh.customer.id, 'CNY')), 50_000n);
      } finally {
        await s.close();
      }
    },
  );

  test(
    `${kind}: order-expiry sweep killed after its first transaction finishes the rest on restart, one webhook each`,
    { timeout: 120_000 },
    async () => {
      const s = await setUp(kind);
      try {
        const orders = await Promise.all(
          ['X-1', 'X-2'].map((ref) =>
            createCheckoutOrder(
              s.store,
              {
                merchantId: s.shop.id,
                merchantReference: ref,
                amount: 100n,
                currency: 'CNY',
                description: 'Tea',
                ttlMs: 60_000,
              },
              Date.now(),
            ),
          ),
        );
        await crashDuring(s.database, {
          sweep: 'payments.expire-orders',
          killAfter: 'transaction',
          clockOffsetMs: 120_000,
        });
        await restartSweep(s, 'payments.expire-orders', 120_000);
        for (const order of orders)
          assert.equal(
            (await s.store.get('SELECT state FROM checkout_orders WHERE id = ?', [order.id]))?.state,
            'expired',
          );
        const events = await s.store.all("SELECT subject FROM events WHERE topic = 'order.expired' ORDER BY subject");
        assert.deepEqual(
          events.map((e) => e.subject),
          orders.map((o) => o.id).sort(),
        );
      } finally {
        await s.close();
      }
    },
  );
}
