// Money customer service moves, only after a checker approved the decision (`case.decide`), as
// balanced ledger transfers keyed by the proposal (a retried execution never pays twice):
// - compensation of an unauthorised payment: platform compensation reserve → the customer's wallet;
// - a dispute refund: the merchant's balance → the customer's wallet, all-or-nothing; what the
//   merchant's balance cannot cover is fronted from the compensation reserve and recorded as the
//   merchant's debt (the ledger never lets a merchant account go negative), which the recovery sweep
//   takes back from the merchant's later balance. A merchant frozen by a sanctions hit pays none of it:
//   the reserve fronts the whole refund, and nothing is recovered while the freeze lasts.
import type { CaseMoneyHandler, CaseRecord } from '../cases/index.ts';
import { availableOf, type Account, type Ledger } from '../ledger/index.ts';
import { merchantAccountOf, walletOf } from '../payments/index.ts';
import { merchantFrozen } from '../sanctions/index.ts';
import type { SupportContext } from './context.ts';
import { addRecovered, disputeByCase, insertDebt, markPaid, openDebts, planPayout } from './store.ts';

export const compensationAccountCode = (currency: string) => `platform:compensation:${currency}`;

/** The platform's compensation reserve (a platform account operations fund; it never goes negative). */
export async function compensationAccountOf(ledger: Ledger, currency: string): Promise<Account> {
  const code = compensationAccountCode(currency);
  const existing = await ledger.accountByCode(code);
  if (existing !== undefined) return existing;
  try {
    return await ledger.openAccount({
      code,
      kind: 'platform_revenue',
      currency,
      name: 'Customer compensation reserve',
    });
  } catch (error) {
    const winner = await ledger.accountByCode(code);
    if (winner !== undefined) return winner;
    throw error;
  }
}

type MoneyResult = Awaited<ReturnType<CaseMoneyHandler>>;

async function compensate(ctx: SupportContext, record: CaseRecord, key: string): Promise<MoneyResult> {
  if (record.amount === null || record.customerId === null || record.amount.minor <= 0n)
    return { ok: false, code: 'case_status_invalid' };
  const { minor, currency } = record.amount;
  const reserve = await compensationAccountOf(ctx.ledger, currency);
  const wallet = await walletOf(ctx.ledger, record.customerId, currency);
  const transferKey = `${key}:compensation`;
  const plan = { caseId: record.id, kind: 'compensation' as const, amount: minor, fromMerchant: 0n, currency };
  await ctx.store.transaction((tx) => planPayout(tx, { ...plan, key: transferKey, now: ctx.clock() }));
  const outcome = await ctx.ledger.submit({
    kind: 'single',
    key: transferKey,
    debitAccountId: reserve.id,
    creditAccountId: wallet.id,
    amount: minor,
    currency,
    reference: record.id,
  });
  if (!outcome.ok) return { ok: false, code: outcome.code };
  await ctx.store.transaction((tx) => markPaid(tx, transferKey));
  return { ok: true, result: { compensated: minor.toString(), currency } };
}

async function refundFromMerchant(ctx: SupportContext, record: CaseRecord, key: string): Promise<MoneyResult> {
  const dispute = await disputeByCase(ctx.store, record.id);
  if (dispute === undefined || record.amount === null || record.amount.minor <= 0n)
    return { ok: false, code: 'case_status_invalid' };
  const { minor, currency } = record.amount;
  const merchant = await merchantAccountOf(ctx.ledger, dispute.merchantId, currency);
  const wallet = await walletOf(ctx.ledger, dispute.customerId, currency);
  const reserve = await compensationAccountOf(ctx.ledger, currency);
  // A merchant frozen by a sanctions hit pays nothing out: the reserve fronts it all, owed by the merchant.
  const available = (await merchantFrozen(ctx.store, dispute.merchantId)) ? 0n : availableOf(merchant);
  const refundKey = `${key}:refund`;
  // The split is decided once: a retried execution repeats the same legs with the same keys.
  const planned = await ctx.store.transaction((tx) =>
    planPayout(tx, {
      caseId: record.id,
      kind: 'dispute_refund',
      amount: minor,
      currency,
      key: refundKey,
      now: ctx.clock(),
      fromMerchant: available >= minor ? minor : available > 0n ? available : 0n,
    }),
  );
  const fromMerchant = planned.fromMerchant;
  const shortfall = minor - fromMerchant;
  const legs = [
    ...(fromMerchant > 0n ? [{ debitAccountId: merchant.id, amount: fromMerchant, key: `${key}:merchant` }] : []),
    ...(shortfall > 0n ? [{ debitAccountId: reserve.id, amount: shortfall, key: `${key}:shortfall` }] : []),
  ].map((leg) => ({ kind: 'single' as const, creditAccountId: wallet.id, currency, reference: record.id, ...leg }));
  const outcome = await ctx.ledger.submitLinked(legs);
  if (!outcome.ok) return { ok: false, code: outcome.code };
  const now = ctx.clock();
  await ctx.store.transaction(async (tx) => {
    await markPaid(tx, refundKey);
    if (shortfall > 0n) {
      await insertDebt(tx, {
        id: `mdb:${key}`,
        caseId: record.id,
        merchantId: dispute.merchantId,
        currency,
        owed: shortfall,
        now,
      });
    }
  });
  return {
    ok: true,
    result: { refunded: minor.toString(), fromMerchant: fromMerchant.toString(), fronted: shortfall.toString() },
  };
}

export function supportMoney(ctx: () => SupportContext): CaseMoneyHandler {
  return async (record, decision, key) => {
    if (decision === 'compensate') return compensate(ctx(), record, key);
    if (decision === 'refund_customer') return refundFromMerchant(ctx(), record, key);
    return { ok: true };
  };
}

/** Takes back what merchants owe from their available balance; one pass, idempotent per step. */
export async function recoverMerchantDebts(ctx: SupportContext): Promise<{ recovered: bigint }> {
  let recovered = 0n;
  for (const debt of await openDebts(ctx.store, 200)) {
    // Nothing is taken from a frozen merchant's account; the debt waits for its case to be decided.
    if (await merchantFrozen(ctx.store, debt.merchantId)) continue;
    const merchant = await merchantAccountOf(ctx.ledger, debt.merchantId, debt.currency);
    const due = debt.owed - debt.recovered;
    const available = availableOf(merchant);
    const take = available >= due ? due : available;
    if (take <= 0n) continue;
    const reserve = await compensationAccountOf(ctx.ledger, debt.currency);
    const outcome = await ctx.ledger.submit({
      kind: 'single',
      key: `recovery:${debt.id}:${debt.recovered}`,
      debitAccountId: merchant.id,
      creditAccountId: reserve.id,
      amount: take,
      currency: debt.currency,
      reference: debt.id,
    });
    if (!outcome.ok) continue;
    const now = ctx.clock();
    if (await ctx.store.transaction((tx) => addRecovered(tx, debt.id, take, now))) recovered += take;
  }
  return { recovered };
}
