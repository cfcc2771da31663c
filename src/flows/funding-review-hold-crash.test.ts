// Crash tests of the `payments.funding-review-holds` sweep (lifecycle rule: every state that reserves
// money has a deadline, a sweep, and a test that kills the process between the steps), on both stores,
// against `anfu bank-sim` as a process. A child process runs the sweep over a real card link and is
// SIGKILLed between two steps: after an expired withdrawal's hold was voided but before the withdrawal
// failed; after a decided release moved the withdrawal (or top-up) to `processing` but before anything
// was sent. The dead child's lease blocks a pass until it lapses; then the sweeps finish the job: one
// hold and one void or post in the ledger, at most one payout at the bank, balances exact.
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
import { Ledger, availableOf, balanceOf } from '../ledger/index.ts';
import { forkWorker } from '../ledger/testing/fork-worker.ts';
import {
  fundingById, fundingReviewOf, paymentSettingsOf, walletOf, type CardFunding, type PaymentsContext,
} from '../payments/index.ts';
import {
  createTestIdentity, instructionFor, signInstruction, verifiedTestCard, type TestCustomer,
} from '../payments/testing.ts';
import { defaultRuleSet, RiskEngine, ruleSetExecutor } from '../risk/index.ts';
import { passLeaseMs, underLease, type Store } from '../store/index.ts';
import { createTestDatabase, testStoreKinds } from '../store/testing.ts';
import { resolveFundingReview } from './hold-funding-for-review.ts';
import { paymentSweeps, stuckAfterMs } from './payment-sweeps.ts';
import type { SweepCrashConfig } from './testing/sweep-crash-worker.ts';
import { topUpByCard } from './top-up-by-card.ts';
import { withdrawToCard } from './withdraw-to-card.ts';

const workerPath = '../../flows/testing/sweep-crash-worker.ts';
const sweepName = 'payments.funding-review-holds';
const reviewAll = {
  id: 'review_all', on: ['topup', 'withdrawal'], when: 'amount >= 1 CNY', action: 'review', score: 50, reason: 'x',
};

async function activeEngine(store: Store): Promise<RiskEngine> {
  // The rule set goes in as an approved `risk.ruleset` proposal would put it (the executor's own step).
  const base = defaultRuleSet();
  const payload = ruleSetExecutor.parse({ document: { ...base, rules: [...base.rules, reviewAll] }, basedOn: 0 });
  assert.ok(payload !== undefined);
  type Proposal = Parameters<NonNullable<typeof ruleSetExecutor.inside>>[2];
  const proposal = { id: 'prp_crash', decidedBy: 'op_checker' } as Proposal;
  const actor = { type: 'system', principal: undefined, ip: null, device: null } as never;
  const activate = ruleSetExecutor.inside;
  assert.ok(activate !== undefined);
  const activated = await store.transaction((tx) => activate(tx, payload, proposal, Date.now(), actor));
  assert.equal(activated?.ok, true);
  const engine = new RiskEngine({ store });
  await engine.refresh();
  return engine;
}

async function setUp(kind: 'sqlite' | 'postgres', sim: BankSimProcess) {
  const database = await createTestDatabase(kind);
  const store = database.open();
  const ledger = new Ledger({ store });
  const identity = await createTestIdentity('intl');
  const engine = await activeEngine(store);
  const settings = paymentSettingsOf(loadConfig({ ANFU_ENV: 'test' }));
  const ctx: PaymentsContext = { store, ledger, identity, settings, clock: Date.now, riskEngine: engine };
  const kekBytes = randomBytes(32);
  const keyring = await testKeyring(store, { kek: new Kek(kekBytes, 'test') });
  const terminalId = `T${kind.slice(0, 3).toUpperCase()}FRVW`;
  const options = { port: sim.port, merchantId: 'ANFUTOPUP000001', responseTimeoutMs: 2_000, reversalRetryDelayMs: 10 };
  const link = new CardLink({ ...options, terminalId });
  const funding: CardFunding = {
    link, vault: new TokenVault(keyring), bank: 'SIMBANK', terminalId, merchantId: 'ANFUTOPUP000001',
  };
  const worker = { bankSimPort: sim.port, kekHex: kekBytes.toString('hex'), terminalId };
  const close = async () => {
    engine.stop();
    link.close();
    await ledger.close();
    await store.close();
    await database.drop();
  };
  return { database, store, ledger, identity, ctx, funding, worker, close };
}

type Setup = Awaited<ReturnType<typeof setUp>>;

