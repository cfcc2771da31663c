// Limits of R6.2 (PBOC online payment accounts): cumulative limits by account class and per-day limits
// by the authentication strength of the session. A pure decider: usage is loaded by the caller (under
// lock), the decision names the limit breached and what remains of it.

export type AccountClass = 'I' | 'II' | 'III';
/** The R6.2 per-day limit tier of a session (identity calls the same thing its AuthenticationStrength):
 * certificate: digital certificate/signature plus another factor; two_factors: two factors without a
 * certificate; weak: fewer than two. */
export type LimitTier = 'certificate' | 'two_factors' | 'weak';

export interface LimitPolicy {
  /** Class I: balance payments since opening. */
  readonly classOneLifetimeMinor: bigint;
  readonly classTwoYearMinor: bigint;
  readonly classThreeYearMinor: bigint;
  readonly dayCertificateMinor: bigint;
  readonly dayTwoFactorsMinor: bigint;
  readonly dayWeakMinor: bigint;
  /**
   * R4.4: the customer's AML risk rating feeds limits. The percentage of the day limit a payer rated
   * `medium` or `high` (the level in force, an approved override included) may use; low or unrated: 100.
   */
  readonly dayPercentByLevel: Readonly<Record<'medium' | 'high', number>>;
}

/** The PBOC figures in CNY fen; the certificate day limit is the institution's own (config). */
export const defaultLimitPolicy: LimitPolicy = {
  classOneLifetimeMinor: 100_000n,
  classTwoYearMinor: 10_000_000n,
  classThreeYearMinor: 20_000_000n,
  dayCertificateMinor: 5_000_000n,
  dayTwoFactorsMinor: 500_000n,
  dayWeakMinor: 100_000n,
  dayPercentByLevel: { medium: 100, high: 50 },
};

export interface LimitUsage {
  /** Balance payments since the account opened (class I), this calendar year and today (Beijing time). */
  readonly lifetimeMinor: bigint;
  readonly yearMinor: bigint;
  readonly dayMinor: bigint;
}

export type LimitName = 'class_lifetime' | 'class_year' | 'day';

/** Whose limits: the payer's account class, the session's strength, and the payer's AML risk level in force. */
export interface LimitHolder {
  readonly accountClass: AccountClass;
  readonly strength: LimitTier;
  /** As the risk engine read it for this payment ('' or undefined: unrated, or no engine). */
  readonly riskLevel?: string | undefined;
}

export type LimitDecision =
  | { readonly ok: true }
  | { readonly ok: false; readonly code: 'limit_exceeded'; readonly limit: LimitName; readonly limitMinor: bigint; readonly remainingMinor: bigint };

function classLimit(accountClass: AccountClass, policy: LimitPolicy): { limit: LimitName; limitMinor: bigint; used: (u: LimitUsage) => bigint } {
  switch (accountClass) {
    case 'I':
      return { limit: 'class_lifetime', limitMinor: policy.classOneLifetimeMinor, used: (u) => u.lifetimeMinor };
    case 'II':
      return { limit: 'class_year', limitMinor: policy.classTwoYearMinor, used: (u) => u.yearMinor };
    case 'III':
      return { limit: 'class_year', limitMinor: policy.classThreeYearMinor, used: (u) => u.yearMinor };
  }
}

/** The day limit of a session's strength, cut to the payer's risk level's share (rounded down to a minor unit). */
function dayLimit(strength: LimitTier, riskLevel: string | undefined, policy: LimitPolicy): bigint {
  const byStrength = dayLimitOfStrength(strength, policy);
  const percent = riskLevel === 'medium' || riskLevel === 'high' ? policy.dayPercentByLevel[riskLevel] : 100;
  return (byStrength * BigInt(percent)) / 100n;
}

function dayLimitOfStrength(strength: LimitTier, policy: LimitPolicy): bigint {
  switch (strength) {
    case 'certificate':
      return policy.dayCertificateMinor;
    case 'two_factors':
      return policy.dayTwoFactorsMinor;
    case 'weak':
      return policy.dayWeakMinor;
  }
}

function remaining(limitMinor: bigint, used: bigint): bigint {
  return used >= limitMinor ? 0n : limitMinor - used;
}

/** May a balance payment of `amountMinor` go ahead? The class limit is checked first, then the day limit. */
export function decideLimits(input: LimitHolder & { amountMinor: bigint; usage: LimitUsage }, policy: LimitPolicy): LimitDecision {
  if (input.amountMinor <= 0n) throw new Error('limit decider: amount must be positive');
  const byClass = classLimit(input.accountClass, policy);
  const classUsed = byClass.used(input.usage);
  if (classUsed + input.amountMinor > byClass.limitMinor) {
    return { ok: false, code: 'limit_exceeded', limit: byClass.limit, limitMinor: byClass.limitMinor, remainingMinor: remaining(byClass.limitMinor, classUsed) };
  }
  const dayMinor = dayLimit(input.strength, input.riskLevel, policy);
  if (input.usage.dayMinor + input.amountMinor > dayMinor) {
    return { ok: false, code: 'limit_exceeded', limit: 'day', limitMinor: dayMinor, remainingMinor: remaining(dayMinor, input.usage.dayMinor) };
  }
  return { ok: true };
}

const beijingOffsetMs = 8 * 3600_000;

/** Limit periods in Beijing time (UTC+8): the day number since the epoch and the calendar year. */
export function limitPeriodsAt(now: number): { day: bigint; year: bigint } {
  const local = now + beijingOffsetMs;
  return { day: BigInt(Math.floor(local / 86_400_000)), year: BigInt(new Date(local).getUTCFullYear()) };
}
