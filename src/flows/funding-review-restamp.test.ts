// A top-up or withdrawal held for review is sent to the bank when it is released, and it is sent as
// a request of that moment: a fresh STAN (field 11) and the release's fields 7 and 12 — not the ones
// stamped when it was created, which the bank would refuse as stale (the simulator runs with a 5-minute
// `transmissionWindowMs`) and whose STAN the day's sequence may have handed out again. A retry of the
// send (a status query after a lost answer, a second release) keeps that identity. A challenged top-up
// stepped up minutes later is stamped at its step-up the same way, and a withdrawal released after a
// 2-hour review that the bank never finishes is listed "outcome unknown" only the timeout after its
// release (the send), not at once. Balances exact. On both stores, against `anfu bank-sim` as a process,
// with the clock moved on.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CardLink, type BankSimRules, type CardRequest, type PayoutResult } from '../banks/index.ts';
import { startBankSimProcess, type BankSimProcess } from '../banks/testing/bank-sim-process.ts';
import { withCheckDigit } from '../cards/index.ts';
import { TokenVault } from '../crypto/index.ts';
import { availableOf, balanceOf } from '../ledger/index.ts';
import {
  bankSettlementOf, fundingById, outcomeUnknownWithdrawals, paymentSettingsOf, walletOf, type CardFunding,
  type CardLinkPort, type PaymentCard,
  type PaymentsContext,
} from '../payments/index.ts';
import {
  createTestIdentity, instructionFor, signInstruction, verifiedTestCard, type TestCustomer, type TestIdentity,
} from '../payments/testing.ts';
import { defaultRuleSet } from '../risk/index.ts';
import { testStoreKinds } from '../store/testing.ts';
import { bearer, createAccessTestApp, type AccessTestApp } from '../wiring/access-test-app.ts';
import { resolveFundingReview } from './hold-funding-for-review.ts';
import { resumeChallengedFunding } from './resume-challenged-funding.ts';
import { topUpByCard } from './top-up-by-card.ts';
import { pollWithdrawals, withdrawToCard } from './withdraw-to-card.ts';

const reviewRules = [
  { id: 'review_topup', on: ['topup'], when: 'amount >= 100 CNY', action: 'review', score: 50, reason: 'big_topup' },
  {
    id: 'review_withdrawal', on: ['withdrawal'], when: 'amount >= 100 CNY', action: 'review', score: 50,
    reason: 'big_withdrawal',
  },
];
const heldForMs = 40 * 60_000;
const simRules: BankSimRules = { unknownCards: 'approve', transmissionWindowMs: 300_000 };

/** What the flows handed the card link for each message: its STAN and field 7. */
interface Sent {
  readonly kind: 'authorise' | 'payout' | 'payout_status' | 'reverse';
  readonly stan: string | undefined;
  readonly transmitted: string | undefined;
}

function recording(link: CardLink, sent: Sent[]): CardLinkPort {
  return {
    stamp: () => link.stamp(),
    stampWithMoment: () => link.stampWithMoment(),
    authorise: (input) => {
      sent.push({ kind: 'authorise', stan: input.stan, transmitted: input.sentAt?.transmissionDateTime });
      return link.authorise(input);
    },
    payout: (input) => {
      sent.push({ kind: 'payout', stan: input.stan, transmitted: input.sentAt?.transmissionDateTime });
      return link.payout(input);
    },
    payoutStatus: (reference) => {
      sent.push({ kind: 'payout_status', stan: reference.stan, transmitted: reference.transmissionDateTime });
      return link.payoutStatus(reference);
    },
    reverse: (original, stan) => {
      sent.push({ kind: 'reverse', stan: original.stan, transmitted: original.transmissionDateTime });
      return link.reverse(original, stan);
    },
    verifyAccount: (input) => link.verifyAccount(input),
    confirmOneTimeCode: (input) => link.confirmOneTimeCode(input),
  };
}

/** A link whose payout and status answer "in progress" for ever (its stamps are the real link's clock). */
function neverFinishing(link: CardLink): CardLinkPort {
  const inProgress = async (reference: CardRequest): Promise<PayoutResult> => ({ outcome: 'processing', reference });
  return {
    stamp: () => link.stamp(),
    stampWithMoment: () => link.stampWithMoment(),
    authorise: () => Promise.reject(new Error('not used')),
    payout: (input) => inProgress({ stan: input.stan } as CardRequest),
    payoutStatus: inProgress,
    reverse: () => Promise.reject(new Error('not used')),
    verifyAccount: () => Promise.reject(new Error('not used')),
    confirmOneTimeCode: () => Promise.reject(new Error('not used')),
  };
}