let pans = 0;
async function customer(s: Setup, minor: bigint) {
  const who = await s.identity.addCustomer();
  if (minor > 0n) {
    const bank = await s.ledger.openAccount({ kind: 'bank_settlement', currency: 'CNY', name: `Funder ${pans}` });
    const wallet = await walletOf(s.ledger, who.customer.id, 'CNY');
    const funded = await s.ledger.submit({
      kind: 'single', key: `fund:${who.customer.id}`, debitAccountId: bank.id, creditAccountId: wallet.id,
      amount: minor, currency: 'CNY',
    });
    assert.ok(funded.ok);
  }
  const pan = withCheckDigit(`62220211${String(pans++).padStart(10, '0')}`);
  const card = await verifiedTestCard(s.store, s.funding.vault, who.customer.id, {
    pan, expiryMonth: 12, expiryYear: 2035, bank: 'SIMBANK',
  });
  return { who, card };
}

async function held(s: Setup, what: 'top_up' | 'withdrawal', who: TestCustomer, cardId: string, amount: string) {
  const instruction = instructionFor(who, { kind: what, target: cardId, amount }, Date.now());
  const signature = signInstruction(s.identity.profile, who, instruction);
  const request = { instruction, signature, idempotencyKey: `frc-${pans}-${what}` };
  const started = what === 'top_up'
    ? await topUpByCard(s.ctx, s.funding, who.principal, request)
    : await withdrawToCard(s.ctx, s.funding, who.principal, request);
  assert.equal(started.funding.state, 'held_for_review');
  return started.funding;
}

/** The context of a process that dies after its first store transaction (the resolution written). */
function diesAfterClaim(ctx: PaymentsContext): PaymentsContext {
  let transactions = 0;
  const store = new Proxy(ctx.store, {
    get(target, property) {
      const value = Reflect.get(target, property, target) as unknown;
      if (typeof value !== 'function') return value;
      const bound = (value as (...a: unknown[]) => unknown).bind(target);
      if (property !== 'transaction') return bound;
      return (...args: unknown[]) => (transactions++ === 0 ? bound(...args) : Promise.reject(new Error('crash')));
    },
  });
  return { ...ctx, store };
}

async function crashDuring(s: Setup, sweep: string, killAfter: SweepCrashConfig['killAfter'], clockOffsetMs: number) {
  const { databaseUrl, sqlitePath, schema } = s.database;
  const config: SweepCrashConfig = { databaseUrl, sqlitePath, schema, ...s.worker, sweep, killAfter, clockOffsetMs };
  const child = forkWorker(workerPath, { ANFU_SWEEP_CRASH: JSON.stringify(config) });
  const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
  assert.equal(signal, 'SIGKILL', `the worker was to die mid-sweep, it exited with ${code}`);
}

async function restartSweep(s: Setup, name: string, offsetMs: number): Promise<void> {
  const during = () => Date.now() + offsetMs;
  assert.equal((await underLease(s.store, name, during, async () => undefined)).ran, false, 'lease still held');
  const after = () => Date.now() + offsetMs + passLeaseMs + 1_000;
  const sweep = paymentSweeps({ ...s.ctx, clock: after }, s.funding).find(([n]) => n === name);
  assert.ok(sweep !== undefined);
  assert.equal((await underLease(s.store, name, after, sweep[1])).ran, true);
}

/** Runs a sweep once now (no lease held by anyone). */
async function sweepOnce(s: Setup, name: string, offsetMs: number): Promise<void> {
  const at = () => Date.now() + offsetMs;
  const sweep = paymentSweeps({ ...s.ctx, clock: at }, s.funding).find(([n]) => n === name);
  assert.ok(sweep !== undefined);
  assert.equal((await underLease(s.store, name, at, sweep[1])).ran, true);
}

async function transfersOf(s: Setup, reference: string): Promise<string[]> {
  const rows = await s.store.all('SELECT idempotency_key FROM ledger_transfers WHERE reference = ? ORDER BY seq', [
    reference,
  ]);
  return rows.map((r) => String(r.idempotency_key));
}

async function money(s: Setup, who: TestCustomer): Promise<bigint[]> {
  const wallet = await walletOf(s.ledger, who.customer.id, 'CNY');
  return [balanceOf(wallet), availableOf(wallet), wallet.debitsPending];
}

