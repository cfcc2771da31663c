// Crash tests of the `payments.review-holds` sweep (lifecycle rule: every state that reserves money
// has a deadline, a sweep, and a test that kills the process between the steps). A child process runs
// the sweep and is SIGKILLed right after its first ledger call returned: after an expired hold was
// voided but before the payment was failed; after a decided release was posted but before the payment
// was settled. The dead child's lease blocks a pass until it lapses; then the sweep finishes the job:
// one hold, one void or one post in the ledger, the payment's state as decided, balances exact.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { loadConfig } from '../config.ts';
import { Ledger, balanceOf } from '../ledger/index.ts';
import { forkWorker } from '../ledger/testing/fork-worker.ts';
import {
  paymentById, paymentSettingsOf, resolveReviewHold, reviewHoldOfPayment, walletOf, type PaymentsContext,
} from '../payments/index.ts';
import { createTestIdentity, instructionFor, signInstruction, type TestCustomer } from '../payments/testing.ts';
import { defaultRuleSet, RiskEngine, ruleSetExecutor } from '../risk/index.ts';
import { passLeaseMs, underLease } from '../store/index.ts';
import { createTestDatabase, testStoreKinds, type TestDatabase } from '../store/testing.ts';
import { paymentSweeps, stuckAfterMs } from './payment-sweeps.ts';
import type { SweepCrashConfig } from './testing/sweep-crash-worker.ts';
import { transferToCustomer } from './transfer-to-customer.ts';

const workerPath = '../../flows/testing/sweep-crash-worker.ts';
const sweepName = 'payments.review-holds';
const holdRule = { id: 'hold_all', on: ['payment'], when: 'amount >= 1 CNY', action: 'review', score: 50, reason: 'x' };

async function setUp(kind: 'sqlite' | 'postgres') {
  const database = await createTestDatabase(kind);
  const store = database.open();
  const ledger = new Ledger({ store });
  const identity = await createTestIdentity('intl');
  // The rule set goes in as an approved `risk.ruleset` proposal would put it (the executor's own step).
  const base = defaultRuleSet();
  const payload = ruleSetExecutor.parse({ document: { ...base, rules: [...base.rules, holdRule] }, basedOn: 0 });
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
  const settings = paymentSettingsOf(loadConfig({ ANFU_ENV: 'test' }));
  const ctx: PaymentsContext = { store, ledger, identity, settings, clock: Date.now, riskEngine: engine };
  const bank = await ledger.openAccount({ kind: 'bank_settlement', currency: 'CNY', name: 'Test bank' });
  const customer = async (minor: bigint) => {
    const who = await identity.addCustomer();
    const wallet = await walletOf(ledger, who.customer.id, 'CNY');
    const key = `fund:${who.customer.id}`;
    if (minor > 0n) {
      const funded = await ledger.submit({
        kind: 'single', key, debitAccountId: bank.id, creditAccountId: wallet.id, amount: minor, currency: 'CNY',
      });
      assert.ok(funded.ok);
    }
    return who;
  };
  const close = async () => {
    engine.stop();
    await ledger.close();
    await store.close();
    await database.drop();
  };
  return { database, store, ledger, identity, ctx, customer, close };
}

type Setup = Awaited<ReturnType<typeof setUp>>;

async function held(s: Setup, from: TestCustomer, to: TestCustomer, amount: string, key: string) {
  const instruction = instructionFor(from, { kind: 'transfer', target: to.customer.id, amount }, Date.now());
  const signature = signInstruction(s.identity.profile, from, instruction);
  const { payment } = await transferToCustomer(s.ctx, from.principal, { instruction, signature, idempotencyKey: key });
  assert.equal(payment.state, 'held_for_review');
  return payment;
}

async function crashDuring(database: TestDatabase, clockOffsetMs: number): Promise<void> {
  const config: SweepCrashConfig = {
    databaseUrl: database.databaseUrl, sqlitePath: database.sqlitePath, schema: database.schema,
    sweep: sweepName, killAfter: 'ledger', clockOffsetMs,
  };
  const child = forkWorker(workerPath, { ANFU_SWEEP_CRASH: JSON.stringify(config) });
  const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
  assert.equal(signal, 'SIGKILL', `the worker was to die mid-sweep, it exited with ${code}`);
}

