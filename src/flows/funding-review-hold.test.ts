// Top-ups and withdrawals risk control sends to `review` (docs/payments.md "Held for review"), on both
// stores, through the real app's cases against `anfu bank-sim` as a process: a withdrawal's amount is
// held in the ledger (available down, nothing posted) and nothing reaches the bank until a second
// analyst releases it — then the payout goes out exactly once; a top-up holds nothing and sends nothing
// until released — then it is authorised once. reject_payment / confirm_fraud and the deadline sweep
// end them with the balances as before and no message sent. A fast-check property runs random
// sequences of held top-ups and withdrawals and their resolutions and checks every balance and the
// bank's message counts exactly. The crash tests are funding-review-hold-crash.test.ts.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CardLink } from '../banks/index.ts';
import { startBankSimProcess, type BankSimProcess } from '../banks/testing/bank-sim-process.ts';
import { withCheckDigit } from '../cards/index.ts';
import { TokenVault } from '../crypto/index.ts';
import { AnfuError } from '../errors.ts';
import { availableOf, balanceOf, type Account } from '../ledger/index.ts';
import {
  bankSettlementOf, fundingById, fundingReviewOf, fundingTransitionsOf, paymentSettingsOf, provideCardFunding,
  walletOf, type CardFunding, type FundingPayment, type PaymentCard, type PaymentsContext,
} from '../payments/index.ts';
import {
  createTestIdentity, instructionFor, signInstruction, verifiedTestCard, type TestCustomer, type TestIdentity,
} from '../payments/testing.ts';
import { decisionById, defaultRuleSet, listEntries } from '../risk/index.ts';
import { testStoreKinds } from '../store/testing.ts';
import { bearer, createAccessTestApp, type AccessTestApp } from '../wiring/access-test-app.ts';
import { resolveFundingReview, sweepFundingReviews } from './hold-funding-for-review.ts';
import { stuckAfterMs } from './payment-sweeps.ts';
import { resumeChallengedFunding } from './resume-challenged-funding.ts';
import { topUpByCard } from './top-up-by-card.ts';
import { withdrawToCard } from './withdraw-to-card.ts';

const reviewTtlMs = 3_600_000;
const reviewRules = [
  { id: 'review_topup', on: ['topup'], when: 'amount >= 100 CNY', action: 'review', score: 50, reason: 'big_topup' },
  {
    id: 'review_withdrawal', on: ['withdrawal'], when: 'amount >= 100 CNY', action: 'review', score: 50,
    reason: 'big_withdrawal',
  },
];

let keys = 0;
let pans = 0;

