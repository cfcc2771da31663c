// Scenario tests of the ledger on every store kind: each scenario opens fresh accounts, submits its
// steps in order and states the outcome of each step and the balances a user would then read.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AnfuError } from '../errors.ts';
import { createTestDatabase, testStoreKinds, type TestDatabase } from '../store/testing.ts';
import type { Store } from '../store/index.ts';
import { Ledger } from './ledger.ts';
import { assertLedgerWhole, balancesOf, idOf, journalByKey, openAccounts } from './testing/fixtures.ts';
import { availableOf, balanceOf, type TransferFailure, type TransferOutcome, type TransferRequest } from './types.ts';

const startMs = 1_700_000_000_000;
const funding = 10_000n;

type Name = 'bank' | 'alice' | 'bob' | 'shop' | 'usd';
const accountSpecs = [
  { name: 'bank', kind: 'bank_settlement', currency: 'CNY' },
  { name: 'alice', kind: 'customer_wallet', currency: 'CNY' },
  { name: 'bob', kind: 'customer_wallet', currency: 'CNY' },
  { name: 'shop', kind: 'merchant', currency: 'CNY' },
  { name: 'usd', kind: 'customer_wallet', currency: 'USD' },
] as const;

interface Context {
  id(name: Name): string;
  /** The seq of the transfer an earlier step (by index) created. */
  seq(step: number): bigint;
}

type Body<K extends TransferRequest['kind']> = Omit<Extract<TransferRequest, { kind: K }>, 'key'>;
type StepBody = Body<'single'> | Body<'hold'> | Body<'post'> | Body<'void'> | Body<'expire'>;

interface Step {
  readonly submit: (c: Context) => StepBody;
  readonly expect: 'ok' | TransferFailure;
  /** Advance the injected clock before this step. */
  readonly advanceMs?: number;
}

interface Scenario {
  readonly name: string;
  readonly steps: readonly Step[];
  /** Posted balances after the last step (alice starts with 10,000 from the bank). */
  readonly balances: Partial<Record<Name, bigint>>;
  /** Available balances (balance less holds) after the last step. */
  readonly available?: Partial<Record<Name, bigint>>;
}

const single = (from: Name, to: Name, amount: bigint, currency = 'CNY') => (c: Context): StepBody => ({
  kind: 'single', debitAccountId: c.id(from), creditAccountId: c.id(to), amount, currency,
});
const hold = (from: Name, to: Name, amount: bigint, timeoutMs = 60_000) => (c: Context): StepBody => ({
  kind: 'hold', debitAccountId: c.id(from), creditAccountId: c.id(to), amount, currency: 'CNY', timeoutMs,
});
const post = (holdStep: number, amount?: bigint) => (c: Context): StepBody => ({ kind: 'post', holdSeq: c.seq(holdStep), amount });
const voidHold = (holdStep: number) => (c: Context): StepBody => ({ kind: 'void', holdSeq: c.seq(holdStep) });

