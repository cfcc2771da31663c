// Funding limits (docs/payments.md "Funding limits"): the pure decider at N and N+1 for each limit,
// and a seeded property run of top-ups and withdrawals through the flows against `anfu bank-sim` on
// both stores, checking every outcome and the exact wallet balance against a model after each step,
// and that a failed funding gives its limit usage back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CardLink } from '../banks/index.ts';
import { withCheckDigit } from '../cards/index.ts';
import { startBankSimProcess } from '../banks/testing/bank-sim-process.ts';
import { loadConfig } from '../config.ts';
import { testKeyring } from '../crypto/testing.ts';
import { TokenVault } from '../crypto/index.ts';
import { AnfuError } from '../errors.ts';
import { Ledger, balanceOf } from '../ledger/index.ts';
import {
  decideFundingLimits,
  defaultLimitPolicy,
  paymentSettingsOf,
  walletOf,
  type CardFunding,
  type FundingLimitPolicy,
  type PaymentsContext,
} from '../payments/index.ts';
import {
  createTestIdentity,
  instructionFor,
  signInstruction,
  verifiedTestCard,
  type TestCustomer,
} from '../payments/testing.ts';
import { createTestDatabase, testStoreKinds } from '../store/testing.ts';
import { topUpByCard } from './top-up-by-card.ts';
import { withdrawToCard } from './withdraw-to-card.ts';

const policy: FundingLimitPolicy = {
  topUpTransactionMaxMinor: 30_000n,
  topUpDayMaxMinor: 80_000n,
  withdrawalTransactionMaxMinor: 20_000n,
  withdrawalDayMaxMinor: 50_000n,
};
const usage = (fundingDayMinor: bigint, r62: bigint = 0n) => ({
  lifetimeMinor: r62,
  yearMinor: r62,
  dayMinor: r62,
  fundingDayMinor,
});
const decide = (
  kind: 'top_up' | 'withdrawal',
  amountMinor: bigint,
  u = usage(0n),
  accountClass: 'I' | 'II' | 'III' = 'III',
) =>
  decideFundingLimits(
    { kind, amountMinor, accountClass, strength: 'certificate', usage: u },
    policy,
    defaultLimitPolicy,
  );
const limitOf = (d: ReturnType<typeof decide>) => (d.ok ? 'ok' : d.limit);

test('funding limits: each at N and N+1', () => {
  assert.equal(limitOf(decide('top_up', 30_000n)), 'ok');
  assert.equal(limitOf(decide('top_up', 30_001n)), 'funding_transaction');
  assert.equal(limitOf(decide('top_up', 30_000n, usage(50_000n))), 'ok');
  assert.equal(limitOf(decide('top_up', 30_000n, usage(50_001n))), 'funding_day');
  assert.equal(limitOf(decide('withdrawal', 20_000n)), 'ok');
  assert.equal(limitOf(decide('withdrawal', 20_001n)), 'funding_transaction');
  assert.equal(limitOf(decide('withdrawal', 20_000n, usage(30_000n))), 'ok');
  assert.equal(limitOf(decide('withdrawal', 20_000n, usage(30_001n))), 'funding_day');
  // R6.2 for withdrawals only: class I may move 1,000 CNY in its lifetime.
  assert.equal(limitOf(decide('withdrawal', 20_000n, usage(0n, 80_000n), 'I')), 'ok');
  assert.equal(limitOf(decide('withdrawal', 20_000n, usage(0n, 80_001n), 'I')), 'class_lifetime');
  assert.equal(limitOf(decide('top_up', 20_000n, usage(0n, 100_000n), 'I')), 'ok');
  assert.throws(() => decide('top_up', 0n));
});

test('R4.4: a high-risk customer withdraws within half of the R6.2 day limit; top-ups are not cut', () => {
  const weak = (kind: 'top_up' | 'withdrawal', amountMinor: bigint, riskLevel: string, r62: bigint) =>
    decideFundingLimits(
      { kind, amountMinor, accountClass: 'III', strength: 'weak', riskLevel, usage: usage(0n, r62) },
      policy,
      defaultLimitPolicy,
    );
  // A weak session's day limit is 1,000.00 CNY: 500.00 for a high-risk customer.
  assert.equal(limitOf(weak('withdrawal', 20_000n, 'high', 30_000n)), 'ok');
  assert.equal(limitOf(weak('withdrawal', 20_000n, 'high', 30_001n)), 'day');
  assert.equal(limitOf(weak('withdrawal', 20_000n, 'low', 80_000n)), 'ok');
  assert.equal(limitOf(weak('withdrawal', 20_000n, 'medium', 80_001n)), 'day');
  assert.equal(limitOf(weak('top_up', 30_000n, 'high', 90_000n)), 'ok');
});

