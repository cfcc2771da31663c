// Property tests: random sequences of transfers, holds, posts, voids, expiries, retries and invalid
// requests, submitted concurrently in random groups so the committer batches them, checked against
// an in-memory reference ledger. Requests of one group are decided in submission order, and the
// clock only moves between groups, so the model can predict every outcome exactly.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { createTestDatabase, testStoreKinds, type TestDatabase } from '../store/testing.ts';
import type { Store } from '../store/index.ts';
import { Ledger } from './ledger.ts';
import { assertLedgerWhole, balancesOf, journalByKey } from './testing/fixtures.ts';
import type { AccountKind, HoldState, TransferOutcome, TransferRequest } from './types.ts';

const numRuns = Number(process.env.ANFU_PROPERTY_RUNS ?? 60);
const unknownAccountId = 'acc_00000000000000000000000000';
const unknownHoldSeq = 9_000_000_000n;
const openingBalance = 5_000n;

// ---------------------------------------------------------------- operations

interface MovementOp {
  readonly t: 'single' | 'hold';
  readonly currency: 'CNY' | 'USD';
  readonly from: number;
  readonly to: number;
  /** 0: none; 1: the payee is of the other currency; 2: unknown payer; 3: unknown payee. */
  readonly fault: 0 | 1 | 2 | 3;
  readonly amount: bigint;
  readonly timeoutMs: number;
}
type Op =
  | MovementOp
  | { readonly t: 'post'; readonly hold: number; readonly amount: bigint | undefined }
  | { readonly t: 'void' | 'expire'; readonly hold: number }
  | { readonly t: 'retry'; readonly pick: number; readonly sameBody: boolean };

interface Group {
  readonly ops: readonly Op[];
  /** Clock advance after the group (so holds lapse). */
  readonly advanceMs: number;
  /** Run expireHolds() after the advance. */
  readonly sweep: boolean;
}

const amountArb = fc.oneof(
  { weight: 10, arbitrary: fc.bigInt(1n, 3_000n) },
  { weight: 2, arbitrary: fc.bigInt(3_001n, 20_000n) },
  { weight: 1, arbitrary: fc.constantFrom(0n, -1n) },
);
const movementArb: fc.Arbitrary<Op> = fc.record({
  t: fc.constantFrom('single' as const, 'single' as const, 'hold' as const),
  currency: fc.constantFrom('CNY' as const, 'CNY' as const, 'CNY' as const, 'USD' as const),
  from: fc.nat(20),
  to: fc.nat(20),
  fault: fc.oneof({ weight: 12, arbitrary: fc.constant(0 as const) }, { weight: 1, arbitrary: fc.constantFrom(1 as const, 2 as const, 3 as const) }),
  amount: amountArb,
  timeoutMs: fc.constantFrom(500, 2_000, 10_000),
});
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: movementArb },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('post' as const), hold: fc.nat(50), amount: fc.option(fc.oneof(fc.bigInt(1n, 3_000n), fc.constant(0n)), { nil: undefined }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constantFrom('void' as const, 'expire' as const), hold: fc.nat(50) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('retry' as const), pick: fc.nat(200), sameBody: fc.boolean() }) },
);
const groupsArb: fc.Arbitrary<Group[]> = fc.array(
  fc.record({ ops: fc.array(opArb, { minLength: 1, maxLength: 10 }), advanceMs: fc.integer({ min: 0, max: 3_000 }), sweep: fc.boolean() }),
  { minLength: 1, maxLength: 7 },
);

// ---------------------------------------------------------------- the reference ledger

interface ModelAccount {
  readonly id: string;
  readonly currency: string;
  readonly allowNegative: boolean;
  balance: bigint;
  debitsPending: bigint;
  creditsPending: bigint;
}
interface ModelHold {
  readonly seq: bigint;
  readonly debit: ModelAccount;
  readonly credit: ModelAccount;
  readonly amount: bigint;
  readonly expiresAt: number;
  state: HoldState;
}
type Expected = { ok: true; replayed: boolean; seq?: bigint } | { ok: false; code: string };