const scenarios: readonly Scenario[] = [
  { name: 'a transfer moves money from payer to payee', steps: [{ submit: single('alice', 'bob', 2_500n), expect: 'ok' }], balances: { alice: 7_500n, bob: 2_500n, bank: -funding } },
  { name: 'a transfer of the whole balance leaves zero', steps: [{ submit: single('alice', 'bob', funding), expect: 'ok' }], balances: { alice: 0n, bob: funding } },
  { name: 'a wallet may not go negative', steps: [{ submit: single('alice', 'bob', funding + 1n), expect: 'insufficient_funds' }], balances: { alice: funding, bob: 0n } },
  { name: 'an empty wallet cannot pay one minor unit', steps: [{ submit: single('bob', 'alice', 1n), expect: 'insufficient_funds' }], balances: { alice: funding, bob: 0n } },
  { name: 'a bank settlement account may go negative', steps: [{ submit: single('bank', 'bob', 1_000_000n), expect: 'ok' }], balances: { bank: -1_010_000n, bob: 1_000_000n } },
  { name: 'accounts of different currencies cannot trade', steps: [{ submit: single('alice', 'usd', 100n), expect: 'currency_mismatch' }], balances: { alice: funding, usd: 0n } },
  { name: 'the amount must be in the accounts\' currency', steps: [{ submit: single('alice', 'bob', 100n, 'USD'), expect: 'currency_mismatch' }], balances: { alice: funding, bob: 0n } },
  { name: 'payer and payee must differ', steps: [{ submit: single('alice', 'alice', 100n), expect: 'same_account' }], balances: { alice: funding } },
  { name: 'a zero amount is refused', steps: [{ submit: single('alice', 'bob', 0n), expect: 'invalid_amount' }], balances: { alice: funding, bob: 0n } },
  { name: 'a negative amount is refused', steps: [{ submit: single('alice', 'bob', -5n), expect: 'invalid_amount' }], balances: { alice: funding, bob: 0n } },
  {
    name: 'an unknown payer or payee is refused',
    steps: [
      { submit: (c) => ({ kind: 'single', debitAccountId: 'acc_00000000000000000000000000', creditAccountId: c.id('bob'), amount: 1n, currency: 'CNY' }), expect: 'account_not_found' },
      { submit: (c) => ({ kind: 'single', debitAccountId: c.id('alice'), creditAccountId: 'acc_00000000000000000000000000', amount: 1n, currency: 'CNY' }), expect: 'account_not_found' },
    ],
    balances: { alice: funding, bob: 0n },
  },
  {
    name: 'a hold reserves funds without moving them',
    steps: [{ submit: hold('alice', 'shop', 6_000n), expect: 'ok' }, { submit: single('alice', 'bob', 5_000n), expect: 'insufficient_funds' }],
    balances: { alice: funding, shop: 0n, bob: 0n },
    available: { alice: 4_000n },
  },
  { name: 'a hold above the available balance is refused', steps: [{ submit: hold('alice', 'shop', funding + 1n), expect: 'insufficient_funds' }], balances: { alice: funding }, available: { alice: funding } },
  {
    name: 'hold then post in full moves the held amount',
    steps: [{ submit: hold('alice', 'shop', 3_000n), expect: 'ok' }, { submit: post(0), expect: 'ok' }],
    balances: { alice: 7_000n, shop: 3_000n },
    available: { alice: 7_000n },
  },
  {
    name: 'a partial post moves part and releases the rest',
    steps: [{ submit: hold('alice', 'shop', 3_000n), expect: 'ok' }, { submit: post(0, 1_200n), expect: 'ok' }],
    balances: { alice: 8_800n, shop: 1_200n },
    available: { alice: 8_800n },
  },
  {
    name: 'hold then void releases everything',
    steps: [{ submit: hold('alice', 'shop', 3_000n), expect: 'ok' }, { submit: voidHold(0), expect: 'ok' }],
    balances: { alice: funding, shop: 0n },
    available: { alice: funding },
  },
  {
    name: 'a post above the hold is refused and the hold stays pending',
    steps: [{ submit: hold('alice', 'shop', 3_000n), expect: 'ok' }, { submit: post(0, 3_001n), expect: 'post_exceeds_hold' }, { submit: post(0, 3_000n), expect: 'ok' }],
    balances: { alice: 7_000n, shop: 3_000n },
  },
  {
    name: 'a voided hold cannot be posted, a posted hold cannot be voided or posted again',
    steps: [
      { submit: hold('alice', 'shop', 1_000n), expect: 'ok' },
      { submit: voidHold(0), expect: 'ok' },
      { submit: post(0), expect: 'hold_not_pending' },
      { submit: hold('alice', 'shop', 2_000n), expect: 'ok' },
      { submit: post(3), expect: 'ok' },
      { submit: voidHold(3), expect: 'hold_not_pending' },
      { submit: post(3), expect: 'hold_not_pending' },
    ],
    balances: { alice: 8_000n, shop: 2_000n },
    available: { alice: 8_000n },
  },
  {
    name: 'a hold can be posted until the moment before it lapses',
    steps: [{ submit: hold('alice', 'shop', 1_000n, 1_000), expect: 'ok' }, { submit: post(0), expect: 'ok', advanceMs: 999 }],
    balances: { alice: 9_000n, shop: 1_000n },
  },
  {
    name: 'a lapsed hold cannot be posted, and an early expire is refused',
    steps: [
      { submit: hold('alice', 'shop', 1_000n, 1_000), expect: 'ok' },
      { submit: (c) => ({ kind: 'expire', holdSeq: c.seq(0) }), expect: 'hold_not_pending', advanceMs: 999 },
      { submit: post(0), expect: 'hold_expired', advanceMs: 1 },
    ],
    balances: { alice: funding, shop: 0n },
    available: { alice: 9_000n },
  },
  {
    name: "a sum past an account's 64-bit totals is refused, up to the limit it is applied",
    steps: [
      { submit: single('bank', 'bob', 2n ** 63n - 1n), expect: 'account_totals_overflow' },
      { submit: single('bank', 'bob', 2n ** 63n - 1n - funding), expect: 'ok' },
      { submit: single('bank', 'alice', 1n), expect: 'account_totals_overflow' },
      { submit: hold('bank', 'bob', 1n), expect: 'ok' },
      { submit: single('alice', 'bob', funding), expect: 'ok' },
      { submit: post(3), expect: 'account_totals_overflow' },
      { submit: voidHold(3), expect: 'ok' },
    ],
    balances: { bank: -(2n ** 63n - 1n), bob: 2n ** 63n - 1n, alice: 0n },
  },
  {
    name: 'an unknown hold is refused',
    steps: [{ submit: () => ({ kind: 'post', holdSeq: 9_000_000_000n }), expect: 'hold_not_found' }, { submit: () => ({ kind: 'void', holdSeq: 9_000_000_000n }), expect: 'hold_not_found' }],
    balances: { alice: funding },
  },
];

