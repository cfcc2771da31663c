// No timer decides what a bank did (issue 10), on both stores, with a card link that never answers
// finally ("in progress" for ever): the withdrawal's hold has no expiry, status queries back off,
// past the configured age the withdrawal is listed "outcome unknown", and operations resolve it under
// maker–checker (paid → the hold is posted, and the withdrawal's open case is closed with the reason).
// STANs come from the database, unique per day.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  approveProposal, executeApprovedProposal, proposeAction, ProposalRegistry, type Actor, type ApprovalsContext,
} from '../access/index.ts';
import type { CardRequest, PayoutResult } from '../banks/index.ts';
import { listCases } from '../cases/index.ts';
import { loadConfig } from '../config.ts';
import { TokenVault } from '../crypto/index.ts';
import { testKeyring } from '../crypto/testing.ts';
import { Ledger, availableOf, balanceOf } from '../ledger/index.ts';
import {
  bankSettlementOf, fundingById, nextCardStan, outcomeUnknownWithdrawals, paymentSettingsOf, walletOf,
  type CardFunding, type CardLinkPort, type PaymentsContext,
} from '../payments/index.ts';
import { createTestIdentity, instructionFor, signInstruction, verifiedTestCard } from '../payments/testing.ts';
import type { Queryable } from '../store/index.ts';
import { createTestDatabase, testStoreKinds } from '../store/testing.ts';
import { pollWithdrawals, withdrawalResolutionExecutor, withdrawToCard } from './withdraw-to-card.ts';

function stillProcessingLink(sent: string[]): CardLinkPort {
  const pending = (reference: CardRequest): PayoutResult => ({ outcome: 'processing', reference });
  const request = (stan: string | undefined, sentAt: { transmissionDateTime: string; localTime: string } | undefined): CardRequest => ({
    mti: '0200', processingCode: '260000', pan: undefined as never, expiry: undefined, amountMinor: 0n, currency: undefined as never, stan: stan ?? '', transmissionDateTime: sentAt?.transmissionDateTime ?? '',
    localTime: sentAt?.localTime ?? '', terminalId: 'T', merchantId: 'M',
  });
  return {
    stamp: () => ({ transmissionDateTime: '1202120000', localTime: '200000' }),
    stampWithMoment: () => ({ transmissionDateTime: '1202120000', localTime: '200000', at: Date.UTC(2026, 11, 2, 12) }),
    authorise: () => Promise.reject(new Error('not used')),
    reverse: () => Promise.reject(new Error('not used')),
    payout: async (input) => { sent.push(`0200 ${input.stan ?? ''} ${input.sentAt?.transmissionDateTime ?? 'none'}`); return pending(request(input.stan, input.sentAt)); },
    payoutStatus: async (reference) => { sent.push(`0201 ${reference.stan} ${reference.transmissionDateTime}`); return pending(reference); },
    verifyAccount: () => Promise.reject(new Error('not used')),
    confirmOneTimeCode: () => Promise.reject(new Error('not used')),
  };
}

async function getCaseByKey(store: Queryable, fundingId: string) {
  const page = await listCases(store, { kind: 'withdrawal_outcome_unknown', limit: 10 });
  return page.items.find((c) => c.dedupeKey === fundingId);
}

function operator(id: string): Actor {
  return { type: 'operator', principal: { kind: 'operator', id, name: id, role: 'operations', sessionId: `ses_${id}` }, ip: null, device: null };
}

