// Top-ups and withdrawals count against limits like payments do (R4.5, R6.2; docs/payments.md
// "Funding limits"): inside the funding's creating transaction the usage counters are locked, the
// pure decider judges (its own per-transaction and per-day limits, then R6.2 for a withdrawal), and
// the amount is reserved. A funding that fails later gives back exactly what it reserved, once, in
// the transaction of its `fail` transition.
import { AnfuError } from '../errors.ts';
import { currencyOf, formatMajor } from '../money/index.ts';
import type { Tx } from '../store/index.ts';
import { clearUsageReserved, markUsageReserved } from './card-binding-store.ts';
import { decideFundingLimits, fundingPeriodsOf } from './funding-limits.ts';
import type { LimitHolder } from './payment-limits.ts';
import type { PaymentsContext } from './payments-context.ts';
import type { FundingPayment } from './store/funding.ts';
import { addUsage, lockUsage } from './store/payments.ts';

type Funding = Pick<FundingPayment, 'id' | 'kind' | 'customerId' | 'amount' | 'currency' | 'createdAt'>;

function periodsOf(row: Funding): string[] {
  const periods = fundingPeriodsOf(row.kind, row.createdAt);
  return [...periods.payments, periods.funding];
}

/** Locks, decides and reserves; throws limit_exceeded (the caller's transaction rolls back and audits it). */
export async function reserveFundingLimits(
  ctx: PaymentsContext,
  tx: Tx,
  row: Funding,
  who: LimitHolder,
): Promise<void> {
  const periods = periodsOf(row);
  const used: bigint[] = [];
  for (const period of periods) used.push(await lockUsage(tx, row.customerId, period));
  const [lifetimeMinor, yearMinor, dayMinor] =
    row.kind === 'withdrawal' ? (used as [bigint, bigint, bigint]) : [0n, 0n, 0n];
  const fundingDayMinor = used[used.length - 1] ?? 0n;
  const decision = decideFundingLimits(
    {
      kind: row.kind,
      amountMinor: row.amount,
      accountClass: who.accountClass,
      strength: who.strength,
      riskLevel: who.riskLevel,
      usage: { lifetimeMinor, yearMinor, dayMinor, fundingDayMinor },
    },
    ctx.settings.funding,
    ctx.settings.limits,
  );
  if (!decision.ok) {
    const currency = currencyOf(row.currency);
    const remaining = formatMajor(decision.remainingMinor, currency);
    throw new AnfuError('limit_exceeded', `the ${decision.limit} limit allows ${remaining} more`, {
      limit: decision.limit,
      remaining,
      currency: row.currency,
    });
  }
  for (const period of periods) await addUsage(tx, row.customerId, period, row.amount);
  await markUsageReserved(tx, row.id);
}

/** Gives the reserved usage back (a no-op when nothing is reserved or it was already given back). */
export async function releaseFundingLimits(tx: Tx, row: Funding): Promise<void> {
  if (!(await clearUsageReserved(tx, row.id))) return;
  for (const period of periodsOf(row)) await addUsage(tx, row.customerId, period, -row.amount);
}
