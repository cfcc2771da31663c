// The whole banking day end to end, on both stores, against `anfu clearing-sim` as its own process:
// withdrawals and a merchant settlement, a clearing run under a net debit cap, the signed pain.001
// sent over loopback HTTP, its pacs.002 applied (a rejection reversed), camt.054 intraday (a return
// reversed), the delayed payment's later pacs.002, the end-of-day camt.053 reconciled — every scripted
// fault found as its break and nothing else, the balance explained — and the breaks resolved by
// adjustments, after which the next day's statement balances with no break left.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { cryptoProfile } from '../crypto/index.ts';
import { Ledger, balanceOf } from '../ledger/index.ts';
import { merchantAccountOf, onboardMerchant } from '../payments/index.ts';
import { createTestDatabase, testStoreKinds, type TestDatabase } from '../store/testing.ts';
import type { Store } from '../store/index.ts';
import {
  applyNotification,
  applyStatusReport,
  batchFile,
  createPartner,
  httpTransport,
  instructionById,
  markSent,
  requestTransferOut,
  runClearing,
  settleMerchants,
  settlementReport,
  type Instruction,
  type Partner,
} from '../clearing/index.ts';
import { startClearingSimProcess, type ClearingSimProcess } from '../clearing/testing/sim-process.ts';
import { testClearing, type TestClearing } from '../clearing/testing/context.ts';
import { openBreaks, resolveBreak, type BreakCaseInput } from './breaks.ts';
import { reconcileStatement } from './import.ts';
import { listCases, openCase } from '../cases/index.ts';
import type { Tx } from '../store/index.ts';

const account = '6222000011112222';
const rules = {
  account,
  currency: 'CNY',
  opening: '0',
  rules: [
    { match: { creditorName: '^Reject' }, action: 'reject', code: 'AC04' },
    { match: { creditorName: '^Fee' }, action: 'fee', amount: '2.50' },
    { match: { creditorName: '^Dup' }, action: 'duplicate' },
    { match: { creditorName: '^Drop' }, action: 'drop' },
    { match: { creditorName: '^Shift' }, action: 'shift_value_date', days: 3 },
    { match: { creditorName: '^Change' }, action: 'change_amount', amount: '-1.00' },
    { match: { creditorName: '^Return' }, action: 'return', code: 'AC06' },
    { match: { creditorName: '^Delay' }, action: 'delay' },
  ],
};

const day = 86_400_000;

