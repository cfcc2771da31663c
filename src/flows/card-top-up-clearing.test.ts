// Card top-ups feed clearing: a completed top-up is a `card_capture` credit of the card link's partner,
// recorded with its completion, netted by the next clearing run against withdrawals; a reversed top-up is
// withdrawn (or owed back once netted); a replayed completion counts once. Against `anfu bank-sim` as a
// real process on both stores with exact figures, and a fast-check property of the exact net positions.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  ProposalRegistry, approveProposal, executeApprovedProposal, proposeAction, type Actor, type ApprovalsContext,
} from '../access/index.ts';
import { CardLink } from '../banks/index.ts';
import { startBankSimProcess, type BankSimProcess } from '../banks/testing/bank-sim-process.ts';
import { withCheckDigit } from '../cards/index.ts';
import { createPartner, runClearing, type ClearingContext } from '../clearing/index.ts';
import { fundedWithdrawals, testClearing } from '../clearing/testing/context.ts';
import { loadConfig } from '../config.ts';
import { TokenVault } from '../crypto/index.ts';
import { AnfuError } from '../errors.ts';
import { Ledger, balanceOf } from '../ledger/index.ts';
import {
  bankSettlementOf, fundingById, paymentSettingsOf, provideCardFunding, walletOf, type CardFunding,
  type PaymentsContext,
} from '../payments/index.ts';
import { createTestIdentity, instructionFor, signInstruction, verifiedTestCard } from '../payments/testing.ts';
import type { Store } from '../store/index.ts';
import { createTestDatabase, testStoreKinds, type TestDatabase } from '../store/testing.ts';
import { recordTopUpCapture, withdrawTopUpCapture } from './clear-card-top-up.ts';
import { reverseTopUp, topUpReversalExecutor } from './reverse-top-up.ts';
import { captureTopUp, topUpByCard } from './top-up-by-card.ts';

const pan = withCheckDigit('622202000000000001');
const operator = { type: 'operator' as const, id: 'opr_test' };
const sum = (xs: readonly bigint[]): bigint => xs.reduce((a, b) => a + b, 0n);
const actor = (id: string): Actor => ({
  type: 'operator', principal: { kind: 'operator', id, name: id, role: 'operations', sessionId: `ses_${id}` },
  ip: null, device: null,
});