async function expiredWithdrawalCrash(s: Setup, sim: BankSimProcess): Promise<void> {
  const { who, card } = await customer(s, 50_000n);
  const withdrawal = await held(s, 'withdrawal', who, card.id, '100.00');
  const before = await sim.state();
  const offset = s.ctx.settings.reviewTtlMs + 60_000;
  await crashDuring(s, sweepName, 'ledger', offset);
  assert.equal((await fundingById(s.store, withdrawal.id))?.state, 'held_for_review', 'killed before the record');
  assert.deepEqual(await transfersOf(s, withdrawal.id), [`${withdrawal.id}:hold`, `${withdrawal.id}:review-void`]);
  await restartSweep(s, sweepName, offset);
  const ended = await fundingById(s.store, withdrawal.id);
  assert.deepEqual([ended?.state, ended?.failureCode], ['failed', 'payment_review_expired']);
  assert.deepEqual(await transfersOf(s, withdrawal.id), [`${withdrawal.id}:hold`, `${withdrawal.id}:review-void`]);
  assert.deepEqual(await money(s, who), [50_000n, 50_000n, 0n]);
  assert.equal((await fundingReviewOf(s.store, withdrawal.id))?.state, 'rejected');
  assert.deepEqual((await sim.state()).received, before.received, 'nothing was sent to the bank');
}

async function releasedWithdrawalCrash(s: Setup, sim: BankSimProcess): Promise<void> {
  const { who, card } = await customer(s, 50_000n);
  const withdrawal = await held(s, 'withdrawal', who, card.id, '100.00');
  const before = await sim.state();
  // The release is written, then the process dies before the withdrawal moves on.
  await assert.rejects(resolveFundingReview(diesAfterClaim(s.ctx), s.funding, withdrawal.id, 'release', 'op_a'));
  assert.equal((await fundingReviewOf(s.store, withdrawal.id))?.state, 'resolving');
  const expired = await resolveFundingReview(s.ctx, s.funding, withdrawal.id, 'expire', 'system:payments');
  assert.deepEqual(expired, { ok: false, code: 'review_hold_resolved' }, 'the release was decided first');
  const offset = stuckAfterMs + 60_000;
  // Killed right after the release's transaction: `processing`, nothing sent yet.
  await crashDuring(s, sweepName, 'transaction', offset);
  assert.equal((await fundingById(s.store, withdrawal.id))?.state, 'processing');
  assert.deepEqual((await sim.state()).received, before.received, 'killed before the payout was sent');
  await restartSweep(s, sweepName, offset);
  // A withdrawal `processing` with its hold is the status sweep's: its repeat (0201) pays it once.
  await sweepOnce(s, 'payments.withdrawals', offset + passLeaseMs + 2_000);
  assert.equal((await fundingById(s.store, withdrawal.id))?.state, 'succeeded');
  const after = await sim.state();
  assert.equal(after.approvals - before.approvals, 1, 'the bank paid once');
  assert.deepEqual(await transfersOf(s, withdrawal.id), [`${withdrawal.id}:hold`, `${withdrawal.id}:post`]);
  assert.deepEqual(await money(s, who), [40_000n, 40_000n, 0n]);
}

async function releasedTopUpCrash(s: Setup, sim: BankSimProcess): Promise<void> {
  const { who, card } = await customer(s, 0n);
  const topUp = await held(s, 'top_up', who, card.id, '100.00');
  const before = await sim.state();
  await assert.rejects(resolveFundingReview(diesAfterClaim(s.ctx), s.funding, topUp.id, 'release', 'op_a'));
  const offset = stuckAfterMs + 60_000;
  await crashDuring(s, sweepName, 'transaction', offset);
  assert.equal((await fundingById(s.store, topUp.id))?.state, 'processing');
  assert.deepEqual((await sim.state()).received, before.received, 'killed before the authorisation was sent');
  await restartSweep(s, sweepName, offset);
  // An interrupted top-up is card recovery's: reversed at the issuer (nothing to reverse) and failed.
  await sweepOnce(s, 'payments.card-recovery', offset + passLeaseMs + 2_000);
  const ended = await fundingById(s.store, topUp.id);
  assert.deepEqual([ended?.state, ended?.failureCode], ['failed', 'card_issuer_unavailable']);
  assert.equal((await sim.state()).approvals, before.approvals, 'never authorised');
  assert.deepEqual(await transfersOf(s, topUp.id), []);
  assert.deepEqual(await money(s, who), [0n, 0n, 0n]);
}

for (const kind of testStoreKinds()) {
  test(`${kind}: the funding review sweep killed mid-step finishes once`, { timeout: 240_000 }, async (t) => {
    const sim = await startBankSimProcess({ unknownCards: 'approve' });
    const s = await setUp(kind, sim);
    try {
      await t.test('killed after voiding an expired withdrawal hold', () => expiredWithdrawalCrash(s, sim));
      await t.test('a release interrupted twice pays the withdrawal out once', () => releasedWithdrawalCrash(s, sim));
      await t.test('a released top-up interrupted before it was sent fails, nothing moved', () =>
        releasedTopUpCrash(s, sim));
      assert.deepEqual((await s.ledger.verify()).problems, []);
    } finally {
      await s.close();
      await sim.stop();
    }
  });
}