/** The body of a request without its key: what makes a retry "the same request". */
function bodyOf(request: TransferRequest): string {
  return JSON.stringify({ ...request, key: undefined }, (_, value: unknown) => (typeof value === 'bigint' ? `${value}n` : value));
}

class ReferenceLedger {
  readonly accounts = new Map<string, ModelAccount>();
  readonly holds = new Map<bigint, ModelHold>();
  /** Applied keys: body and seq. Refused requests leave no trace, so their keys may be used again. */
  readonly applied = new Map<string, { body: string; seq: bigint; request: TransferRequest }>();

  open(id: string, currency: string, allowNegative: boolean): void {
    this.accounts.set(id, { id, currency, allowNegative, balance: 0n, debitsPending: 0n, creditsPending: 0n });
  }

  /** What the ledger must answer; `commit` then records the seq the real ledger gave an applied request. */
  decide(request: TransferRequest, now: number): { expected: Expected; commit: (seq: bigint) => void } {
    const earlier = this.applied.get(request.key);
    if (earlier !== undefined) {
      const expected: Expected = earlier.body === bodyOf(request) ? { ok: true, replayed: true, seq: earlier.seq } : { ok: false, code: 'idempotency_conflict' };
      return { expected, commit: () => undefined };
    }
    const refuse = (code: string) => ({ expected: { ok: false, code } as Expected, commit: () => undefined });
    const apply = (effect: (seq: bigint) => void) => ({
      expected: { ok: true, replayed: false } as Expected,
      commit: (seq: bigint) => {
        effect(seq);
        this.applied.set(request.key, { body: bodyOf(request), seq, request });
      },
    });
    if (request.kind === 'single' || request.kind === 'hold') {
      if (request.amount <= 0n) return refuse('invalid_amount');
      if (request.debitAccountId === request.creditAccountId) return refuse('same_account');
      const debit = this.accounts.get(request.debitAccountId);
      const credit = this.accounts.get(request.creditAccountId);
      if (debit === undefined || credit === undefined) return refuse('account_not_found');
      if (debit.currency !== request.currency || credit.currency !== request.currency) return refuse('currency_mismatch');
      if (!debit.allowNegative && debit.balance - debit.debitsPending < request.amount) return refuse('insufficient_funds');
      const { amount } = request;
      if (request.kind === 'single') {
        return apply(() => {
          debit.balance -= amount;
          credit.balance += amount;
        });
      }
      const expiresAt = request.timeoutMs === null ? Number.POSITIVE_INFINITY : now + request.timeoutMs;
      return apply((seq) => {
        debit.debitsPending += amount;
        credit.creditsPending += amount;
        this.holds.set(seq, { seq, debit, credit, amount, expiresAt, state: 'pending' });
      });
    }
    const hold = this.holds.get(request.holdSeq);
    if (hold === undefined) return refuse('hold_not_found');
    if (hold.state === 'expired') return refuse('hold_expired');
    if (hold.state !== 'pending') return refuse('hold_not_pending');
    const lapsed = hold.expiresAt <= now;
    if (request.kind === 'post' && lapsed) return refuse('hold_expired');
    if (request.kind === 'expire' && !lapsed) return refuse('hold_not_pending');
    const amount = request.kind === 'post' ? (request.amount ?? hold.amount) : hold.amount;
    if (amount <= 0n) return refuse('invalid_amount');
    if (amount > hold.amount) return refuse('post_exceeds_hold');
    return apply(() => this.resolve(hold, request.kind === 'post' ? 'posted' : request.kind === 'void' ? 'voided' : 'expired', amount));
  }

  resolve(hold: ModelHold, state: HoldState, postedAmount: bigint): void {
    hold.debit.debitsPending -= hold.amount;
    hold.credit.creditsPending -= hold.amount;
    if (state === 'posted') {
      hold.debit.balance -= postedAmount;
      hold.credit.balance += postedAmount;
    }
    hold.state = state;
  }

  /** What expireHolds() must do to this model's holds at `now`. */
  sweep(now: number): void {
    for (const hold of this.holds.values()) if (hold.state === 'pending' && hold.expiresAt <= now) this.resolve(hold, 'expired', 0n);
  }
}

