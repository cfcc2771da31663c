// Issue 10 on both stores: a withdrawal whose bank outcome stays unknown opens one
// `withdrawal_outcome_unknown` case (the sweep run twice: still one); a maker proposes `not_paid`,
// approving it themselves is refused (code, audit entry, nothing changed), a second operator approves
// and the same resolution as `withdrawal.resolve` voids the hold: the wallet balance is exact.
// The `paid` decision end to end: proposed, approved by a checker, the hold is posted (wallet and bank
// settlement balances exact), the case decided and then closed. A `withdrawal.resolve` whose money
// step took before a crash: the re-run execution moves nothing twice and closes the case.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  approveProposal, proposeAction, ProposalRegistry, type Actor, type ApprovalsContext,
} from '../access/index.ts';
import type { CardRequest, PayoutResult } from '../banks/index.ts';
import {
  caseDecisionExecutor, closeCase, createCases, decideCase, defaultBusinessCalendar, getCase,
} from '../cases/index.ts';
import { loadConfig } from '../config.ts';
import { TokenVault } from '../crypto/index.ts';
import { testKeyring } from '../crypto/testing.ts';
import { Ledger, availableOf, balanceOf } from '../ledger/index.ts';
import {
  bankSettlementOf,
  fundingById,
  paymentSettingsOf,
  walletOf,
  type CardFunding,
  type CardLinkPort,
  type PaymentsContext,
} from '../payments/index.ts';
import { createTestIdentity, instructionFor, signInstruction, verifiedTestCard } from '../payments/testing.ts';
import type { Store } from '../store/index.ts';
import { createTestDatabase, testStoreKinds } from '../store/testing.ts';
import { withdrawalOutcomeCaseKind } from './withdrawal-outcome-case.ts';
import {
  pollWithdrawals, resolveOutcomeUnknown, withdrawalResolutionExecutor, withdrawToCard,
} from './withdraw-to-card.ts';

/** A card link whose payouts stay "in progress" for ever (the bank never answers finally). */
function stillProcessingLink(): CardLinkPort {
  const pending = (reference: CardRequest): PayoutResult => ({ outcome: 'processing', reference });
  const request = (stan: string | undefined, sentAt: { transmissionDateTime: string; localTime: string } | undefined) =>
    ({
      mti: '0200', processingCode: '260000', pan: undefined as never, expiry: undefined, amountMinor: 0n,
      currency: undefined as never, stan: stan ?? '', transmissionDateTime: sentAt?.transmissionDateTime ?? '',
      localTime: sentAt?.localTime ?? '', terminalId: 'T', merchantId: 'M',
    }) as CardRequest;
  return {
    stamp: () => ({ transmissionDateTime: '1202120000', localTime: '200000' }),
    stampWithMoment: () => ({ transmissionDateTime: '1202120000', localTime: '200000', at: Date.UTC(2026, 11, 2, 12) }),
    authorise: () => Promise.reject(new Error('not used')),
    reverse: () => Promise.reject(new Error('not used')),
    payout: async (input) => pending(request(input.stan, input.sentAt)),
    payoutStatus: async (reference) => pending(reference),
    verifyAccount: () => Promise.reject(new Error('not used')),
    confirmOneTimeCode: () => Promise.reject(new Error('not used')),
  };
}

function operator(id: string): Actor {
  return {
    type: 'operator',
    principal: { kind: 'operator', id, name: id, role: 'operations', sessionId: `ses_${id}` },
    ip: null,
    device: null,
  };
}

/** A customer with 500.00 CNY whose 123.45 withdrawal stays `processing` past the outcome-unknown age. */
async function outcomeUnknownWithdrawal(store: Store, ledger: Ledger) {
  const identity = await createTestIdentity('intl');
  const clockState = { offset: 0 };
  const clock = () => Date.now() + clockState.offset;
  const settings = paymentSettingsOf(loadConfig({ ANFU_ENV: 'test' }));
  const ctx: PaymentsContext = { store, ledger, identity, settings, clock };
  const vault = new TokenVault(await testKeyring(store));
  const link = stillProcessingLink();
  const funding: CardFunding = { link, vault, bank: 'SIMBANK', terminalId: 'T', merchantId: 'M' };
  const alice = await identity.addCustomer();
  const bank = await bankSettlementOf(ledger, 'SIMBANK', 'CNY');
  const wallet = await walletOf(ledger, alice.customer.id, 'CNY');
  const funded = await ledger.submit({
    kind: 'single', key: 'fund', debitAccountId: bank.id, creditAccountId: wallet.id,
    amount: 50_000n, currency: 'CNY',
  });
  assert.ok(funded.ok);
  const card = await verifiedTestCard(store, vault, alice.customer.id, {
    pan: '6222020000000000018', expiryMonth: 12, expiryYear: 2030, bank: 'SIMBANK',
  });
  const instruction = instructionFor(alice, { kind: 'withdrawal', target: card.id, amount: '123.45' }, clock());
  const signature = signInstruction('intl', alice, instruction);
  const request = { instruction, signature, idempotencyKey: 'w-1' };
  const started = await withdrawToCard(ctx, funding, alice.principal, request);
  assert.equal(started.funding.state, 'processing');
  const cases = createCases({
    store, clock, kinds: [withdrawalOutcomeCaseKind(ctx)], proposalTtlMs: 3_600_000,
    calendar: defaultBusinessCalendar,
  });
  const registry = new ProposalRegistry();
  registry.register(caseDecisionExecutor(cases));
  const approvals: ApprovalsContext = { store, registry, ttlMs: 3_600_000 };
  return { ctx, funding, alice, started, clock, clockState, settings, cases, approvals };
}