async function restartSweep(s: Setup, offsetMs: number): Promise<void> {
  const during = () => Date.now() + offsetMs;
  assert.equal((await underLease(s.store, sweepName, during, async () => undefined)).ran, false, 'lease still held');
  const after = () => Date.now() + offsetMs + passLeaseMs + 1_000;
  const sweep = paymentSweeps({ ...s.ctx, clock: after }, undefined).find(([n]) => n === sweepName);
  assert.ok(sweep !== undefined);
  assert.equal((await underLease(s.store, sweepName, after, sweep[1])).ran, true);
}

async function transfersOf(s: Setup, reference: string): Promise<string[]> {
  const rows = await s.store.all('SELECT idempotency_key FROM ledger_transfers WHERE reference = ? ORDER BY seq', [
    reference,
  ]);
  return rows.map((r) => String(r.idempotency_key));
}

async function expiredHoldCrash(kind: 'sqlite' | 'postgres'): Promise<void> {
  const s = await setUp(kind);
  try {
    const [alice, bob] = [await s.customer(50_000n), await s.customer(0n)];
    const payment = await held(s, alice, bob, '100.00', 'crash-expire');
    const offset = s.ctx.settings.reviewTtlMs + 60_000;
    await crashDuring(s.database, offset);
    assert.equal((await paymentById(s.store, payment.id))?.state, 'held_for_review', 'killed before the record');
    assert.deepEqual(await transfersOf(s, payment.id), [`${payment.id}:review-hold`, `${payment.id}:review-void`]);
    await restartSweep(s, offset);
    const ended = await paymentById(s.store, payment.id);
    assert.deepEqual([ended?.state, ended?.failureCode], ['failed', 'payment_review_expired']);
    assert.deepEqual(await transfersOf(s, payment.id), [`${payment.id}:review-hold`, `${payment.id}:review-void`]);
    const wallet = await walletOf(s.ledger, alice.customer.id, 'CNY');
    assert.deepEqual([balanceOf(wallet), wallet.debitsPending], [50_000n, 0n]);
    assert.equal((await reviewHoldOfPayment(s.store, payment.id))?.state, 'rejected');
    assert.deepEqual((await s.ledger.verify()).problems, []);
  } finally {
    await s.close();
  }
}

async function releaseCrash(kind: 'sqlite' | 'postgres'): Promise<void> {
  const s = await setUp(kind);
  try {
    const [alice, bob] = [await s.customer(50_000n), await s.customer(0n)];
    const payment = await held(s, alice, bob, '100.00', 'crash-release');
    // The decision is written, then the process dies before the money moves (the ledger throws).
    const dead = new Proxy(s.ledger, {
      get(target, property) {
        if (property === 'submit' || property === 'submitLinked') return () => Promise.reject(new Error('crash'));
        const value = Reflect.get(target, property, target) as unknown;
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    await assert.rejects(resolveReviewHold({ ...s.ctx, ledger: dead }, payment.id, 'release', 'op_a'), /crash/);
    assert.deepEqual(
      [(await reviewHoldOfPayment(s.store, payment.id))?.state, (await paymentById(s.store, payment.id))?.state],
      ['resolving', 'held_for_review'],
    );
    const rejected = await resolveReviewHold(s.ctx, payment.id, 'expire', 'system:payments');
    assert.deepEqual(rejected, { ok: false, code: 'review_hold_resolved' }, 'the release was decided first');
    const offset = stuckAfterMs + 60_000;
    await crashDuring(s.database, offset);
    assert.deepEqual(await transfersOf(s, payment.id), [`${payment.id}:review-hold`, `${payment.id}:review-post`]);
    assert.equal((await paymentById(s.store, payment.id))?.state, 'held_for_review', 'killed after the post');
    await restartSweep(s, offset);
    assert.equal((await paymentById(s.store, payment.id))?.state, 'succeeded');
    assert.deepEqual(await transfersOf(s, payment.id), [`${payment.id}:review-hold`, `${payment.id}:review-post`]);
    const a = await walletOf(s.ledger, alice.customer.id, 'CNY');
    const b = await walletOf(s.ledger, bob.customer.id, 'CNY');
    assert.deepEqual([balanceOf(a), a.debitsPending, balanceOf(b), b.creditsPending], [40_000n, 0n, 10_000n, 0n]);
    assert.deepEqual((await s.ledger.verify()).problems, []);
  } finally {
    await s.close();
  }
}

for (const kind of testStoreKinds()) {
  test(`${kind}: the review-holds sweep killed after voiding an expired hold finishes once`, { timeout: 120_000 }, () =>
    expiredHoldCrash(kind));

  test(`${kind}: a release interrupted twice (before and after the post) settles once`, { timeout: 120_000 }, () =>
    releaseCrash(kind));
}