for (const kind of testStoreKinds()) {
  test(`${kind}: a withdrawal the bank never finishes keeps its hold, backs off, is listed outcome-unknown and resolved under maker–checker`, async () => {
    const database = await createTestDatabase(kind);
    const store = database.open();
    const ledger = new Ledger({ store });
    try {
      const identity = await createTestIdentity('intl');
      let offset = 0;
      const clock = () => Date.now() + offset;
      const ctx: PaymentsContext = { store, ledger, identity, settings: paymentSettingsOf(loadConfig({ ANFU_ENV: 'test' })), clock };
      const sent: string[] = [];
      const funding: CardFunding = { link: stillProcessingLink(sent), vault: new TokenVault(await testKeyring(store)), bank: 'SIMBANK', terminalId: 'T', merchantId: 'M' };
      const alice = await identity.addCustomer();
      const bank = await bankSettlementOf(ledger, 'SIMBANK', 'CNY');
      const wallet = await walletOf(ledger, alice.customer.id, 'CNY');
      assert.ok((await ledger.submit({ kind: 'single', key: 'fund', debitAccountId: bank.id, creditAccountId: wallet.id, amount: 50_000n, currency: 'CNY' })).ok);
      const card = await verifiedTestCard(store, funding.vault, alice.customer.id, { pan: '6222020000000000018', expiryMonth: 12, expiryYear: 2030, bank: 'SIMBANK' });
      const instruction = instructionFor(alice, { kind: 'withdrawal', target: card.id, amount: '100.00' }, clock());
      const started = await withdrawToCard(ctx, funding, alice.principal, { instruction, signature: signInstruction('intl', alice, instruction), idempotencyKey: 'withdraw-1' });
      assert.equal(started.funding.state, 'processing');
      // Stored before sending: the STAN from the database and field 7 went out as stored.
      assert.match(started.funding.exchange.stan, /^[0-9]{6}$/);
      assert.deepEqual(sent, [`0200 ${started.funding.exchange.stan} 1202120000`]);
      const hold = await store.get('SELECT state, expires_at FROM ledger_holds WHERE seq = ?', [started.funding.holdSeq]);
      assert.equal(hold?.expires_at, null, 'the hold has no timeout');
      // Months later the ledger's own expiry releases nothing, and the money stays held.
      offset = 90 * 86_400_000;
      assert.equal(await ledger.expireHolds(), 0);
      offset = 0;
      // Back-off: nothing is due at once; each query pushes the next one further out.
      assert.equal(await pollWithdrawals(ctx, funding, { limit: 10 }), 0);
      assert.equal(sent.length, 1);
      const dues: number[] = [];
      for (let i = 0; i < 3; i++) {
        const row = await fundingById(store, started.funding.id);
        offset = (row?.nextStatusAt ?? 0) - Date.now() + 1;
        await pollWithdrawals(ctx, funding, { limit: 10 });
        dues.push(((await fundingById(store, started.funding.id))?.nextStatusAt ?? 0) - clock());
      }
      assert.equal(sent.filter((m) => m.startsWith('0201')).length, 3);
      assert.ok(dues[0] !== undefined && dues[2] !== undefined && dues[2] > dues[0], `back-off grows: ${dues.join(', ')}`);
      assert.deepEqual(await outcomeUnknownWithdrawals(store, 10), []);
      // Past the configured age: listed for operations, still processing, still held.
      offset = ctx.settings.withdrawalOutcomeUnknownAfterMs + 3600_000 * 2;
      await pollWithdrawals(ctx, funding, { limit: 10 });
      const listed = await outcomeUnknownWithdrawals(store, 10);
      assert.deepEqual(listed.map((r) => [r.id, r.state]), [[started.funding.id, 'processing']]);
      assert.equal(availableOf(await walletOf(ledger, alice.customer.id, 'CNY')), 40_000n);
      // Maker–checker: one operator proposes "paid", another approves; the hold is posted.
      const registry = new ProposalRegistry();
      registry.register(withdrawalResolutionExecutor(ctx));
      const approvals: ApprovalsContext = { store, registry, ttlMs: 3600_000 };
      const proposed = await proposeAction(approvals, operator('op_maker'), { kind: 'withdrawal.resolve', payload: { fundingId: started.funding.id, outcome: 'paid' } }, clock());
      assert.ok(proposed.ok);
      const approved = await approveProposal(approvals, operator('op_checker'), proposed.proposal.id, clock);
      assert.ok(approved.ok);
      assert.equal(approved.proposal.state, 'executed');
      assert.equal((await fundingById(store, started.funding.id))?.state, 'succeeded');
      assert.equal(balanceOf(await walletOf(ledger, alice.customer.id, 'CNY')), 40_000n);
      assert.deepEqual((await ledger.verify()).problems, []);
      // Resolved directly, not through its case: the sweep's case is closed with the reason, audited
      // under the checker, in the proposal's execution.
      const caseRow = await getCaseByKey(store, started.funding.id);
      assert.equal(caseRow?.status, 'closed');
      assert.equal((approved.proposal.result as { closedCaseId?: string }).closedCaseId, caseRow?.id);
      const closing = await store.all(
        "SELECT actor_id, outcome, details FROM audit_entries WHERE action = 'case.closed' AND target = ?",
        [caseRow?.id],
      );
      assert.equal(closing.length, 1);
      assert.equal(closing[0]?.actor_id, 'op_checker');
      const reason = (JSON.parse(String(closing[0]?.details)) as { reason?: string }).reason;
      assert.equal(reason, `resolved by withdrawal.resolve ${proposed.proposal.id} (paid)`);
      // Running the execution again (the approvals sweep) moves nothing twice.
      const again = await executeApprovedProposal(approvals, proposed.proposal.id, clock);
      assert.equal(again.state, 'executed');
      assert.equal(balanceOf(await walletOf(ledger, alice.customer.id, 'CNY')), 40_000n);
      // STANs are unique within a day across callers (the database sequence).
      const stans = await Promise.all(Array.from({ length: 20 }, () => nextCardStan(store, started.funding.createdAt)));
      assert.equal(new Set([...stans, started.funding.exchange.stan]).size, 21);
    } finally {
      await ledger.close();
      await store.close();
      await database.drop();
    }
  });
}
