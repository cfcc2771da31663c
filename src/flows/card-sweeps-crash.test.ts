// A crash test for each payments sweep that talks to the bank (issue 10), on both stores, against
// `anfu bank-sim` as a real process: a child process runs the sweep over a real card link and is
// SIGKILLed between two steps (after the ledger moved money, after the bank answered, after the
// first of several transactions). The dead child's lease blocks a pass until it lapses; then the
// sweep completes: no double payout or credit, no stuck state, the bank's books and ours agree.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { CardLink } from '../banks/index.ts';
import { startBankSimProcess, type BankSimProcess } from '../banks/testing/bank-sim-process.ts';
import { withCheckDigit } from '../cards/index.ts';
import { loadConfig } from '../config.ts';
import { Kek, TokenVault } from '../crypto/index.ts';
import { testKeyring } from '../crypto/testing.ts';
import { Ledger, balanceOf } from '../ledger/index.ts';
import { forkWorker } from '../ledger/testing/fork-worker.ts';
import {
  bankSettlementOf,
  fundingById,
  paymentSettingsOf,
  walletOf,
  type CardFunding,
  type PaymentsContext,
} from '../payments/index.ts';
import {
  createTestIdentity,
  instructionFor,
  signInstruction,
  verifiedTestCard,
  type TestCustomer,
} from '../payments/testing.ts';
import { passLeaseMs, underLease } from '../store/index.ts';
import { createTestDatabase, testStoreKinds, type TestDatabase } from '../store/testing.ts';
import { paymentSweeps } from './payment-sweeps.ts';
import type { SweepCrashConfig } from './testing/sweep-crash-worker.ts';
import { topUpByCard } from './top-up-by-card.ts';
import { withdrawToCard } from './withdraw-to-card.ts';

const workerPath = '../../flows/testing/sweep-crash-worker.ts';
const pan = withCheckDigit('622202000000000001');
const otherPan = withCheckDigit('622202000000000019');

async function setUp(kind: 'sqlite' | 'postgres', sim: BankSimProcess) {
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
  const kekBytes = randomBytes(32);
  const keyring = await testKeyring(store, { kek: new Kek(kekBytes, 'test') });
  const terminalId = `T${kind.slice(0, 3).toUpperCase()}CRSH`;
  const link = new CardLink({
    port: sim.port,
    terminalId,
    merchantId: 'ANFUTOPUP000001',
    responseTimeoutMs: 2_000,
    reversalRetryDelayMs: 10,
  });
  const funding: CardFunding = {
    link,
    vault: new TokenVault(keyring),
    bank: 'SIMBANK',
    terminalId,
    merchantId: 'ANFUTOPUP000001',
  };
  const worker = { bankSimPort: sim.port, kekHex: kekBytes.toString('hex'), terminalId };
  const balance = async (who: TestCustomer) => balanceOf(await walletOf(ledger, who.customer.id, 'CNY'));
  const bank = async () => balanceOf(await bankSettlementOf(ledger, 'SIMBANK', 'CNY'));
  const card = (who: TestCustomer, number = pan) =>
    verifiedTestCard(store, funding.vault, who.customer.id, {
      pan: number,
      expiryMonth: 12,
      expiryYear: 2030,
      bank: 'SIMBANK',
    });
  const close = async () => {
    link.close();
    await ledger.close();
    await store.close();
    await database.drop();
  };
  return { database, store, ledger, identity, ctx, funding, worker, balance, bank, card, close };
}

type Setup = Awaited<ReturnType<typeof setUp>>;

let keys = 0;
function signed(s: Setup, who: TestCustomer, fields: Parameters<typeof instructionFor>[1]) {
  const instruction = instructionFor(who, fields);
  return {
    instruction,
    signature: signInstruction(s.identity.profile, who, instruction),
    idempotencyKey: `crash-${keys++}-${Date.now()}`,
  };
}