let keys = 0;
let pans = 0;

for (const kind of testStoreKinds()) {
  describe(`a held top-up or withdrawal is stamped when it is released (${kind})`, () => {
    let t: AccessTestApp;
    let sim: BankSimProcess;
    let link: CardLink;
    let funding: CardFunding;
    let ctx: PaymentsContext;
    let identity: TestIdentity;
    const sent: Sent[] = [];
    /** The platform's clock, the card link's too: set per step. */
    let at = Date.now();

    const customer = async (minor: bigint): Promise<[TestCustomer, PaymentCard]> => {
      const who = await identity.addCustomer({ now: at });
      const wallet = await walletOf(t.ledger, who.customer.id, 'CNY');
      const bank = await bankSettlementOf(t.ledger, 'SIMBANK', 'CNY');
      const funded = await t.ledger.submit({
        kind: 'single', key: `fund:${who.customer.id}`, debitAccountId: bank.id, creditAccountId: wallet.id,
        amount: minor, currency: 'CNY',
      });
      assert.ok(funded.ok);
      const pan = withCheckDigit(`62220230${String(pans++).padStart(10, '0')}`);
      const card = { pan, expiryMonth: 12, expiryYear: 2035, bank: 'SIMBANK' };
      return [who, await verifiedTestCard(t.store, funding.vault, who.customer.id, card)];
    };
    const signed = (what: 'top_up' | 'withdrawal', who: TestCustomer, card: PaymentCard, amount: string) => {
      const instruction = instructionFor(who, { kind: what, target: card.id, amount }, at);
      const signature = signInstruction(identity.profile, who, instruction);
      return { instruction, signature, idempotencyKey: `rst-${keys++}` };
    };
    /** [balance, available] of the customer's wallet and the bank settlement account's balance. */
    const money = async (who: TestCustomer): Promise<[bigint, bigint, bigint]> => {
      const wallet = await walletOf(t.ledger, who.customer.id, 'CNY');
      return [balanceOf(wallet), availableOf(wallet), balanceOf(await bankSettlementOf(t.ledger, 'SIMBANK', 'CNY'))];
    };
    /**
     * Every STAN the platform stored or sent so far, with the day (field 7's MMDD) it belongs to: STANs
     * are unique per UTC day (card_stans), as a bank's duplicate check is; a held request released after
     * midnight may carry a number yesterday's sequence used too, on another day.
     */
    const stansUsed = async () => {
      const rows = await t.store.all<{ bank_stan: string; bank_transmitted: string | null }>(
        'SELECT bank_stan, bank_transmitted FROM funding_payments',
      );
      const used = new Set([
        ...rows.map((r) => `${r.bank_stan}@${(r.bank_transmitted ?? '').slice(0, 4)}`),
        ...sent.map((x) => `${x.stan ?? ''}@${(x.transmitted ?? '').slice(0, 4)}`),
      ]);
      return {
        has: (stan: string | undefined, transmitted: string | undefined) =>
          stan === undefined || used.has(`${stan}@${(transmitted ?? '').slice(0, 4)}`),
      };
    };

    before(async () => {
      sim = await startBankSimProcess(simRules);
      t = await createAccessTestApp(kind);
      const [a, b] = [await t.operator('risk_analyst'), await t.operator('risk_analyst')];
      const tokens = { a: await t.login(a), b: await t.login(b) };
      identity = await createTestIdentity('intl');
      ctx = {
        store: t.store, ledger: t.ledger, identity, settings: paymentSettingsOf(t.config), clock: () => at,
        riskEngine: t.app.context.risk,
      };
      const terminalId = `T${kind.slice(0, 3).toUpperCase()}RSTP`;
      link = new CardLink({
        port: sim.port, terminalId, merchantId: 'ANFUTOPUP000001', responseTimeoutMs: 1_500, reversalRetryDelayMs: 10,
        clock: () => new Date(at),
      });
      const vault = new TokenVault(t.app.context.keyring);
      funding = { link: recording(link, sent), vault, bank: 'SIMBANK', terminalId, merchantId: 'ANFUTOPUP000001' };
      const base = defaultRuleSet();
      const document = { ...base, rules: [...base.rules, ...reviewRules] };
      const post = (url: string, token: string, payload?: Record<string, unknown>) =>
        t.app.inject({ method: 'POST', url, headers: bearer(token), ...(payload === undefined ? {} : { payload }) });
      const proposed = await post('/v1/risk/rulesets', tokens.a, { document });
      assert.equal(proposed.statusCode, 201, proposed.body);
      assert.equal((await post(`/v1/proposals/${proposed.json().id}/approve`, tokens.b)).json().state, 'executed');
      await t.app.context.risk.refresh();
    });
    after(async () => {
      link.close();
      await t.close();
      await sim.stop();
    });

    test('a top-up released 40 minutes on has a fresh STAN and the release time; a retry sends nothing', async () => {
      at = Date.now() - heldForMs;
      const [alice, card] = await customer(10_000n);
      const created = link.stamp().transmissionDateTime;
      const held = (await topUpByCard(ctx, funding, alice.principal, signed('top_up', alice, card, '250.00'))).funding;
      assert.equal(held.state, 'held_for_review');
      assert.equal(held.exchange.transmitted, created, 'stamped at creation, nothing sent');
      const usedBefore = await stansUsed();
      const [balance, , bankBefore] = await money(alice);

      at = Date.now();
      const released = link.stamp();
      const outcome = await resolveFundingReview(ctx, funding, held.id, 'release', 'opr_test');
      assert.deepEqual([outcome.ok, outcome.ok && outcome.funding.state], [true, 'succeeded']);
      const authorisations = sent.filter((s) => s.kind === 'authorise');
      assert.equal(authorisations.length, 1);
      const [authorised] = authorisations;
      assert.equal(authorised?.transmitted, released.transmissionDateTime, 'field 7 is the release time');
      assert.notEqual(authorised?.transmitted, created);
      assert.ok(!usedBefore.has(authorised?.stan, authorised?.transmitted), 'a STAN not used before that day');
      const row = await fundingById(t.store, held.id);
      assert.deepEqual(
        [row?.exchange.stan, row?.exchange.transmitted, row?.exchange.localTime, row?.exchange.responseCode],
        [authorised?.stan, released.transmissionDateTime, released.localTime, '00'],
        'what was sent is what is stored: a reversal or query names it',
      );
      assert.deepEqual(await money(alice), [balance + 25_000n, balance + 25_000n, bankBefore - 25_000n]);

      at += 60_000;
      const again = await resolveFundingReview(ctx, funding, held.id, 'release', 'opr_test');
      assert.deepEqual([again.ok, again.ok && again.funding.state], [true, 'succeeded']);
      assert.equal(sent.filter((s) => s.kind === 'authorise').length, 1, 'a second release sends nothing');
      assert.equal((await fundingById(t.store, held.id))?.exchange.stan, authorised?.stan, 'its identity is kept');
      const state = await sim.state();
      assert.deepEqual([state.received['0100'], state.approvals], [1, 1], 'the bank approved it, once');
    });

    test('a challenged top-up stepped up 10 minutes on goes out with a fresh STAN and the step-up time', async () => {
      at = Date.now() - 10 * 60_000;
      const carol = await identity.addCustomer({ now: at, deviceAgeMs: 60_000 });
      const owned = await verifiedTestCard(t.store, funding.vault, carol.customer.id, {
        pan: withCheckDigit(`62220231${String(pans++).padStart(10, '0')}`), expiryMonth: 12, expiryYear: 2035,
        bank: 'SIMBANK',
      });
      const created = link.stamp().transmissionDateTime;
      const topUp = signed('top_up', carol, owned, '50.00');
      const started = (await topUpByCard(ctx, funding, carol.principal, topUp)).funding;
      assert.equal(started.state, 'challenged', 'a device enrolled a minute ago is stepped up');
      const usedBefore = await stansUsed();
      const [balance, , bankBefore] = await money(carol);

      at = Date.now();
      const steppedUp = link.stamp();
      const answer = { kind: 'totp' as const, code: identity.stepUpCode };
      const done = await resumeChallengedFunding(ctx, funding, carol.principal, started.id, answer);
      assert.equal(done.state, 'succeeded', 'the bank took it as fresh');
      const [authorised] = sent.filter((x) => x.kind === 'authorise').slice(-1);
      assert.equal(authorised?.transmitted, steppedUp.transmissionDateTime);
      assert.notEqual(authorised?.transmitted, created);
      assert.ok(!usedBefore.has(authorised?.stan, authorised?.transmitted), 'a STAN not used before that day');
      assert.equal((await fundingById(t.store, started.id))?.exchange.stan, authorised?.stan);
      assert.deepEqual(await money(carol), [balance + 5_000n, balance + 5_000n, bankBefore - 5_000n]);
    });

    test('a withdrawal released 40 minutes on is paid with its release stamp; its status query the same', async () => {
      await sim.putRules({ ...simRules, drops: [{ mti: '0200', times: 1 }], dropStage: 'response' });
      at = Date.now() - heldForMs;
      const [bob, card] = await customer(50_000n);
      const created = link.stamp().transmissionDateTime;
      const request = signed('withdrawal', bob, card, '150.00');
      const held = (await withdrawToCard(ctx, funding, bob.principal, request)).funding;
      assert.equal(held.state, 'held_for_review');
      const usedBefore = await stansUsed();
      const [, , bankBefore] = await money(bob);
      assert.deepEqual(await money(bob), [50_000n, 35_000n, bankBefore], 'the amount is held');
      const simBefore = await sim.state();

      at = Date.now();
      const released = link.stamp();
      const outcome = await resolveFundingReview(ctx, funding, held.id, 'release', 'opr_test');
      assert.deepEqual([outcome.ok, outcome.ok && outcome.funding.state], [true, 'processing'], 'its answer was lost');
      const [payout] = sent.filter((s) => s.kind === 'payout');
      assert.equal(payout?.transmitted, released.transmissionDateTime, 'field 7 is the release time');
      assert.notEqual(payout?.transmitted, created);
      assert.ok(!usedBefore.has(payout?.stan, payout?.transmitted), 'a STAN not used before that day');

      at += 10 * 60_000;
      assert.equal(await pollWithdrawals(ctx, funding, { limit: 10 }), 1);
      const [query] = sent.filter((s) => s.kind === 'payout_status');
      const same = { kind: 'payout_status', stan: payout.stan, transmitted: payout.transmitted };
      assert.deepEqual(query, same, 'the same request');
      const paid = await fundingById(t.store, held.id);
      assert.equal(paid?.state, 'succeeded');
      const simAfter = await sim.state();
      assert.deepEqual(
        [simAfter.received['0200'], simAfter.received['0201'], simAfter.duplicates - simBefore.duplicates],
        [1, 1, 1],
        'the bank recognised the repeat and paid once',
      );
      assert.deepEqual(await money(bob), [35_000n, 35_000n, bankBefore + 15_000n]);
      await sim.putRules(simRules);
    });

    test('a withdrawal held 2 hours is outcome-unknown only past the timeout counted from its release', async () => {
      // The bank never gives a final answer ("in progress"); the timeout shortened to an hour.
      const silent: CardFunding = { ...funding, link: neverFinishing(link) };
      const hourly = { ...ctx, settings: { ...ctx.settings, withdrawalOutcomeUnknownAfterMs: 3600_000 } };
      at = Date.now() - 2 * 3600_000;
      const [dave, card] = await customer(50_000n);
      const request = signed('withdrawal', dave, card, '120.00');
      const held = (await withdrawToCard(hourly, silent, dave.principal, request)).funding;
      assert.equal(held.state, 'held_for_review');
      const [, , bankBefore] = await money(dave);
      at = Date.now();
      const released = at;
      const outcome = await resolveFundingReview(hourly, silent, held.id, 'release', 'opr_test');
      assert.deepEqual([outcome.ok, outcome.ok && outcome.funding.state], [true, 'processing']);
      assert.equal((await fundingById(t.store, held.id))?.sentAt, released, 'sent at the release');
      const listed = async () => (await outcomeUnknownWithdrawals(t.store, 50)).some((w) => w.id === held.id);
      for (const after of [10_000, 3600_000 - 30_000]) {
        at = released + after;
        await pollWithdrawals(hourly, silent, { limit: 50 });
        assert.equal(await listed(), false, `not listed ${after} ms after the release`);
      }
      at = released + 3600_000 + 5 * 60_000;
      await pollWithdrawals(hourly, silent, { limit: 50 });
      assert.equal(await listed(), true, 'listed past the hour');
      const row = await fundingById(t.store, held.id);
      assert.deepEqual([row?.state, row?.outcomeUnknownAt], ['processing', at], 'listed, nothing decided');
      const cases = await t.store.all<{ id: string }>(
        "SELECT id FROM cases WHERE kind = 'withdrawal_outcome_unknown' AND dedupe_key = ?", [held.id],
      );
      assert.equal(cases.length, 1, 'one case for operations');
      assert.deepEqual(await money(dave), [50_000n, 38_000n, bankBefore], 'still held, nothing paid');
    });
  });
}