// ---------------------------------------------------------------- one run

const accountPlan: ReadonlyArray<{ kind: AccountKind; currency: 'CNY' | 'USD' }> = [
  { kind: 'bank_settlement', currency: 'CNY' },
  { kind: 'customer_wallet', currency: 'CNY' },
  { kind: 'customer_wallet', currency: 'CNY' },
  { kind: 'customer_wallet', currency: 'CNY' },
  { kind: 'merchant', currency: 'CNY' },
  { kind: 'fees', currency: 'CNY' },
  { kind: 'bank_settlement', currency: 'USD' },
  { kind: 'customer_wallet', currency: 'USD' },
];

/** The outcome as the model states it: a replay names the seq of the original; a new transfer's seq is the ledger's to choose. */
function outcomeShape(outcome: TransferOutcome): Expected {
  if (!outcome.ok) return { ok: false, code: outcome.code };
  return outcome.replayed ? { ok: true, replayed: true, seq: outcome.transfer.seq } : { ok: true, replayed: false };
}

interface Harness {
  readonly ledger: Ledger;
  readonly store: Store;
  readonly clock: { now: number };
  readonly runCount: { n: number };
}

async function runOnce(h: Harness, groups: readonly Group[]): Promise<void> {
  const { ledger, store, clock } = h;
  const prefix = `p${++h.runCount.n}:`;
  const model = new ReferenceLedger();
  const byCurrency: Record<'CNY' | 'USD', string[]> = { CNY: [], USD: [] };
  for (const [index, plan] of accountPlan.entries()) {
    const account = await ledger.openAccount({ kind: plan.kind, currency: plan.currency, name: `${prefix}${index}` });
    model.open(account.id, plan.currency, account.allowNegative);
    byCurrency[plan.currency].push(account.id);
  }
  const ids = [...model.accounts.keys()];
  const submitted: TransferRequest[] = [];
  const holdSeqs: bigint[] = [];
  let keyCount = 0;

  // Opening balances: every wallet funded from its currency's settlement account.
  const opening: Op[] = ids.flatMap((id, index) => {
    const plan = accountPlan[index];
    if (plan === undefined || plan.kind === 'bank_settlement') return [];
    const list = byCurrency[plan.currency];
    return [{ t: 'single' as const, currency: plan.currency, from: 0, to: list.indexOf(id), fault: 0 as const, amount: openingBalance, timeoutMs: 0 }];
  });

  const toRequest = (op: Op): TransferRequest => {
    const key = `${prefix}${++keyCount}`;
    switch (op.t) {
      case 'single':
      case 'hold': {
        const list = byCurrency[op.currency];
        const other = byCurrency[op.currency === 'CNY' ? 'USD' : 'CNY'];
        let debitAccountId = list[op.from % list.length] ?? unknownAccountId;
        // One in eight names the payer as payee; the rest pick a different account.
        const to = op.to % 8 === 0 ? op.from : op.from + 1 + (op.to % Math.max(1, list.length - 1));
        let creditAccountId = (op.fault === 1 ? other : list)[to % list.length] ?? unknownAccountId;
        if (op.fault === 2) debitAccountId = unknownAccountId;
        if (op.fault === 3) creditAccountId = unknownAccountId;
        const base = { key, debitAccountId, creditAccountId, amount: op.amount, currency: op.currency };
        return op.t === 'single' ? { kind: 'single', ...base } : { kind: 'hold', ...base, timeoutMs: op.timeoutMs };
      }
      case 'post':
      case 'void':
      case 'expire': {
        const holdSeq = holdSeqs.length === 0 ? unknownHoldSeq : (holdSeqs[op.hold % holdSeqs.length] ?? unknownHoldSeq);
        return op.t === 'post' ? { kind: 'post', key, holdSeq, amount: op.amount } : { kind: op.t, key, holdSeq };
      }
      case 'retry': {
        const earlier = submitted[op.pick % Math.max(1, submitted.length)];
        if (earlier === undefined) return { kind: 'void', key, holdSeq: unknownHoldSeq };
        return op.sameBody ? { ...earlier } : { ...earlier, reference: `altered ${keyCount}` };
      }
    }
  };

  const runGroup = async (ops: readonly Op[]): Promise<void> => {
    const requests = ops.map((op) => {
      const request = toRequest(op);
      submitted.push(request);
      return request;
    });
    // Submitted together, so they share a batch; the committer keeps their order.
    const outcomes = await Promise.all(requests.map((r) => ledger.submit(r)));
    for (const [i, request] of requests.entries()) {
      const outcome = outcomes[i];
      assert.ok(outcome !== undefined);
      const { expected, commit } = model.decide(request, clock.now);
      assert.deepEqual(outcomeShape(outcome), expected, `request ${request.key} (${request.kind})`);
      if (outcome.ok && !outcome.replayed) {
        commit(outcome.transfer.seq);
        if (outcome.transfer.kind === 'hold') holdSeqs.push(outcome.transfer.seq);
      }
    }
    await assertModelBalances(store, model, ids);
  };

  await runGroup(opening);
  for (const group of groups) {
    await runGroup(group.ops);
    clock.now += group.advanceMs;
    if (group.sweep) {
      for (let round = 0; round < 10 && (await ledger.expireHolds()) > 0; round++);
      model.sweep(clock.now);
      await assertModelBalances(store, model, ids);
    }
  }

  for (const [seq, hold] of model.holds) assert.equal((await ledger.hold(seq))?.state, hold.state, `hold ${seq}`);
  await assertLedgerWhole(ledger, ids);

  // Every acknowledged transfer is in the journal exactly once, under the seq the caller was given,
  // and nothing else with this run's keys is.
  const journal = await journalByKey(store, prefix);
  assert.deepEqual(new Map([...journal].sort()), new Map([...model.applied].map(([key, a]) => [key, [a.seq]] as const).sort()));

  // Retrying everything that was acknowledged changes nothing.
  const before = await balancesOf(store, ids);
  const replays = await Promise.all([...model.applied.values()].map((a) => ledger.submit({ ...a.request })));
  for (const [i, a] of [...model.applied.values()].entries()) {
    const replay = replays[i];
    assert.ok(replay?.ok === true && replay.replayed && replay.transfer.seq === a.seq, `retry of ${a.request.key}`);
  }
  assert.deepEqual(await balancesOf(store, ids), before, 'retries changed balances');
  assert.equal((await journalByKey(store, prefix)).size, journal.size, 'retries appended to the journal');
}