for (const kind of testStoreKinds()) {
  describe(`a full clearing and reconciliation day (${kind})`, () => {
    let database: TestDatabase;
    let store: Store;
    let ledger: Ledger;
    let sim: ClearingSimProcess;
    let clearing: TestClearing;
    let partner: Partner;
    let time = Date.now() - 3 * day;
    const clock = (): number => time;

    before(async () => {
      database = await createTestDatabase(kind);
      store = database.open();
      ledger = new Ledger({ store, clock });
      clearing = await testClearing(store, ledger, clock);
      sim = await startClearingSimProcess(rules);
      partner = await createPartner(
        store,
        ledger,
        {
          name: 'ICBC Shanghai',
          role: 'settlement_bank',
          currency: 'CNY',
          bic: 'ICBKCNBJSHI',
          accountNumber: account,
          netDebitCap: 5_000_000n,
          feePerInstruction: 200n,
          settlementDays: 2,
          endpoint: sim.url,
        },
        'opr_test',
        time,
      );
    });

    after(async () => {
      await sim?.stop();
      await ledger?.close();
      await store?.close();
      await database?.drop();
    });

    it('runs the day, finds every fault, and balances after the corrections', async () => {
      const { ctx } = clearing;
      // Money in: a funding account pays the wallets; a customer paid the merchant three days ago.
      const funding = await ledger.openAccount({ kind: 'bank_settlement', currency: 'CNY', name: 'Top-ups' });
      const wallet = await ledger.openAccount({
        kind: 'customer_wallet',
        currency: 'CNY',
        name: 'Wallet',
        ownerId: 'cus_a',
      });
      assert.ok(
        (
          await ledger.submit({
            kind: 'single',
            key: 'fund',
            debitAccountId: funding.id,
            creditAccountId: wallet.id,
            amount: 10_000_000n,
            currency: 'CNY',
          })
        ).ok,
      );
      const { merchant } = await onboardMerchant(
        store,
        clearing.merchants,
        {
          name: 'Tea House',
          businessRegistration: '91310000MA1FL0000X',
          contactEmail: 'ops@tea.example',
          settlementAccount: '6217000099998888',
        },
        'opr_test',
        60,
        time,
      );
      const merchantAccount = await merchantAccountOf(ledger, merchant.id, 'CNY');
      assert.ok(
        (
          await ledger.submit({
            kind: 'single',
            key: 'sale',
            debitAccountId: wallet.id,
            creditAccountId: merchantAccount.id,
            amount: 300_000n,
            currency: 'CNY',
          })
        ).ok,
      );
      time += 3 * day;
      assert.ok(
        (
          await ledger.submit({
            kind: 'single',
            key: 'sale-today',
            debitAccountId: wallet.id,
            creditAccountId: merchantAccount.id,
            amount: 7_000n,
            currency: 'CNY',
          })
        ).ok,
      );

      const names = [
        'Accept Li',
        'Reject Wang',
        'Fee Zhao',
        'Dup Chen',
        'Drop Liu',
        'Shift Yang',
        'Change Huang',
        'Return Zhou',
        'Delay Wu',
      ];
      const made: Record<string, Instruction> = {};
      for (const [n, name] of names.entries()) {
        time += 1_000;
        made[name] = await requestTransferOut(ctx, {
          kind: 'withdrawal',
          partnerId: partner.id,
          ownerId: 'cus_a',
          sourceAccountId: wallet.id,
          amount: BigInt(10_000 + n * 1_000),
          creditorName: name,
          creditorAccount: `62170000111100${n}`,
          creditorAgent: '102100099996',
          key: `w-${n}`,
          actorId: 'cus_a',
        });
      }
      // Over the net debit cap: held until liquidity returns.
      time += 1_000;
      const big = await requestTransferOut(ctx, {
        kind: 'withdrawal',
        partnerId: partner.id,
        ownerId: 'cus_a',
        sourceAccountId: wallet.id,
        amount: 4_900_000n,
        creditorName: 'Big Sun',
        creditorAccount: '6217000011119999',
        creditorAgent: '102100099996',
        key: 'w-big',
        actorId: 'cus_a',
      });
      time += 1_000;
      const settled = await settleMerchants(ctx, partner.id);
      const payout = settled.find((s) => s.merchantId === merchant.id);
      assert.equal(payout?.gross, 300_000n, 'T+2: the sale of today is not settled yet');
      assert.equal(payout?.net, 300_000n - 200n);
      const csv = await settlementReport(store, merchant.id, 'csv');
      assert.ok(String(csv).includes(`${payout?.instruction?.id},CNY,300000,200,299800,`));
      const walletBefore = balanceOf((await ledger.account(wallet.id))!);

      // The clearing run: one signed pain.001, the large payment held by the cap.
      const run = await runClearing(ctx, partner.id);
      assert.equal(run.batch?.count, 10);
      assert.deepEqual(run.held, [big.id]);
      const body = (await batchFile(store, run.batch!.id))!;
      assert.equal(run.batch?.signatureAlgorithm, 'sm2-sm3');
      assert.ok(
        cryptoProfile('gm').verify(clearing.publicKey, Buffer.from(body), Buffer.from(run.batch!.signature, 'base64')),
      );
      const report = await httpTransport(partner, body, {
        algorithm: run.batch!.signatureAlgorithm,
        signature: run.batch!.signature,
        sha256: run.batch!.fileSha256,
      });
      await markSent(ctx, run.batch!.id);
      const status = await applyStatusReport(ctx, partner.id, report);
      assert.deepEqual(
        { accepted: status.accepted, rejected: status.rejected, pending: status.pending },
        { accepted: 8, rejected: 1, pending: 1 },
      );
      const rejected = made['Reject Wang']!;
      assert.equal((await instructionById(store, rejected.id))?.state, 'rejected');
      assert.equal((await instructionById(store, rejected.id))?.reasonCode, 'AC04');
      assert.equal(
        balanceOf((await ledger.account(wallet.id))!),
        walletBefore + rejected.amount,
        'the rejected withdrawal is back in the wallet',
      );

      // Intraday: the bank's bookings, and the return.
      const notification = (await sim.call('GET', '/v1/notifications'))!;
      const applied = await applyNotification(ctx, partner.id, notification);
      assert.equal(applied.returned, 1);
      assert.equal((await instructionById(store, made['Return Zhou']!.id))?.state, 'returned');
      await assert.rejects(applyNotification(ctx, partner.id, notification), { code: 'bank_file_replayed' });

      // End of day: the delayed payment is booked and its status follows; then the statement.
      const statement = (await sim.call('POST', '/v1/end-of-day'))!;
      const later = (await sim.call('GET', '/v1/status-reports'))!;
      assert.equal((await applyStatusReport(ctx, partner.id, later)).accepted, 1);
      // Each break opens its case in the shared case system, in the import's transaction.
      const caseInputs: BreakCaseInput[] = [];
      const opener = async (tx: Tx, input: BreakCaseInput, at: Date) => {
        caseInputs.push(input);
        return openCase(tx, input, at);
      };
      const outcome = await reconcileStatement(ctx, partner.id, statement, { caseOpener: opener });
      const classes = outcome.breaks.map((b) => `${b.kind}:${b.endToEndId ?? '-'}`).sort();
      const e2e = (name: string) => made[name]!.endToEndId;
      assert.deepEqual(
        classes,
        [
          `amount_mismatch:${e2e('Change Huang')}`,
          `duplicate:${e2e('Dup Chen')}`,
          `fee_variance:${e2e('Fee Zhao')}`,
          `missing_on_bank_side:${e2e('Drop Liu')}`,
          `value_date_mismatch:${e2e('Shift Yang')}`,
        ].sort(),
      );
      assert.equal(
        outcome.balanced,
        true,
        `closing ${outcome.closing} vs ledger ${outcome.ledgerImplied}, explained ${outcome.explained}`,
      );
      assert.equal(caseInputs.length, 5);
      assert.deepEqual(caseInputs.map((c) => `${c.details.class as string}:${c.severity}`).sort(), [
        'amount_mismatch:low',
        'duplicate:medium',
        'fee_variance:low',
        'missing_on_bank_side:medium',
        'value_date_mismatch:medium',
      ]);
      await assert.rejects(reconcileStatement(ctx, partner.id, statement), { code: 'bank_file_replayed' });
      const cases = await listCases(store, { kind: 'reconciliation_break', limit: 50 });
      assert.equal(cases.items.length, 5);
      assert.ok(outcome.breaks.every((b) => cases.items.some((c) => c.id === b.caseId)));

      // Corrections: each break by its adjustment (the executor an approved proposal runs).
      const accountsOf = async () => partner;
      for (const b of await openBreaks(store, partner.id))
        assert.equal((await resolveBreak(store, ledger, accountsOf, b.id, 'opr_checker', time)).ok, true);
      assert.equal((await openBreaks(store, partner.id)).length, 0);
      assert.equal((await ledger.verify()).ok, true);

      // Next day: liquidity is back, the held payment goes; the statement balances with no break.
      time += day;
      const second = await runClearing(ctx, partner.id);
      assert.equal(second.batch?.count, 1);
      const answer = await httpTransport(partner, (await batchFile(store, second.batch!.id))!, {
        algorithm: 'sm2-sm3',
        signature: second.batch!.signature,
        sha256: second.batch!.fileSha256,
      });
      assert.equal((await applyStatusReport(ctx, partner.id, answer)).accepted, 1);
      const next = await reconcileStatement(ctx, partner.id, (await sim.call('POST', '/v1/end-of-day'))!, {
        caseOpener: opener,
      });
      assert.deepEqual(
        next.breaks.map((b) => b.kind),
        [],
      );
      assert.equal(next.balanced, true);
    });
  });
}