for (const kind of testStoreKinds()) {
  describe(`ledger on ${kind}`, () => {
    let database: TestDatabase;
    let store: Store;
    let ledger: Ledger;
    let now = startMs;
    let scenarioCount = 0;

    /** Fresh accounts per scenario; alice is funded from the bank. */
    async function setUp(): Promise<{ ids: Map<string, string>; prefix: string }> {
      const prefix = `s${++scenarioCount}:`;
      const ids = await openAccounts(ledger, accountSpecs);
      const funded = await ledger.submit({ kind: 'single', key: `${prefix}fund`, debitAccountId: idOf(ids, 'bank'), creditAccountId: idOf(ids, 'alice'), amount: funding, currency: 'CNY' });
      assert.equal(funded.ok, true);
      return { ids, prefix };
    }

    before(async () => {
      database = await createTestDatabase(kind);
      store = database.open();
      ledger = new Ledger({ store, clock: () => now });
    });
    after(async () => {
      await ledger.close();
      await store.close();
      await database.drop();
    });

    describe('scenarios', () => {
      for (const scenario of scenarios) {
        it(scenario.name, async () => {
          const { ids, prefix } = await setUp();
          const seqs: bigint[] = [];
          const context: Context = {
            id: (name) => idOf(ids, name),
            seq: (step) => {
              const seq = seqs[step];
              if (seq === undefined) throw new Error(`step ${step} created no transfer`);
              return seq;
            },
          };
          for (const [index, step] of scenario.steps.entries()) {
            now += step.advanceMs ?? 0;
            const outcome = await ledger.submit({ ...step.submit(context), key: `${prefix}${index}` } as TransferRequest);
            assert.equal(outcome.ok ? 'ok' : outcome.code, step.expect, `step ${index}`);
            seqs.push(outcome.ok ? outcome.transfer.seq : -1n);
          }
          for (const [name, expected] of Object.entries(scenario.balances)) {
            const account = await ledger.account(idOf(ids, name));
            assert.equal(account === undefined ? undefined : balanceOf(account), expected, `balance of ${name}`);
          }
          for (const [name, expected] of Object.entries(scenario.available ?? {})) {
            const account = await ledger.account(idOf(ids, name));
            assert.equal(account === undefined ? undefined : availableOf(account), expected, `available balance of ${name}`);
          }
          await assertLedgerWhole(ledger, [...ids.values()]);
        });
      }
    });

    describe('hold expiry', () => {
      it('expireHolds releases exactly the lapsed holds, and a lapsed hold cannot be voided or posted', async () => {
        const { ids, prefix } = await setUp();
        const submit = (key: string, body: StepBody) => ledger.submit({ ...body, key: `${prefix}${key}` } as TransferRequest);
        const short = await submit('short', { kind: 'hold', debitAccountId: idOf(ids, 'alice'), creditAccountId: idOf(ids, 'shop'), amount: 1_000n, currency: 'CNY', timeoutMs: 500 });
        const long = await submit('long', { kind: 'hold', debitAccountId: idOf(ids, 'alice'), creditAccountId: idOf(ids, 'shop'), amount: 2_000n, currency: 'CNY', timeoutMs: 600_000 });
        assert.ok(short.ok && long.ok);
        now += 500;
        assert.ok((await ledger.expireHolds()) >= 1);
        assert.equal((await ledger.hold(short.transfer.seq))?.state, 'expired');
        assert.equal((await ledger.hold(long.transfer.seq))?.state, 'pending');
        const alice = await ledger.account(idOf(ids, 'alice'));
        assert.equal(alice === undefined ? undefined : availableOf(alice), 8_000n, 'only the lapsed hold is released');
        assert.equal((await submit('void-late', { kind: 'void', holdSeq: short.transfer.seq })).ok ? 'ok' : 'refused', 'refused');
        const late = await submit('post-late', { kind: 'post', holdSeq: short.transfer.seq });
        assert.equal(late.ok ? 'ok' : late.code, 'hold_expired');
        const expiry = (await ledger.journal(idOf(ids, 'alice'), { limit: 10 })).items.find((t) => t.kind === 'expire');
        assert.equal(expiry?.holdSeq, short.transfer.seq, 'the expiry is a journal entry');
        assert.equal(await ledger.expireHolds(), 0, 'nothing more has lapsed');
        await assertLedgerWhole(ledger, [...ids.values()]);
      });
    });

    describe('idempotency', () => {
      it('a replay returns the same transfer and changes nothing', async () => {
        const { ids, prefix } = await setUp();
        const request: TransferRequest = { kind: 'single', key: `${prefix}pay`, debitAccountId: idOf(ids, 'alice'), creditAccountId: idOf(ids, 'bob'), amount: 700n, currency: 'CNY', reference: 'order 1' };
        const first = await ledger.submit(request);
        assert.ok(first.ok && !first.replayed);
        const before = await balancesOf(store, [...ids.values()]);
        const again = await ledger.submit({ ...request });
        assert.ok(again.ok);
        assert.equal(again.replayed, true);
        assert.deepEqual(again.transfer, first.transfer);
        assert.deepEqual(await balancesOf(store, [...ids.values()]), before);
        assert.deepEqual([...(await journalByKey(store, `${prefix}pay`)).values()], [[first.transfer.seq]]);
      });

      it('the same request twice in one batch is applied once', async () => {
        const { ids, prefix } = await setUp();
        const request: TransferRequest = { kind: 'hold', key: `${prefix}twice`, debitAccountId: idOf(ids, 'alice'), creditAccountId: idOf(ids, 'shop'), amount: 4_000n, currency: 'CNY', timeoutMs: 60_000 };
        const outcomes = await Promise.all([ledger.submit(request), ledger.submit(request), ledger.submit(request)]);
        const seqs = outcomes.map((o) => (o.ok ? o.transfer.seq : -1n));
        assert.equal(new Set(seqs).size, 1);
        assert.deepEqual(outcomes.map((o) => o.ok && o.replayed), [false, true, true]);
        const alice = await ledger.account(idOf(ids, 'alice'));
        assert.equal(alice === undefined ? undefined : availableOf(alice), 6_000n, 'held once');
      });

      it('replaying a post or void does not resolve twice', async () => {
        const { ids, prefix } = await setUp();
        const held = await ledger.submit({ kind: 'hold', key: `${prefix}h`, debitAccountId: idOf(ids, 'alice'), creditAccountId: idOf(ids, 'shop'), amount: 1_500n, currency: 'CNY', timeoutMs: 60_000 });
        assert.ok(held.ok);
        const postRequest: TransferRequest = { kind: 'post', key: `${prefix}p`, holdSeq: held.transfer.seq, amount: 1_000n };
        const posted = await ledger.submit(postRequest);
        const replay = await ledger.submit(postRequest);
        assert.ok(posted.ok && replay.ok && replay.replayed);
        assert.equal(replay.transfer.seq, posted.transfer.seq);
        const shop = await ledger.account(idOf(ids, 'shop'));
        assert.equal(shop === undefined ? undefined : balanceOf(shop), 1_000n);
      });

      it('the same key with a different body is idempotency_conflict and changes nothing', async () => {
        const { ids, prefix } = await setUp();
        const request: TransferRequest = { kind: 'single', key: `${prefix}k`, debitAccountId: idOf(ids, 'alice'), creditAccountId: idOf(ids, 'bob'), amount: 700n, currency: 'CNY' };
        assert.equal((await ledger.submit(request)).ok, true);
        const before = await balancesOf(store, [...ids.values()]);
        const variants: TransferRequest[] = [
          { ...request, amount: 701n },
          { ...request, creditAccountId: idOf(ids, 'shop') },
          { ...request, reference: 'another order' },
          { kind: 'hold', key: request.key, debitAccountId: request.debitAccountId, creditAccountId: request.creditAccountId, amount: 700n, currency: 'CNY', timeoutMs: 1_000 },
        ];
        for (const variant of variants) {
          const outcome: TransferOutcome = await ledger.submit(variant);
          assert.equal(outcome.ok ? 'ok' : outcome.code, 'idempotency_conflict');
        }
        const sameBatch = await Promise.all([
          ledger.submit({ ...request, key: `${prefix}k2` }),
          ledger.submit({ ...request, key: `${prefix}k2`, amount: 1n }),
        ]);
        assert.deepEqual(sameBatch.map((o) => (o.ok ? 'ok' : o.code)), ['ok', 'idempotency_conflict']);
        const after = await balancesOf(store, [...ids.values()]);
        assert.equal(after.get(idOf(ids, 'bob'))?.balance, (before.get(idOf(ids, 'bob'))?.balance ?? 0n) + 700n, 'only k2 moved money');
        assert.equal((await journalByKey(store, `${prefix}k`)).size, 2);
      });
    });

    describe('batches', () => {
      it('an invalid request in a batch is refused on its own; its neighbours commit', async () => {
        const { ids, prefix } = await setUp();
        const batchSizes: number[] = [];
        const batched = new Ledger({ store, clock: () => now, onBatch: (size) => batchSizes.push(size) });
        const requests: TransferRequest[] = Array.from({ length: 20 }, (_, i) => ({
          kind: 'single', key: `${prefix}b${i}`, debitAccountId: idOf(ids, 'alice'), creditAccountId: idOf(ids, 'bob'), amount: i === 7 ? 0n : 10n, currency: 'CNY',
        }));
        const outcomes = await Promise.all(requests.map((r) => batched.submit(r)));
        await batched.close();
        assert.deepEqual(batchSizes, [20], 'one batch');
        assert.equal(outcomes.filter((o) => o.ok).length, 19);
        const refusedOne = outcomes[7];
        assert.equal(refusedOne?.ok === false ? refusedOne.code : 'ok', 'invalid_amount');
        const bob = await ledger.account(idOf(ids, 'bob'));
        assert.equal(bob === undefined ? undefined : balanceOf(bob), 190n);
      });
    });

    describe('journal', () => {
      it('pages walk every transfer of an account exactly once, newest first', async () => {
        const { ids, prefix } = await setUp();
        const alice = idOf(ids, 'alice');
        const bob = idOf(ids, 'bob');
        const outcomes = await Promise.all(
          Array.from({ length: 24 }, (_, i) =>
            ledger.submit(i % 3 === 0
              ? { kind: 'single', key: `${prefix}j${i}`, debitAccountId: bob, creditAccountId: alice, amount: 1n, currency: 'CNY' }
              : { kind: 'single', key: `${prefix}j${i}`, debitAccountId: alice, creditAccountId: bob, amount: 10n, currency: 'CNY' }),
          ),
        );
        // Bob starts empty, so some of his payments in the batch may be refused: only acknowledged ones count.
        const expected = new Set(outcomes.flatMap((o) => (o.ok ? [o.transfer.seq] : [])));
        const funding = (await journalByKey(store, `${prefix}fund`)).get(`${prefix}fund`)?.[0];
        assert.ok(funding !== undefined);
        expected.add(funding);
        const seen: bigint[] = [];
        let cursor: string | undefined;
        for (let page = 0; page < 20; page++) {
          const result = await ledger.journal(alice, { limit: 7, cursor });
          assert.ok(result.items.length <= 7);
          seen.push(...result.items.map((t) => t.seq));
          for (const t of result.items) assert.ok(t.debitAccountId === alice || t.creditAccountId === alice);
          if (result.nextCursor === null) break;
          cursor = result.nextCursor;
        }
        assert.equal(new Set(seen).size, seen.length, 'no transfer twice');
        assert.deepEqual(new Set(seen), expected, 'every transfer once');
        assert.deepEqual(seen, [...seen].sort((a, b) => (a > b ? -1 : 1)), 'newest first');
      });

      it('an exact multiple of the page size ends with a null cursor', async () => {
        const { ids } = await setUp();
        const first = await ledger.journal(idOf(ids, 'alice'), { limit: 1 });
        assert.equal(first.items.length, 1);
        assert.equal(first.nextCursor, null);
      });

      it('a cursor that was not issued by the listing is invalid_cursor', async () => {
        const { ids } = await setUp();
        const bad = ['not a cursor', '', Buffer.from('12a').toString('base64url'), Buffer.from('acc_x').toString('base64url'), 'x'.repeat(100)];
        for (const cursor of bad) {
          await assert.rejects(ledger.journal(idOf(ids, 'alice'), { limit: 5, cursor }), (error: unknown) => error instanceof AnfuError && error.code === 'invalid_cursor', cursor);
        }
      });
    });

    describe('integrity', () => {
      it('verify() finds a balance changed behind the ledger\'s back', async () => {
        const { ids } = await setUp();
        const bob = idOf(ids, 'bob');
        assert.equal((await ledger.verify()).ok, true);
        // Raising credits keeps the CHECK constraint satisfied, so only verify() can notice.
        assert.equal(await store.run('UPDATE ledger_accounts SET credits_posted = credits_posted + 1 WHERE id = ?', [bob]), 1);
        const report = await ledger.verify();
        assert.equal(report.ok, false);
        assert.ok(report.problems.some((p) => p.includes(bob) && p.includes('credits_posted')), report.problems.join('\n'));
        assert.ok(report.problems.some((p) => p.includes('currency CNY')), 'conservation is broken too');
        await store.run('UPDATE ledger_accounts SET credits_posted = credits_posted - 1 WHERE id = ?', [bob]);
        assert.equal((await ledger.verify()).ok, true);
      });

      it('the database itself refuses an overdraft of a wallet', async () => {
        const { ids } = await setUp();
        await assert.rejects(store.run('UPDATE ledger_accounts SET debits_posted = credits_posted + 1 WHERE id = ?', [idOf(ids, 'alice')]));
        await assert.rejects(store.run('UPDATE ledger_accounts SET debits_pending = credits_posted + 1 WHERE id = ?', [idOf(ids, 'alice')]));
        assert.equal(await store.run('UPDATE ledger_accounts SET debits_posted = debits_posted + 1000000 WHERE id = ?', [idOf(ids, 'bank')]), 1, 'a settlement account may be negative');
        await store.run('UPDATE ledger_accounts SET debits_posted = debits_posted - 1000000 WHERE id = ?', [idOf(ids, 'bank')]);
        assert.equal((await ledger.verify()).ok, true);
      });

      it('the journal refuses UPDATE and DELETE', async () => {
        const { prefix } = await setUp();
        const appendOnly = (error: unknown) => error instanceof Error && /append-only/.test(error.message);
        await assert.rejects(store.run('UPDATE ledger_transfers SET amount = amount + 1 WHERE idempotency_key = ?', [`${prefix}fund`]), appendOnly);
        await assert.rejects(store.run('DELETE FROM ledger_transfers WHERE idempotency_key = ?', [`${prefix}fund`]), appendOnly);
        assert.equal((await journalByKey(store, `${prefix}fund`)).size, 1);
        assert.equal((await ledger.verify()).ok, true);
      });
    });
  });
}
