// Limits of money in and out by card (docs/payments.md "Funding limits"): a largest single top-up
// or withdrawal and a total per customer per day (Beijing time), configurable. Withdrawals also
// count against R6.2 (payment-limits.ts) like every way money leaves a wallet. A pure decider over
// usage the caller loaded under lock, plus the usage periods each kind of funding counts in.
import {
  decideLimits,
  limitPeriodsAt,
  type LimitHolder,
  type LimitName,
  type LimitPolicy,
} from './payment-limits.ts';

export type FundingKindName = 'top_up' | 'withdrawal';

export interface FundingLimitPolicy {
  readonly topUpTransactionMaxMinor: bigint;
  readonly topUpDayMaxMinor: bigint;
  readonly withdrawalTransactionMaxMinor: bigint;
  readonly withdrawalDayMaxMinor: bigint;
}

export type FundingLimitName = LimitName | 'funding_transaction' | 'funding_day';

export type FundingLimitDecision =
  | { readonly ok: true }
  | {
      readonly ok: false;
      readonly limit: FundingLimitName;
      readonly limitMinor: bigint;
      readonly remainingMinor: bigint;
    };

/** The usage counters a funding of `kind` created at `createdAt` counts in: R6.2's (withdrawals only), then its own day. */
export function fundingPeriodsOf(
  kind: FundingKindName,
  createdAt: number,
): { readonly payments: readonly string[]; readonly funding: string } {
  const { day, year } = limitPeriodsAt(createdAt);
  return {
    payments: kind === 'withdrawal' ? ['life', `year:${year}`, `day:${day}`] : [],
    funding: `${kind}:day:${day}`,
  };
}

export interface FundingLimitInput extends LimitHolder {
  readonly kind: FundingKindName;
  readonly amountMinor: bigint;
  /** Used in the periods of `fundingPeriodsOf`, in that order: R6.2 lifetime, year, day (withdrawals), then the funding day. */
  readonly usage: {
    readonly lifetimeMinor: bigint;
    readonly yearMinor: bigint;
    readonly dayMinor: bigint;
    readonly fundingDayMinor: bigint;
  };
}

/** The funding's own limits first (per transaction, per day), then R6.2 for a withdrawal. */
export function decideFundingLimits(
  input: FundingLimitInput,
  funding: FundingLimitPolicy,
  payments: LimitPolicy,
): FundingLimitDecision {
  if (input.amountMinor <= 0n) throw new Error('funding limit decider: amount must be positive');
  const top = input.kind === 'top_up';
  const transactionMax = top ? funding.topUpTransactionMaxMinor : funding.withdrawalTransactionMaxMinor;
  if (input.amountMinor > transactionMax)
    return { ok: false, limit: 'funding_transaction', limitMinor: transactionMax, remainingMinor: transactionMax };
  const dayMax = top ? funding.topUpDayMaxMinor : funding.withdrawalDayMaxMinor;
  if (input.usage.fundingDayMinor + input.amountMinor > dayMax) {
    return {
      ok: false,
      limit: 'funding_day',
      limitMinor: dayMax,
      remainingMinor: input.usage.fundingDayMinor >= dayMax ? 0n : dayMax - input.usage.fundingDayMinor,
    };
  }
  if (top) return { ok: true };
  const { lifetimeMinor, yearMinor, dayMinor } = input.usage;
  const r62 = decideLimits(
    {
      amountMinor: input.amountMinor,
      accountClass: input.accountClass,
      strength: input.strength,
      riskLevel: input.riskLevel,
      usage: { lifetimeMinor, yearMinor, dayMinor },
    },
    payments,
  );
  return r62.ok ? r62 : { ok: false, limit: r62.limit, limitMinor: r62.limitMinor, remainingMinor: r62.remainingMinor };
}
