// Merchant settlement with a random set of merchants frozen by a sanctions hit (the real screening
// path: a re-screening hit on a listed name), on both stores: each run pays exactly the unfrozen
// merchants with money due (their account then holds nothing) and holds exactly the frozen ones (their
// balance unchanged, reported `sanctions_freeze`), against a model of every merchant's balance.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { balanceOf, Ledger } from '../ledger/index.ts';
import { merchantAccountOf, onboardMerchant } from '../payments/index.ts';
import { createSanctions, loadLists, screenParty, type Sanctions } from '../sanctions/index.ts';
import { realOfacFiles, realUnFile, requireSharedLists } from '../sanctions/testing.ts';
import type { Store } from '../store/index.ts';
import { createTestDatabase, testStoreKinds, type TestDatabase } from '../store/testing.ts';
import { createPartner, type Partner } from './partners.ts';
import { settleMerchants } from './settle-merchants.ts';
import { testClearing, type TestClearing } from './testing/context.ts';

const day = 86_400_000;
const fee = 200n;
/** On the OFAC list: a re-screening hit freezes a merchant of this name. */
const listedName = 'Banco Nacional de Cuba';

interface ModelMerchant {
  readonly id: string;
  readonly accountId: string;
  balance: bigint;
  frozen: boolean;
}

for (const kind of testStoreKinds()) {
  describe(`settlement with frozen merchants on ${kind}`, () => {
    let database: TestDatabase;
    let store: Store;
    let ledger: Ledger;
    let clearing: TestClearing;
    let sanctions: Sanctions;
    let partner: Partner;
    let bankId: string;
    let time = Date.UTC(2031, 0, 6, 10);
    const clock = () => time;
    const model: ModelMerchant[] = [];

    before(async () => {
      requireSharedLists();
      database = await createTestDatabase(kind);
      store = database.open();
      ledger = new Ledger({ store, clock });
      clearing = await testClearing(store, ledger, clock);
      sanctions = createSanctions(store, clock);
      await loadLists(store, { ofac: realOfacFiles, un: realUnFile }, { type: 'operator', id: 'opr_loader' }, time);
      partner = await createPartner(
        store, ledger,
        {
          name: 'ICBC Shanghai', role: 'settlement_bank', currency: 'CNY', bic: 'ICBKCNBJSHI',
          accountNumber: '1001000000000001', netDebitCap: 1_000_000_000n, feePerInstruction: fee, settlementDays: 1,
        },
        'opr_test', time,
      );
      bankId = (await ledger.openAccount({ kind: 'bank_settlement', currency: 'CNY', name: 'Sales' })).id;
    });

    after(async () => {
      await ledger?.close();
      await store?.close();
      await database?.drop();
    });

    /** A merchant onboarded now with `credited` in its account; frozen by a real re-screening hit if asked. */
    const addMerchant = async (credited: bigint, frozen: boolean, n: number): Promise<void> => {
      const { merchant } = await onboardMerchant(
        store, clearing.merchants,
        {
          name: frozen ? listedName : `Tea House ${n}`, businessRegistration: '91310000MA1FL0000X',
          contactEmail: 'ops@tea.example', settlementAccount: `62170000${String(n).padStart(8, '0')}`,
        },
        'opr_test', 60, time,
      );
      const account = await merchantAccountOf(ledger, merchant.id, 'CNY');
      if (credited > 0n) {
        const sale = { kind: 'single' as const, key: `sale-${merchant.id}`, debitAccountId: bankId };
        const credit = { ...sale, creditAccountId: account.id, amount: credited, currency: 'CNY' };
        assert.ok((await ledger.submit(credit)).ok);
      }
      if (frozen) {
        const verdict = await screenParty(sanctions, {
          context: 'rescreen', subject: { type: 'merchant', id: merchant.id }, name: listedName, actor: 'system:test',
        });
        assert.equal(verdict.outcome, 'hit');
      }
      model.push({ id: merchant.id, accountId: account.id, balance: credited, frozen });
    };

    test('each run pays exactly the unfrozen merchants and holds the frozen ones', async () => {
      let n = 0;
      const merchants = fc.array(
        fc.record({ credited: fc.bigInt({ min: 0n, max: 2_000_000n }), frozen: fc.boolean() }),
        { minLength: 1, maxLength: 4 },
      );
      await fc.assert(
        fc.asyncProperty(merchants, async (added) => {
          for (const m of added) await addMerchant(m.credited, m.frozen, (n += 1));
          // Past the T+1 window: everything credited so far is settled money.
          time += 2 * day;
          const outcomes = new Map((await settleMerchants(clearing.ctx, partner.id)).map((o) => [o.merchantId, o]));
          for (const m of model) {
            const o = outcomes.get(m.id);
            assert.ok(o !== undefined, 'every merchant is in the run');
            assert.equal(o.gross, m.balance);
            const due = m.balance - fee > 0n;
            const expected = !due ? 'nothing_due' : m.frozen ? 'sanctions_freeze' : undefined;
            assert.equal(o.skipped, expected);
            assert.equal(o.instruction === undefined, expected !== undefined);
            if (expected === undefined) {
              assert.equal(o.instruction?.amount, m.balance - fee);
              m.balance = 0n;
            }
            assert.equal(balanceOf((await ledger.account(m.accountId))!), m.balance, 'exact balance');
          }
          const held = model.filter((m) => m.frozen && m.balance - fee > 0n).map((m) => m.id);
          const audited = await store.all<{ target: string }>(
            "SELECT target FROM audit_entries WHERE action = 'clearing.settlement_held' AND at = ?",
            [time],
          );
          assert.deepEqual(audited.map((r) => r.target).sort(), held.sort(), 'each held payout audited once');
        }),
        { numRuns: 12 },
      );
    });
  });
}