/** The context with a ledger that "crashes" (throws) on every money step. */
function failingMoney(ctx: PaymentsContext): PaymentsContext {
  const crash = () => Promise.reject(new Error('simulated crash before the money moved'));
  const ledger = new Proxy(ctx.ledger, {
    get(target, property) {
      if (property === 'submit' || property === 'submitLinked') return crash;
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { ...ctx, ledger };
}

/** The card link of a process that dies right after the bank answered the authorisation. */
function diesAfterAuthorising(funding: CardFunding): CardFunding {
  const link = new Proxy(funding.link, {
    get(target, property) {
      const value = Reflect.get(target, property, target) as unknown;
      if (typeof value !== 'function') return value;
      const bound = (value as (...args: unknown[]) => Promise<unknown>).bind(target);
      if (property !== 'authorise') return bound;
      return async (...args: unknown[]) => {
        await bound(...args);
        throw new Error('simulated crash after the bank answered');
      };
    },
  });
  return { ...funding, link };
}

type CrashPoint = Pick<SweepCrashConfig, 'sweep' | 'killAfter' | 'clockOffsetMs'>;

async function crashDuring(s: Setup, point: CrashPoint): Promise<void> {
  const config = {
    databaseUrl: s.database.databaseUrl,
    sqlitePath: s.database.sqlitePath,
    schema: s.database.schema,
    ...s.worker,
    ...point,
  };
  const child = forkWorker(workerPath, { ANFU_SWEEP_CRASH: JSON.stringify(config) });
  const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
  assert.equal(signal, 'SIGKILL', `the worker was to die mid-sweep, it exited with ${code}`);
}

/** After the crash: the dead holder's lease blocks a pass until it lapses; then the sweep completes. */
async function restartSweep(s: Setup, name: string, offsetMs: number): Promise<void> {
  const database: TestDatabase = s.database;
  assert.ok(database !== undefined);
  const during = () => Date.now() + offsetMs;
  assert.equal(
    (await underLease(s.store, name, during, async () => undefined)).ran,
    false,
    'the killed process still holds the lease',
  );
  const after = () => Date.now() + offsetMs + passLeaseMs + 1_000;
  const sweep = paymentSweeps({ ...s.ctx, clock: after }, s.funding).find(([n]) => n === name);
  assert.ok(sweep !== undefined);
  assert.equal((await underLease(s.store, name, after, sweep[1])).ran, true);
}

async function transfersOf(s: Setup, reference: string): Promise<string[]> {
  const rows = await s.store.all('SELECT idempotency_key FROM ledger_transfers WHERE reference = ? ORDER BY seq', [
    reference,
  ]);
  return rows.map((r) => String(r.idempotency_key));
}

for (const kind of testStoreKinds()) {
  test(`${kind}: card sweeps killed mid-step complete once on restart`, { timeout: 240_000 }, async (t) => {
    const sim = await startBankSimProcess({ unknownCards: 'approve' });
    const s = await setUp(kind, sim);
    try {
      const alice = await s.identity.addCustomer();
      const card = await s.card(alice);

      await t.test('card recovery: an approved top-up whose capture crashed is credited once', async () => {
        const request = signed(s, alice, { kind: 'top_up', target: card.id, amount: '500.00' });
        await assert.rejects(topUpByCard(failingMoney(s.ctx), s.funding, alice.principal, request));
        const id = String(
          (await s.store.get('SELECT id FROM funding_payments WHERE idempotency_key = ?', [request.idempotencyKey]))
            ?.id,
        );
        assert.equal((await fundingById(s.store, id))?.state, 'processing');
        await crashDuring(s, { sweep: 'payments.card-recovery', killAfter: 'ledger', clockOffsetMs: 120_000 });
        assert.equal((await fundingById(s.store, id))?.state, 'processing', 'killed before the outcome was recorded');
        await restartSweep(s, 'payments.card-recovery', 120_000);
        assert.equal((await fundingById(s.store, id))?.state, 'succeeded');
        assert.deepEqual(await transfersOf(s, id), [`${id}:hold`, `${id}:post`]);
        assert.equal(await s.balance(alice), 50_000n);
        assert.equal(await s.bank(), -50_000n);
        assert.equal((await sim.state()).approvals, 1, 'the bank authorised once');
      });

      await t.test(
        'card recovery: a top-up the bank approved but we never recorded is reversed once and failed',
        async () => {
          const before = await sim.state();
          const request = signed(s, alice, { kind: 'top_up', target: card.id, amount: '70.00' });
          await assert.rejects(topUpByCard(s.ctx, diesAfterAuthorising(s.funding), alice.principal, request));
          const id = String(
            (await s.store.get('SELECT id FROM funding_payments WHERE idempotency_key = ?', [request.idempotencyKey]))
              ?.id,
          );
          await crashDuring(s, { sweep: 'payments.card-recovery', killAfter: 'link', clockOffsetMs: 120_000 });
          assert.equal(
            (await fundingById(s.store, id))?.state,
            'processing',
            'killed after the reversal, before recording it',
          );
          assert.equal((await sim.state()).reversalsApplied, before.reversalsApplied + 1);
          await restartSweep(s, 'payments.card-recovery', 120_000);
          const after = await fundingById(s.store, id);
          assert.deepEqual(
            [after?.state, after?.failureCode, after?.reversalOwed],
            ['failed', 'card_issuer_unavailable', false],
          );
          assert.equal(
            (await sim.state()).reversalsApplied,
            before.reversalsApplied + 1,
            'reversed at the issuer once',
          );
          assert.deepEqual(await transfersOf(s, id), [], 'no money moved');
          assert.equal(await s.balance(alice), 50_000n);
        },
      );

      await t.test('withdrawal status: a payout the bank finished is posted once', async () => {
        await sim.putRules({ unknownCards: 'approve', payoutSettleMs: 200 });
        const started = await withdrawToCard(
          s.ctx,
          s.funding,
          alice.principal,
          signed(s, alice, { kind: 'withdrawal', target: card.id, amount: '100.00' }),
        );
        assert.equal(started.funding.state, 'processing');
        await new Promise((resolve) => setTimeout(resolve, 300));
        await crashDuring(s, { sweep: 'payments.withdrawals', killAfter: 'ledger', clockOffsetMs: 60_000 });
        assert.equal(
          (await fundingById(s.store, started.funding.id))?.state,
          'processing',
          'killed before the outcome was recorded',
        );
        await restartSweep(s, 'payments.withdrawals', 60_000);
        assert.equal((await fundingById(s.store, started.funding.id))?.state, 'succeeded');
        const legs = await transfersOf(s, started.funding.id);
        assert.equal(legs.filter((k) => k.endsWith(':post')).length, 1, legs.join());
        assert.equal(await s.balance(alice), 40_000n);
        assert.equal(await s.bank(), -40_000n);
        assert.deepEqual((await s.ledger.verify()).problems, []);
        await sim.putRules({ unknownCards: 'approve' });
      });

      await t.test(
        'funding-challenge expiry: killed after the first, finishes the rest; nothing reaches the bank',
        async () => {
          const fresh = await s.identity.addCustomer({ deviceAgeMs: 1000 });
          const freshCard = await s.card(fresh, otherPan);
          const received = (await sim.state()).received;
          const challenged: string[] = [];
          for (const amount of ['10.00', '20.00']) {
            const started = await topUpByCard(
              s.ctx,
              s.funding,
              fresh.principal,
              signed(s, fresh, { kind: 'top_up', target: freshCard.id, amount }),
            );
            assert.equal(started.funding.state, 'challenged');
            challenged.push(started.funding.id);
          }
          const offset = s.ctx.settings.fundingChallengeTtlMs + 60_000;
          await crashDuring(s, {
            sweep: 'payments.expire-funding-challenges',
            killAfter: 'transaction',
            clockOffsetMs: offset,
          });
          const states = async () => Promise.all(challenged.map(async (id) => (await fundingById(s.store, id))?.state));
          assert.deepEqual((await states()).sort(), ['challenged', 'failed'], 'one expired before the kill');
          await restartSweep(s, 'payments.expire-funding-challenges', offset);
          assert.deepEqual(await states(), ['failed', 'failed']);
          assert.deepEqual((await sim.state()).received, received, 'no message reached the bank');
          assert.equal(await s.balance(fresh), 0n);
        },
      );
      assert.deepEqual((await s.ledger.verify()).problems, []);
    } finally {
      await s.close();
      await sim.stop();
    }
  });
}
