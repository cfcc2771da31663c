// What a customer sees of their own wallet (R6.2): the balance and what is available per enabled
// currency, the account class, and every limit with what has been used and what remains, read from
// the same counters the payment decider locks. A read model only: it never opens an account (a wallet
// that has not been opened yet shows zero), and it never takes a lock.
import { availableOf, balanceOf, type Ledger } from '../ledger/index.ts';
import type { Queryable } from '../store/index.ts';
import { walletCode } from './payment-accounts.ts';
import { limitCurrency } from './decide-payment.ts';
import {
  limitPeriodsAt,
  type AccountClass,
  type LimitName,
  type LimitPolicy,
  type LimitTier,
} from './payment-limits.ts';

export interface WalletBalance {
  readonly currency: string;
  readonly balanceMinor: bigint;
  readonly availableMinor: bigint;
}

export interface WalletLimit {
  readonly name: LimitName;
  /** For the day limit: the tier of the session asking (what this session may still pay today). */
  readonly tier?: LimitTier;
  readonly currency: string;
  readonly limitMinor: bigint;
  readonly usedMinor: bigint;
  readonly remainingMinor: bigint;
}

export interface WalletSummary {
  readonly accountClass: AccountClass;
  readonly balances: readonly WalletBalance[];
  readonly limits: readonly WalletLimit[];
}

function classLimitOf(accountClass: AccountClass, policy: LimitPolicy): { name: LimitName; minor: bigint } {
  if (accountClass === 'I') return { name: 'class_lifetime', minor: policy.classOneLifetimeMinor };
  return { name: 'class_year', minor: accountClass === 'II' ? policy.classTwoYearMinor : policy.classThreeYearMinor };
}

function dayLimitOf(tier: LimitTier, policy: LimitPolicy): bigint {
  if (tier === 'certificate') return policy.dayCertificateMinor;
  return tier === 'two_factors' ? policy.dayTwoFactorsMinor : policy.dayWeakMinor;
}

async function usedOn(q: Queryable, customerId: string, period: string): Promise<bigint> {
  const row = await q.get<{ used: unknown }>(
    'SELECT used FROM payment_limit_usage WHERE customer_id = ? AND period = ?',
    [customerId, period],
  );
  return row === undefined ? 0n : BigInt(row.used as string | number | bigint);
}

function limitOf(name: LimitName, limitMinor: bigint, usedMinor: bigint, tier?: LimitTier): WalletLimit {
  const remainingMinor = usedMinor >= limitMinor ? 0n : limitMinor - usedMinor;
  return {
    name,
    ...(tier === undefined ? {} : { tier }),
    currency: limitCurrency,
    limitMinor,
    usedMinor,
    remainingMinor,
  };
}

/** The customer's wallet as they may see it; `tier` is the limit tier of the asking session. */
export async function walletSummary(
  deps: { store: Queryable; ledger: Ledger; policy: LimitPolicy; currencies: readonly string[] },
  customer: { id: string; accountClass: AccountClass },
  tier: LimitTier,
  now: number,
): Promise<WalletSummary> {
  const balances: WalletBalance[] = [];
  for (const currency of deps.currencies) {
    const account = await deps.ledger.accountByCode(walletCode(customer.id, currency));
    balances.push({
      currency,
      balanceMinor: account === undefined ? 0n : balanceOf(account),
      availableMinor: account === undefined ? 0n : availableOf(account),
    });
  }
  const periods = limitPeriodsAt(now);
  const byClass = classLimitOf(customer.accountClass, deps.policy);
  const classPeriod = byClass.name === 'class_lifetime' ? 'life' : `year:${periods.year}`;
  const limits = [
    limitOf(byClass.name, byClass.minor, await usedOn(deps.store, customer.id, classPeriod)),
    limitOf('day', dayLimitOf(tier, deps.policy), await usedOn(deps.store, customer.id, `day:${periods.day}`), tier),
  ];
  return { accountClass: customer.accountClass, balances, limits };
}