interface Model {
  balance: bigint;
  topUpDay: bigint;
  withdrawalDay: bigint;
  lifetime: bigint;
}

/** What the platform must answer for one request, and the model after it. */
function expected(model: Model, kind: 'top_up' | 'withdrawal', amount: bigint, classOneLifetimeMinor: bigint): string {
  if (kind === 'top_up') {
    if (amount > policy.topUpTransactionMaxMinor) return 'limit_exceeded';
    if (model.topUpDay + amount > policy.topUpDayMaxMinor) return 'limit_exceeded';
    model.topUpDay += amount;
    model.balance += amount;
    return 'succeeded';
  }
  if (amount > policy.withdrawalTransactionMaxMinor || model.withdrawalDay + amount > policy.withdrawalDayMaxMinor)
    return 'limit_exceeded';
  if (model.lifetime + amount > classOneLifetimeMinor) return 'limit_exceeded';
  // Refused by the ledger: the funding fails and its usage is given back.
  if (amount > model.balance) return 'failed';
  model.withdrawalDay += amount;
  model.lifetime += amount;
  model.balance -= amount;
  return 'succeeded';
}

for (const kind of testStoreKinds()) {
  test(`${kind}: property: top-ups and withdrawals meet their limits with exact balances`, async () => {
    const sim = await startBankSimProcess({ unknownCards: 'approve' });
    const database = await createTestDatabase(kind);
    const store = database.open();
    const ledger = new Ledger({ store });
    const identity = await createTestIdentity('intl');
    const config = loadConfig({
      ANFU_ENV: 'test',
      ANFU_TOP_UP_TRANSACTION_MAX_MINOR: String(policy.topUpTransactionMaxMinor),
      ANFU_TOP_UP_DAY_MAX_MINOR: String(policy.topUpDayMaxMinor),
      ANFU_WITHDRAWAL_TRANSACTION_MAX_MINOR: String(policy.withdrawalTransactionMaxMinor),
      ANFU_WITHDRAWAL_DAY_MAX_MINOR: String(policy.withdrawalDayMaxMinor),
      ANFU_LIMIT_CLASS_I_LIFETIME_MINOR: '60000',
    });
    const ctx: PaymentsContext = { store, ledger, identity, settings: paymentSettingsOf(config), clock: Date.now };
    const link = new CardLink({
      port: sim.port,
      terminalId: 'TLIM0001',
      merchantId: 'ANFUTOPUP000001',
      responseTimeoutMs: 2000,
    });
    const funding: CardFunding = {
      link,
      vault: new TokenVault(await testKeyring(store)),
      bank: 'SIMBANK',
      terminalId: 'TLIM0001',
      merchantId: 'ANFUTOPUP000001',
    };
    let keys = 0;
    let cards = 0;
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.array(
            fc.record({
              kind: fc.constantFrom('top_up' as const, 'withdrawal' as const),
              amount: fc.bigInt({ min: 1n, max: 35_000n }),
            }),
            { minLength: 1, maxLength: 8 },
          ),
          async (ops) => {
            // A fresh class I customer per run: usage starts at zero, and every limit is in reach.
            const who: TestCustomer = await identity.addCustomer({ accountClass: 'I' });
            // A card of its own too: one verified card belongs to one customer.
            const pan = withCheckDigit(`62220231${String((cards += 1)).padStart(10, '0')}`);
            const card = await verifiedTestCard(store, funding.vault, who.customer.id, {
              pan,
              expiryMonth: 12,
              expiryYear: 2030,
              bank: 'SIMBANK',
            });
            const model: Model = { balance: 0n, topUpDay: 0n, withdrawalDay: 0n, lifetime: 0n };
            for (const op of ops) {
              const want = expected(model, op.kind, op.amount, 60_000n);
              const instruction = instructionFor(who, {
                kind: op.kind,
                target: card.id,
                amount: (Number(op.amount) / 100).toFixed(2),
              });
              const request = {
                instruction,
                signature: signInstruction(identity.profile, who, instruction),
                idempotencyKey: `lim-${kind}-${keys++}`,
              };
              const run =
                op.kind === 'top_up'
                  ? topUpByCard(ctx, funding, who.principal, request)
                  : withdrawToCard(ctx, funding, who.principal, request);
              const got = await run.then(
                (r) => r.funding.state,
                (error: unknown) => (error instanceof AnfuError ? error.code : Promise.reject(error)),
              );
              assert.equal(got, want, `${op.kind} ${op.amount}`);
              assert.equal(balanceOf(await walletOf(ledger, who.customer.id, 'CNY')), model.balance);
            }
          },
        ),
        { numRuns: 12, seed: 91 },
      );
      assert.ok((await ledger.verify()).ok);
    } finally {
      link.close();
      await ledger.close();
      await store.close();
      await database.drop();
      await sim.stop();
    }
  });
}