async function assertModelBalances(store: Store, model: ReferenceLedger, ids: readonly string[]): Promise<void> {
  const real = await balancesOf(store, ids);
  for (const id of ids) {
    const m = model.accounts.get(id);
    const r = real.get(id);
    assert.deepEqual(
      r && { balance: r.balance, debitsPending: r.debitsPending, creditsPending: r.creditsPending },
      m && { balance: m.balance, debitsPending: m.debitsPending, creditsPending: m.creditsPending },
      `balances of ${id}`,
    );
  }
}

// ---------------------------------------------------------------- the suites

for (const kind of testStoreKinds()) {
  describe(`ledger properties on ${kind}`, () => {
    let database: TestDatabase;
    let store: Store;
    let ledger: Ledger;
    const clock = { now: 1_700_000_000_000 };
    const batchSizes: number[] = [];

    before(async () => {
      database = await createTestDatabase(kind);
      store = database.open();
      ledger = new Ledger({ store, clock: () => clock.now, onBatch: (size) => batchSizes.push(size) });
    });
    after(async () => {
      await ledger.close();
      await store.close();
      await database.drop();
    });

    it('random concurrent operations agree with a reference ledger; money is conserved; retries change nothing', { timeout: 120_000 }, async () => {
      const harness: Harness = { ledger, store, clock, runCount: { n: 0 } };
      await fc.assert(fc.asyncProperty(groupsArb, (groups) => runOnce(harness, groups)), { numRuns, interruptAfterTimeLimit: 90_000, markInterruptAsFailure: true });
      assert.ok(Math.max(...batchSizes) > 1, 'requests were batched');
    });
  });
}