const casesOf = (store: Store) => store.all("SELECT id FROM cases WHERE kind = 'withdrawal_outcome_unknown'");

for (const kind of testStoreKinds()) {
  test(`${kind}: an outcome-unknown withdrawal opens one case; not_paid under four eyes voids the hold`, async () => {
    const database = await createTestDatabase(kind);
    const store = database.open();
    const ledger = new Ledger({ store });
    try {
      const { ctx, funding, alice, started, clock, clockState, settings, cases, approvals } =
        await outcomeUnknownWithdrawal(store, ledger);
      const fundingId = started.funding.id;

      // Before the configured age: queried, no case.
      clockState.offset = settings.withdrawalOutcomeUnknownAfterMs - 60_000;
      await pollWithdrawals(ctx, funding, { limit: 10 });
      assert.equal((await casesOf(store)).length, 0);
      // Past it: one case, and one still after the sweep runs again.
      for (const extra of [3_600_000, 30 * 3_600_000]) {
        clockState.offset = settings.withdrawalOutcomeUnknownAfterMs + extra;
        await pollWithdrawals(ctx, funding, { limit: 10 });
      }
      const opened = await casesOf(store);
      assert.equal(opened.length, 1);
      const caseId = String(opened[0]?.id);
      const record = await getCase(store, caseId);
      assert.deepEqual(
        [record?.queue, record?.dedupeKey, record?.status, record?.amount?.minor],
        ['operations', fundingId, 'open', 12_345n],
      );
      assert.equal(availableOf(await walletOf(ledger, alice.customer.id, 'CNY')), 50_000n - 12_345n);

      const maker = operator('op_maker');
      const proposed = await decideCase(cases, caseId, 'not_paid', maker, 'the bank says not paid', clock());
      assert.ok(proposed.ok && proposed.proposalId !== undefined, proposed.ok ? 'no proposal' : proposed.code);
      assert.equal(proposed.value.status, 'open', 'not decided until checked');
      const proposalId = proposed.proposalId;

      // The maker approving their own decision: refused, audited, nothing moved.
      const own = await approveProposal(approvals, operator('op_maker'), proposalId, clock);
      assert.deepEqual(own.ok ? 'approved' : own.code, 'proposal_self_approval');
      const denied = await store.all(
        "SELECT actor_id, details FROM audit_entries WHERE action = 'proposal.approve' AND outcome = 'denied' " +
          'AND target = ?',
        [proposalId],
      );
      assert.equal(denied.length, 1);
      assert.equal(denied[0]?.actor_id, 'op_maker');
      assert.equal((await fundingById(store, fundingId))?.state, 'processing');
      assert.equal((await getCase(store, caseId))?.status, 'open');
      assert.equal(availableOf(await walletOf(ledger, alice.customer.id, 'CNY')), 50_000n - 12_345n);

      // A second operator approves: the hold is voided, the withdrawal fails, the case is decided.
      const approved = await approveProposal(approvals, operator('op_checker'), proposalId, clock);
      assert.ok(approved.ok, approved.ok ? '' : approved.code);
      const shown = JSON.stringify(approved.proposal, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v));
      assert.equal(approved.proposal.state, 'executed', shown);
      const after = await fundingById(store, fundingId);
      assert.deepEqual([after?.state, after?.failureCode], ['failed', 'payout_not_paid']);
      const hold = await store.get('SELECT state FROM ledger_holds WHERE seq = ?', [started.funding.holdSeq]);
      assert.equal(hold?.state, 'voided');
      const walletAfter = await walletOf(ledger, alice.customer.id, 'CNY');
      assert.equal(balanceOf(walletAfter), 50_000n);
      assert.equal(availableOf(walletAfter), 50_000n);
      const decided = await getCase(store, caseId);
      assert.deepEqual([decided?.status, decided?.decision, decided?.decidedBy], ['decided', 'not_paid', 'op_checker']);
      // The sweep no longer sees it, and opens nothing new.
      await pollWithdrawals(ctx, funding, { limit: 10 });
      assert.equal((await casesOf(store)).length, 1);
      assert.deepEqual((await ledger.verify()).problems, []);
    } finally {
      await ledger.close();
      await store.close();
      await database.drop();
    }
  });

  test(`${kind}: the case's paid decision, approved by a checker, posts the hold and the case closes`, async () => {
    const database = await createTestDatabase(kind);
    const store = database.open();
    const ledger = new Ledger({ store });
    try {
      const { ctx, funding, alice, started, clock, clockState, settings, cases, approvals } =
        await outcomeUnknownWithdrawal(store, ledger);
      const fundingId = started.funding.id;
      const bankBefore = balanceOf(await bankSettlementOf(ledger, 'SIMBANK', 'CNY'));
      clockState.offset = settings.withdrawalOutcomeUnknownAfterMs + 3_600_000;
      await pollWithdrawals(ctx, funding, { limit: 10 });
      const caseId = String((await casesOf(store))[0]?.id);
      assert.equal((await getCase(store, caseId))?.status, 'open');

      const proposed = await decideCase(cases, caseId, 'paid', operator('op_maker'), 'the bank says paid', clock());
      assert.ok(proposed.ok && proposed.proposalId !== undefined, proposed.ok ? 'no proposal' : proposed.code);
      // Proposed, not yet checked: nothing posted.
      assert.equal((await fundingById(store, fundingId))?.state, 'processing');
      assert.equal(balanceOf(await walletOf(ledger, alice.customer.id, 'CNY')), 50_000n);

      const approved = await approveProposal(approvals, operator('op_checker'), proposed.proposalId, clock);
      assert.ok(approved.ok, approved.ok ? '' : approved.code);
      assert.equal(approved.proposal.state, 'executed');
      assert.equal((await fundingById(store, fundingId))?.state, 'succeeded');
      const hold = await store.get('SELECT state FROM ledger_holds WHERE seq = ?', [started.funding.holdSeq]);
      assert.equal(hold?.state, 'posted');
      const walletAfter = await walletOf(ledger, alice.customer.id, 'CNY');
      assert.equal(balanceOf(walletAfter), 50_000n - 12_345n);
      assert.equal(availableOf(walletAfter), 50_000n - 12_345n);
      // The money went back out through the bank's settlement account: -500.00 after the top-up, -376.55 now.
      assert.equal(bankBefore, -50_000n);
      assert.equal(balanceOf(await bankSettlementOf(ledger, 'SIMBANK', 'CNY')), -50_000n + 12_345n);
      const decided = await getCase(store, caseId);
      assert.deepEqual([decided?.status, decided?.decision, decided?.decidedBy], ['decided', 'paid', 'op_checker']);

      const closed = await closeCase(store, caseId, operator('op_checker'), clock());
      assert.ok(closed.ok);
      assert.equal((await getCase(store, caseId))?.status, 'closed');
      const closing = await store.all(
        "SELECT actor_id FROM audit_entries WHERE action = 'case.closed' AND target = ?",
        [caseId],
      );
      assert.deepEqual(closing.map((r) => r.actor_id), ['op_checker']);
      // The sweep leaves it: no second case, no second posting.
      await pollWithdrawals(ctx, funding, { limit: 10 });
      assert.equal((await casesOf(store)).length, 1);
      assert.equal(balanceOf(await walletOf(ledger, alice.customer.id, 'CNY')), 50_000n - 12_345n);
      assert.deepEqual((await ledger.verify()).problems, []);
    } finally {
      await ledger.close();
      await store.close();
      await database.drop();
    }
  });
  test(`${kind}: withdrawal.resolve re-run after its money step took: once, and the case closes`, async () => {
    const database = await createTestDatabase(kind);
    const store = database.open();
    const ledger = new Ledger({ store });
    try {
      const { ctx, funding, alice, started, clock, clockState, settings } =
        await outcomeUnknownWithdrawal(store, ledger);
      const fundingId = started.funding.id;
      clockState.offset = settings.withdrawalOutcomeUnknownAfterMs + 3_600_000;
      await pollWithdrawals(ctx, funding, { limit: 10 });
      const caseId = String((await casesOf(store))[0]?.id);
      const registry = new ProposalRegistry();
      registry.register(withdrawalResolutionExecutor(ctx));
      const approvals: ApprovalsContext = { store, registry, ttlMs: 3_600_000 };
      const payload = { fundingId, outcome: 'not_paid' };
      const input = { kind: 'withdrawal.resolve', payload };
      const proposed = await proposeAction(approvals, operator('op_maker'), input, clock());
      assert.ok(proposed.ok, proposed.ok ? '' : proposed.code);
      // The execution's money step ran (hold voided) and the process died before the proposal was marked.
      const first = await resolveOutcomeUnknown(ctx, { fundingId, outcome: 'not_paid' }, proposed.proposal.id);
      assert.ok(first.ok);
      assert.equal((await getCase(store, caseId))?.status, 'open');
      // The checker's approval runs the execution again: nothing moves twice, the case closes.
      const proposalId = proposed.proposal.id;
      const approved = await approveProposal(approvals, operator('op_checker'), proposalId, clock);
      assert.ok(approved.ok, approved.ok ? '' : approved.code);
      assert.equal(approved.proposal.state, 'executed');
      assert.equal((await fundingById(store, fundingId))?.state, 'failed');
      const wallet = await walletOf(ledger, alice.customer.id, 'CNY');
      assert.deepEqual([balanceOf(wallet), availableOf(wallet)], [50_000n, 50_000n]);
      assert.equal((await getCase(store, caseId))?.status, 'closed');
      assert.deepEqual((await ledger.verify()).problems, []);
    } finally {
      await ledger.close();
      await store.close();
      await database.drop();
    }
  });
}