for (const kind of testStoreKinds()) {
  describe(`card top-ups in clearing (${kind})`, () => {
    let database: TestDatabase;
    let store: Store;
    let ledger: Ledger;
    let sim: BankSimProcess;
    let link: CardLink | undefined;
    let clearing: ClearingContext;
    let vault: TokenVault;
    // Device certificates and signed instructions are checked against the clock: it starts now.
    let time = Date.now();
    const clock = () => time;
    const tick = () => void (time += 1_000);
    const balance = async (id: string) => balanceOf((await ledger.account(id))!);

    before(async () => {
      sim = await startBankSimProcess({ unknownCards: 'approve' });
      database = await createTestDatabase(kind);
      store = database.open();
      ledger = new Ledger({ store, clock });
      const t = await testClearing(store, ledger, clock);
      clearing = t.ctx;
      vault = new TokenVault(t.keyring);
    });
    after(async () => {
      link?.close();
      await ledger?.close();
      await store?.close();
      await database?.drop();
      await sim?.stop();
    });

    it('top-ups are netted against withdrawals; a reversed one is not counted; a replay counts once', async () => {
      const identity = await createTestIdentity('intl');
      const ctx: PaymentsContext = {
        store, ledger, identity, settings: paymentSettingsOf(loadConfig({ ANFU_ENV: 'test' })), clock,
      };
      link = new CardLink({ port: sim.port, terminalId: 'TCLR0001', merchantId: 'ANFUTOPUP000001' });
      const funding: CardFunding = {
        link, vault, bank: 'SIMBANK', terminalId: 'TCLR0001', merchantId: 'ANFUTOPUP000001',
      };
      const partner = await createPartner(store, ledger, {
        name: 'SIMBANK', role: 'settlement_bank', currency: 'CNY', bic: 'SIMBCNBJ',
        accountNumber: '6222000077770000', netDebitCap: 1_000_000n,
      }, 'opr_test', time);
      const alice = await identity.addCustomer();
      const card = await verifiedTestCard(store, vault, alice.customer.id, {
        pan, expiryMonth: 12, expiryYear: 2030, bank: 'SIMBANK',
      });
      const topUp = async (amount: string) => {
        tick();
        const instruction = instructionFor(alice, { kind: 'top_up', target: card.id, amount });
        const request = {
          instruction, signature: signInstruction(identity.profile, alice, instruction), idempotencyKey: amount,
        };
        const started = await topUpByCard(ctx, funding, alice.principal, request);
        assert.equal(started.funding.state, 'succeeded');
        return started.funding;
      };
      const credits = async () => (await store.all(
        'SELECT reference, amount, state, reversed_at FROM clearing_incoming WHERE partner_id = ? ORDER BY amount',
        [partner.id],
      )).map((r) => [r.reference, BigInt(r.amount as bigint), r.state, r.reversed_at === null ? '' : 'reversed']);

      const [t500, t300, t200] = [await topUp('500.00'), await topUp('300.00'), await topUp('200.00')];
      assert.deepEqual(await credits(), [
        [t200.id, 20_000n, 'pending', ''], [t300.id, 30_000n, 'pending', ''], [t500.id, 50_000n, 'pending', ''],
      ], 'each completion recorded its credit');

      // A completion replayed from a stale row (a second process, a recovery sweep) is refused whole.
      const stale = { ...t500, state: 'processing' as const };
      await assert.rejects(captureTopUp(ctx, stale), (e: unknown) =>
        e instanceof AnfuError && e.code === 'payment_state_invalid');
      assert.equal((await credits()).length, 3, 'the replay recorded nothing');

      // Reversed before the run: its credit is withdrawn, the money back at the bank settlement account.
      const reversed = await reverseTopUp(ctx, funding, t200.id, operator);
      assert.deepEqual(reversed.ok && [reversed.funding.state, reversed.clearing], ['reversed', 'withdrawn']);
      assert.equal((await sim.state()).reversalsApplied, 1, 'the issuer got its 0400');
      const again = await reverseTopUp(ctx, funding, t200.id, operator);
      assert.deepEqual(again, { ok: false, code: 'payment_state_invalid' });
      const wallet = await walletOf(ledger, alice.customer.id, 'CNY');
      assert.equal(await balance(wallet.id), 80_000n);
      assert.equal(balanceOf(await bankSettlementOf(ledger, 'SIMBANK', 'CNY')), -80_000n);

      const { out } = await fundedWithdrawals(clearing, ledger, partner.id, 'cus_w', 'tuc', tick);
      await out(60_000n, 1);
      await out(15_000n, 2);
      const first = await runClearing(clearing, partner.id);
      assert.deepEqual([first.batch?.total, first.batch?.grossDebit, first.batch?.grossCredit, first.batch?.netDebit],
        [75_000n, 75_000n, 80_000n, -5_000n], 'the two live top-ups (500 + 300) net against 750 out');

      // Reversed after it was netted — under maker–checker (top_up.reverse): the partner is owed it back, a
      // debit in the next run.
      provideCardFunding(store, funding);
      const registry = new ProposalRegistry();
      registry.register(topUpReversalExecutor(ctx));
      const approvals: ApprovalsContext = { store, registry, ttlMs: 3600_000 };
      const proposal = { kind: 'top_up.reverse', payload: { fundingId: t300.id }, reason: 'issuer recall' };
      const proposed = await proposeAction(approvals, actor('op_maker'), proposal, time);
      assert.ok(proposed.ok);
      assert.equal((await fundingById(store, t300.id))?.state, 'succeeded', 'nothing moves on one signature');
      const self = await approveProposal(approvals, actor('op_maker'), proposed.proposal.id, clock);
      assert.deepEqual(!self.ok && self.code, 'proposal_self_approval');
      const approved = await approveProposal(approvals, actor('op_checker'), proposed.proposal.id, clock);
      assert.ok(approved.ok);
      assert.equal(approved.proposal.state, 'executed');
      assert.deepEqual(approved.proposal.result, { fundingId: t300.id, state: 'reversed', clearing: 'owed_back' });
      assert.equal((await executeApprovedProposal(approvals, proposed.proposal.id, clock)).state, 'executed');
      assert.equal((await sim.state()).reversalsApplied, 2);
      await out(10_000n, 3);
      const second = await runClearing(clearing, partner.id);
      assert.deepEqual(
        [second.batch?.total, second.batch?.grossDebit, second.batch?.grossCredit, second.batch?.netDebit],
        [10_000n, 40_000n, 0n, 40_000n],
      );
      assert.equal((await runClearing(clearing, partner.id)).batch, undefined, 'nothing left to net');
      assert.equal(await balance(wallet.id), 50_000n);
      assert.equal(balanceOf(await bankSettlementOf(ledger, 'SIMBANK', 'CNY')), -50_000n);
      assert.equal(await balance(partner.inTransitAccountId), 85_000n, 'netting moves no money');
      assert.equal((await fundingById(store, t300.id))?.state, 'reversed');
      const audit = await store.all("SELECT target FROM audit_entries WHERE action = 'top_up.reverse'", []);
      assert.deepEqual(audit.map((r) => r.target).sort(), [t200.id, t300.id].sort());
    });

    it('property: each run nets exactly the live captures and owes back the late reversals, once', async () => {
      let n = 0;
      const op = fc.oneof(
        fc.record({ op: fc.constant('capture' as const), ref: fc.integer({ min: 0, max: 5 }),
          amount: fc.bigInt({ min: 1n, max: 9_999n }) }),
        fc.record({ op: fc.constant('reverse' as const), ref: fc.integer({ min: 0, max: 5 }) }),
        fc.record({ op: fc.constant('out' as const), amount: fc.bigInt({ min: 1n, max: 9_999n }) }),
        fc.record({ op: fc.constant('run' as const) }),
      );
      await fc.assert(fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 14 }), async (ops) => {
        n += 1;
        const bank = `PROP${n}`;
        const partner = await createPartner(store, ledger, {
          name: bank, role: 'settlement_bank', currency: 'CNY', bic: 'PROPCNBJ', accountNumber: '6222000066660000',
          netDebitCap: 10n ** 15n,
        }, 'opr_test', time);
        const { out } = await fundedWithdrawals(clearing, ledger, partner.id, `cus_p${n}`, `prop${n}`, tick);
        // The model: each capture's first amount, netted or not, reversed or not, its reversal netted or not.
        const model = new Map<number, { amount: bigint; netted: boolean; reversed: boolean; backNetted: boolean }>();
        let outs: bigint[] = [];
        let sent = 0n;
        for (const [k, o] of ops.entries()) {
          tick();
          const topUp = (ref: number, amount: bigint) => ({ id: `fnd_${bank}_${ref}`, bank, currency: 'CNY', amount });
          if (o.op === 'capture') {
            await store.transaction((tx) => recordTopUpCapture(tx, topUp(o.ref, o.amount), time));
            if (!model.has(o.ref))
              model.set(o.ref, { amount: o.amount, netted: false, reversed: false, backNetted: false });
          } else if (o.op === 'reverse') {
            const got = await store.transaction((tx) => withdrawTopUpCapture(tx, topUp(o.ref, 1n), time));
            const m = model.get(o.ref);
            assert.equal(got, m === undefined ? 'not_recorded' : m.netted ? 'owed_back' : 'withdrawn');
            if (m !== undefined) m.reversed = true;
          } else if (o.op === 'out') {
            if (sent + o.amount > 100_000n) continue; // the test wallet holds 100,000
            sent += o.amount;
            await out(o.amount, k);
            outs.push(o.amount);
          } else {
            const live = [...model.values()].filter((m) => !m.netted && !m.reversed);
            const back = [...model.values()].filter((m) => m.netted && m.reversed && !m.backNetted);
            const run = await runClearing(clearing, partner.id);
            if (outs.length === 0) {
              assert.equal(run.batch, undefined, 'credits and debts alone lock no batch');
              continue;
            }
            const debit = sum(outs) + sum(back.map((m) => m.amount));
            const credit = sum(live.map((m) => m.amount));
            assert.deepEqual(
              [run.batch?.total, run.batch?.grossDebit, run.batch?.grossCredit, run.batch?.netDebit],
              [sum(outs), debit, credit, debit - credit],
            );
            for (const m of live) m.netted = true;
            for (const m of back) m.backNetted = true;
            outs = [];
          }
        }
        // Every live capture was counted at most once across all batches: the store agrees with the model.
        const rows = await store.all(
          'SELECT reference, amount, state, reversed_at, reversal_batch_id FROM clearing_incoming WHERE partner_id = ?',
          [partner.id],
        );
        assert.equal(rows.length, model.size);
        for (const r of rows) {
          const m = model.get(Number((r.reference as string).split('_').at(-1)));
          assert.ok(m !== undefined);
          assert.equal(BigInt(r.amount as bigint), m.amount, 'the first completion counts, a replay changes nothing');
          assert.equal(r.state, m.netted ? 'batched' : 'pending');
          assert.equal(r.reversed_at !== null, m.reversed);
          assert.equal(r.reversal_batch_id !== null, m.backNetted);
        }
      }), { numRuns: kind === 'sqlite' ? 100 : 40 });
    });
  });
}