for (const kind of testStoreKinds()) {
  describe(`top-ups and withdrawals held for review (${kind})`, () => {
    let t: AccessTestApp;
    let sim: BankSimProcess;
    let link: CardLink;
    let funding: CardFunding;
    let tokens: { a: string; b: string };
    let ctx: PaymentsContext;
    let identity: TestIdentity;
    const clock = () => Date.now();
    const post = (url: string, token: string, payload?: unknown) => {
      const body = payload === undefined ? {} : { payload: payload as Record<string, unknown> };
      return t.app.inject({ method: 'POST', url, headers: bearer(token), ...body });
    };
    const wallet = async (who: TestCustomer): Promise<Account> => walletOf(t.ledger, who.customer.id, 'CNY');
    const bank = async (): Promise<Account> => bankSettlementOf(t.ledger, 'SIMBANK', 'CNY');
    /** [balance, available, held] of a wallet. */
    const money = async (who: TestCustomer) => {
      const w = await wallet(who);
      return [balanceOf(w), availableOf(w), w.debitsPending];
    };
    const customer = async (minor: bigint): Promise<[TestCustomer, PaymentCard]> => {
      const who = await identity.addCustomer();
      if (minor > 0n) {
        const funded = await t.ledger.submit({
          kind: 'single', key: `fund:${who.customer.id}`, debitAccountId: (await bank()).id,
          creditAccountId: (await wallet(who)).id, amount: minor, currency: 'CNY',
        });
        assert.ok(funded.ok);
      }
      const pan = withCheckDigit(`62220210${String(pans++).padStart(10, '0')}`);
      const card = { pan, expiryMonth: 12, expiryYear: 2035, bank: 'SIMBANK' };
      return [who, await verifiedTestCard(t.store, funding.vault, who.customer.id, card)];
    };
    const request = (what: 'top_up' | 'withdrawal', who: TestCustomer, card: PaymentCard, amount: string) => {
      const instruction = instructionFor(who, { kind: what, target: card.id, amount }, clock());
      const signature = signInstruction(identity.profile, who, instruction);
      return { instruction, signature, idempotencyKey: `frh-${keys++}` };
    };
    const send = (what: 'top_up' | 'withdrawal', who: TestCustomer, signed: ReturnType<typeof request>) =>
      what === 'top_up'
        ? topUpByCard(ctx, funding, who.principal, signed)
        : withdrawToCard(ctx, funding, who.principal, signed);
    const start = async (
      what: 'top_up' | 'withdrawal', who: TestCustomer, card: PaymentCard, amount: string,
    ): Promise<FundingPayment> => (await send(what, who, request(what, who, card, amount))).funding;
    const sent = async () => {
      const state = await sim.state();
      return { authorisations: state.received['0100'] ?? 0, payouts: state.received['0200'] ?? 0 };
    };
    const caseOf = async (fundingId: string) => {
      const row = await t.store.get<{ id: string }>(
        "SELECT id FROM cases WHERE kind = 'risk_review' AND subject_type = 'payment' AND subject_id = ?",
        [fundingId],
      );
      assert.ok(row !== undefined, 'the review opened a case on the top-up or withdrawal');
      return row.id;
    };
    /** A four-eyes case decision: proposed by analyst a, approved by analyst b; returns the approval. */
    const decide = async (caseId: string, decision: string) => {
      const proposed = await post(`/v1/cases/${caseId}/decisions`, tokens.a, { decision, reason: 'reviewed' });
      assert.equal(proposed.statusCode, 200, proposed.body);
      const proposalId = proposed.json().proposalId as string;
      assert.match(proposalId, /^prp_/, 'a four-eyes decision waits for a checker');
      return post(`/v1/proposals/${proposalId}/approve`, tokens.b);
    };
    const walk = async (id: string) => (await fundingTransitionsOf(t.store, id)).map((s) => s.to);
    const legs = async (id: string) => {
      const rows = await t.store.all('SELECT idempotency_key FROM ledger_transfers WHERE reference = ? ORDER BY seq', [
        id,
      ]);
      return rows.map((r) => String(r.idempotency_key));
    };
    const usageReserved = async (id: string) =>
      Number((await t.store.get('SELECT usage_reserved FROM funding_payments WHERE id = ?', [id]))?.usage_reserved);

    before(async () => {
      sim = await startBankSimProcess({ unknownCards: 'approve' });
      t = await createAccessTestApp(kind, { ANFU_REVIEW_TTL_MS: String(reviewTtlMs) });
      const [a, b] = [await t.operator('risk_analyst'), await t.operator('risk_analyst')];
      tokens = { a: await t.login(a), b: await t.login(b) };
      identity = await createTestIdentity('intl');
      const risk = t.app.context.risk;
      const settings = paymentSettingsOf(t.config);
      ctx = { store: t.store, ledger: t.ledger, identity, settings, clock, riskEngine: risk };
      const terminalId = `T${kind.slice(0, 3).toUpperCase()}REVW`;
      link = new CardLink({
        port: sim.port, terminalId, merchantId: 'ANFUTOPUP000001', responseTimeoutMs: 2_000, reversalRetryDelayMs: 10,
      });
      const vault = new TokenVault(t.app.context.keyring);
      funding = { link, vault, bank: 'SIMBANK', terminalId, merchantId: 'ANFUTOPUP000001' };
      // What serve() does at start-up: the cases' money step finds the card link by the store.
      provideCardFunding(t.store, funding);
      const base = defaultRuleSet();
      const document = { ...base, rules: [...base.rules, ...reviewRules] };
      const proposed = await post('/v1/risk/rulesets', tokens.a, { document });
      assert.equal(proposed.statusCode, 201, proposed.body);
      assert.equal((await post(`/v1/proposals/${proposed.json().id}/approve`, tokens.b)).json().state, 'executed');
      await risk.refresh();
    });
    after(async () => {
      link.close();
      await t.close();
      await sim.stop();
    });

    test('a reviewed withdrawal holds its amount and sends nothing; release (four eyes) pays it out once', async () => {
      const [alice, card] = await customer(50_000n);
      const before = await sent();
      const small = await start('withdrawal', alice, card, '10.00');
      assert.equal(small.state, 'succeeded', 'under the rule: not reviewed');
      assert.deepEqual(await sent(), { ...before, payouts: before.payouts + 1 });
      const signed = request('withdrawal', alice, card, '150.00');
      const held = (await send('withdrawal', alice, signed)).funding;
      assert.equal(held.state, 'held_for_review');
      assert.deepEqual(await money(alice), [49_000n, 34_000n, 15_000n], 'balance, available, held');
      const retried = await send('withdrawal', alice, signed);
      const answered = [retried.replayed, retried.funding.id, retried.funding.state];
      assert.deepEqual(answered, [true, held.id, 'held_for_review'], 'a retry answers, holds nothing more');
      // The customer cannot step the review away: only a challenged top-up or withdrawal resumes.
      const bypass = resumeChallengedFunding(ctx, funding, alice.principal, held.id, { kind: 'totp', code: '000000' });
      const refusedAs = (code: string) => (error: unknown) => error instanceof AnfuError && error.code === code;
      await assert.rejects(bypass, refusedAs('payment_state_invalid'));
      assert.equal((await fundingById(t.store, held.id))?.state, 'held_for_review');
      assert.equal((await bank()).creditsPending, 15_000n);
      assert.deepEqual(await sent(), { ...before, payouts: before.payouts + 1 }, 'nothing sent to the bank');
      assert.deepEqual(await walk(held.id), ['created', 'risk_checked', 'held_for_review']);
      const review = await fundingReviewOf(t.store, held.id);
      assert.deepEqual([review?.state, review?.holdSeq], ['held', held.holdSeq]);
      const dueInMs = (review?.expiresAt ?? 0) - clock();
      assert.ok(dueInMs > reviewTtlMs - 60_000 && dueInMs <= reviewTtlMs, 'due in ANFU_REVIEW_TTL_MS');
      const decision = await decisionById(t.store, review?.decisionId ?? '');
      assert.deepEqual([decision?.decision, decision?.reasons], ['review', ['big_withdrawal']]);
      const caseId = await caseOf(held.id);
      const cleared = await post(`/v1/cases/${caseId}/decisions`, tokens.a, { decision: 'clear', reason: 'fine' });
      assert.deepEqual([cleared.statusCode, cleared.json().code], [409, 'review_hold_pending'], 'clear moves nothing');

      const approved = await decide(caseId, 'release_hold');
      assert.equal(approved.json().state, 'executed', approved.body);
      const paid = await fundingById(t.store, held.id);
      assert.equal(paid?.state, 'succeeded');
      assert.deepEqual(await sent(), { ...before, payouts: before.payouts + 2 }, 'the payout went out once');
      assert.deepEqual(await money(alice), [34_000n, 34_000n, 0n]);
      assert.deepEqual(await walk(held.id), ['created', 'risk_checked', 'held_for_review', 'processing', 'succeeded']);
      assert.deepEqual(await legs(held.id), [`${held.id}:hold`, `${held.id}:post`]);
      assert.equal((await decisionById(t.store, review?.decisionId ?? ''))?.label, 'legitimate');
      const again = await resolveFundingReview(ctx, funding, held.id, 'release', 'system:test');
      assert.deepEqual([again.ok, again.ok && again.funding.state], [true, 'succeeded'], 'a retry answers');
      const reject = await resolveFundingReview(ctx, funding, held.id, 'reject', 'system:test');
      assert.deepEqual(reject, { ok: false, code: 'review_hold_resolved' });
      assert.deepEqual(await sent(), { ...before, payouts: before.payouts + 2 }, 'neither retry reached the bank');
      assert.deepEqual(await money(alice), [34_000n, 34_000n, 0n]);
    });

    test('reject_payment voids the withdrawal hold: failed, nothing sent, balance and usage as before', async () => {
      const [alice, card] = await customer(50_000n);
      const before = await sent();
      const held = await start('withdrawal', alice, card, '300.00');
      assert.deepEqual([await money(alice), await usageReserved(held.id)], [[50_000n, 20_000n, 30_000n], 1]);
      const approved = await decide(await caseOf(held.id), 'reject_payment');
      assert.equal(approved.json().state, 'executed', approved.body);
      const failed = await fundingById(t.store, held.id);
      assert.deepEqual([failed?.state, failed?.failureCode], ['failed', 'payment_rejected_in_review']);
      assert.deepEqual(await money(alice), [50_000n, 50_000n, 0n]);
      assert.equal(await usageReserved(held.id), 0, 'the funding limit usage is given back');
      assert.deepEqual(await legs(held.id), [`${held.id}:hold`, `${held.id}:review-void`]);
      assert.deepEqual(await sent(), before, 'nothing reached the bank');
      const late = await resolveFundingReview(ctx, funding, held.id, 'release', 'system:test');
      assert.deepEqual(late, { ok: false, code: 'review_hold_resolved' });
      assert.deepEqual(await sent(), before);
    });

    test('no release while the customer is frozen or the card is gone: refused, nothing written or sent', async () => {
      const [frank, card] = await customer(50_000n);
      const before = await sent();
      const held = await start('withdrawal', frank, card, '200.00');
      const frozenIdentity = {
        ...identity,
        customer: async (id: string) => {
          const found = await identity.customer(id);
          return found === undefined ? undefined : { ...found, outgoingFrozen: true };
        },
      };
      const frozenCtx = { ...ctx, identity: frozenIdentity };
      const frozen = await resolveFundingReview(frozenCtx, funding, held.id, 'release', 'op_a');
      assert.deepEqual(frozen, { ok: false, code: 'customer_frozen' });
      await t.store.run("UPDATE payment_cards SET status = 'removed' WHERE id = ?", [card.id]);
      const removed = await resolveFundingReview(ctx, funding, held.id, 'release', 'op_a');
      assert.deepEqual(removed, { ok: false, code: 'card_unverified' });
      const review = await fundingReviewOf(t.store, held.id);
      assert.deepEqual([review?.state, review?.resolution], ['held', null], 'nothing claimed, still rejectable');
      assert.deepEqual(await money(frank), [50_000n, 30_000n, 20_000n]);
      const rejected = await resolveFundingReview(ctx, funding, held.id, 'reject', 'op_a');
      assert.deepEqual([rejected.ok, rejected.ok && rejected.funding.state], [true, 'failed']);
      assert.deepEqual(await money(frank), [50_000n, 50_000n, 0n]);
      assert.deepEqual(await sent(), before, 'nothing reached the bank');
    });

    test('releases raced against each other and the deadline: one payout, one post', async () => {
      const [gina, card] = await customer(50_000n);
      const before = await sent();
      const held = await start('withdrawal', gina, card, '250.00');
      const due = (await fundingReviewOf(t.store, held.id))?.expiresAt ?? 0;
      const late = { ...ctx, clock: () => due };
      const outcomes = await Promise.all([
        resolveFundingReview(ctx, funding, held.id, 'release', 'op_a'),
        resolveFundingReview(ctx, funding, held.id, 'release', 'op_b'),
        resolveFundingReview(late, funding, held.id, 'expire', 'system:payments'),
        sweepFundingReviews(late, funding, { stuckAfterMs, limit: 100 }),
      ]);
      const [first, second] = outcomes;
      const won = first.ok ? 'release' : 'expire';
      assert.equal(second.ok, first.ok, 'both releases answer alike');
      const ended = await fundingById(t.store, held.id);
      const after = await sent();
      if (won === 'release') {
        assert.equal(ended?.state, 'succeeded');
        assert.equal(after.payouts - before.payouts, 1, 'paid out once');
        assert.deepEqual(await legs(held.id), [`${held.id}:hold`, `${held.id}:post`]);
        assert.deepEqual(await money(gina), [25_000n, 25_000n, 0n]);
      } else {
        assert.deepEqual([ended?.state, ended?.failureCode], ['failed', 'payment_review_expired']);
        assert.equal(after.payouts, before.payouts, 'nothing sent');
        assert.deepEqual(await money(gina), [50_000n, 50_000n, 0n]);
      }
    });

    test('a reviewed top-up sends nothing and holds nothing; release authorises it once', async () => {
      const [bob, card] = await customer(0n);
      const before = await sent();
      const held = await start('top_up', bob, card, '200.00');
      assert.equal(held.state, 'held_for_review');
      assert.deepEqual(await money(bob), [0n, 0n, 0n], 'no money moved: nothing to hold');
      assert.deepEqual(await legs(held.id), []);
      assert.deepEqual(await sent(), before, 'no authorisation sent');
      assert.equal((await fundingReviewOf(t.store, held.id))?.state, 'held');
      const approved = await decide(await caseOf(held.id), 'release_hold');
      assert.equal(approved.json().state, 'executed', approved.body);
      assert.equal((await fundingById(t.store, held.id))?.state, 'succeeded');
      assert.deepEqual(await sent(), { ...before, authorisations: before.authorisations + 1 });
      assert.deepEqual(await money(bob), [20_000n, 20_000n, 0n]);
      assert.deepEqual(await walk(held.id), ['created', 'risk_checked', 'held_for_review', 'processing', 'succeeded']);
    });

    test('confirm_fraud on a top-up: failed, nothing sent, labelled fraud, the device blocked', async () => {
      const [carol, card] = await customer(0n);
      const before = await sent();
      const held = await start('top_up', carol, card, '400.00');
      const approved = await decide(await caseOf(held.id), 'confirm_fraud');
      assert.equal(approved.json().state, 'executed', approved.body);
      const failed = await fundingById(t.store, held.id);
      assert.deepEqual([failed?.state, failed?.failureCode], ['failed', 'payment_rejected_in_review']);
      assert.deepEqual(await money(carol), [0n, 0n, 0n]);
      assert.deepEqual(await sent(), before);
      const review = await fundingReviewOf(t.store, held.id);
      assert.deepEqual([review?.state, review?.resolution], ['rejected', 'fraud']);
      assert.equal((await decisionById(t.store, review?.decisionId ?? ''))?.label, 'fraud');
      const blocked = (await listEntries(t.store, 'device', 1000)).filter((e) => e.value === carol.device.id);
      assert.equal(blocked[0]?.effect, 'block');
    });

    test('a withdrawal the wallet cannot cover fails at once (insufficient_funds), nothing held', async () => {
      const [dave, card] = await customer(10_000n);
      const held = await start('withdrawal', dave, card, '150.00');
      assert.deepEqual([held.state, held.failureCode], ['failed', 'insufficient_funds']);
      assert.deepEqual(await money(dave), [10_000n, 10_000n, 0n]);
      assert.equal((await fundingReviewOf(t.store, held.id))?.state, 'rejected');
    });

    test('the deadline ends undecided reviews with nothing sent; a late release is refused', async () => {
      const [erin, card] = await customer(50_000n);
      const before = await sent();
      const withdrawal = await start('withdrawal', erin, card, '120.00');
      const topUp = await start('top_up', erin, card, '130.00');
      assert.deepEqual([withdrawal.state, topUp.state], ['held_for_review', 'held_for_review']);
      const due = Math.max(
        (await fundingReviewOf(t.store, withdrawal.id))?.expiresAt ?? 0,
        (await fundingReviewOf(t.store, topUp.id))?.expiresAt ?? 0,
      );
      const early = { ...ctx, clock: () => due - reviewTtlMs + 1_000 };
      await sweepFundingReviews(early, funding, { stuckAfterMs, limit: 100 });
      assert.equal((await fundingById(t.store, withdrawal.id))?.state, 'held_for_review', 'not yet due');
      assert.ok((await sweepFundingReviews({ ...ctx, clock: () => due }, funding, { stuckAfterMs, limit: 100 })) >= 2);
      for (const id of [withdrawal.id, topUp.id]) {
        const ended = await fundingById(t.store, id);
        assert.deepEqual([ended?.state, ended?.failureCode], ['failed', 'payment_review_expired']);
      }
      assert.deepEqual(await money(erin), [50_000n, 50_000n, 0n]);
      assert.deepEqual(await sent(), before, 'nothing reached the bank');
      const late = await decide(await caseOf(withdrawal.id), 'release_hold');
      assert.equal(late.json().state, 'failed', late.body);
      assert.deepEqual(await money(erin), [50_000n, 50_000n, 0n]);
      assert.deepEqual(await sent(), before);
    });

    test('property: random held top-ups and withdrawals and their resolutions leave exact balances', async () => {
      const op = fc.record({
        kind: fc.constantFrom('top_up' as const, 'withdrawal' as const),
        amountMinor: fc.integer({ min: 10_000, max: 30_000 }),
        end: fc.constantFrom('release', 'reject', 'fraud', 'expire', 'open'),
      });
      await fc.assert(
        fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 5 }), async (ops) => {
          const funded = 40_000n;
          const [who, card] = await customer(funded);
          const before = await sent();
          let expected = { balance: funded, held: 0n, authorisations: 0, payouts: 0 };
          for (const { kind: what, amountMinor, end } of ops) {
            const amount = BigInt(amountMinor);
            const started = await start(what, who, card, (amountMinor / 100).toFixed(2));
            if (what === 'withdrawal' && amount > expected.balance - expected.held) {
              assert.deepEqual([started.state, started.failureCode], ['failed', 'insufficient_funds']);
              continue;
            }
            assert.equal(started.state, 'held_for_review');
            if (end === 'open') {
              if (what === 'withdrawal') expected = { ...expected, held: expected.held + amount };
              continue;
            }
            const by = end === 'expire' ? 'system:payments' : 'system:test';
            const outcome = await resolveFundingReview(ctx, funding, started.id, end, by);
            assert.ok(outcome.ok);
            if (end !== 'release') {
              assert.equal(outcome.funding.state, 'failed');
              continue;
            }
            assert.equal(outcome.funding.state, 'succeeded');
            expected = what === 'top_up'
              ? { ...expected, balance: expected.balance + amount, authorisations: expected.authorisations + 1 }
              : { ...expected, balance: expected.balance - amount, payouts: expected.payouts + 1 };
          }
          const { balance, held } = expected;
          assert.deepEqual(await money(who), [balance, balance - held, held]);
          const after = await sent();
          assert.deepEqual(
            [after.authorisations - before.authorisations, after.payouts - before.payouts],
            [expected.authorisations, expected.payouts],
            'the bank saw one message per released top-up or withdrawal, none for the others',
          );
        }),
        { numRuns: 8 },
      );
      assert.deepEqual((await t.ledger.verify()).problems, []);
    });
  });
}
