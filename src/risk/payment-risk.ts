// Payment risk rules (R4): a pure decider over features the caller loads (amount, recent velocity,
// a device first seen recently, a payee never paid before). Returns allow, challenge (step-up factor
// needed) or deny, with every reason that fired.

export interface PaymentFeatures {
  readonly amountMinor: bigint;
  /** Payments this payer started within the velocity window (this one excluded). */
  readonly recentPaymentCount: number;
  /** Milliseconds since the paying device was enrolled. */
  readonly deviceAgeMs: number;
  /** The payer has never paid this payee (customer or merchant) successfully. */
  readonly newPayee: boolean;
  /** Milliseconds since the payer last added, replaced or removed a factor; undefined = never. */
  readonly sinceFactorChangeMs?: number | undefined;
}

export interface PaymentRiskThresholds {
  readonly challengeAmountMinor: bigint;
  readonly denyAmountMinor: bigint;
  readonly velocityChallengeCount: number;
  readonly velocityDenyCount: number;
  readonly newDeviceMs: number;
  /** A new payee with an amount at or above this is challenged. */
  readonly newPayeeChallengeAmountMinor: bigint;
  /** After a factor change, amounts at or above `factorChangeChallengeAmountMinor` are challenged for this long. */
  readonly factorChangeCoolingOffMs: number;
  readonly factorChangeChallengeAmountMinor: bigint;
}

export const paymentRiskThresholds: PaymentRiskThresholds = {
  challengeAmountMinor: 500_000n,
  denyAmountMinor: 100_000_000n,
  velocityChallengeCount: 20,
  velocityDenyCount: 100,
  newDeviceMs: 24 * 3600_000,
  newPayeeChallengeAmountMinor: 200_000n,
  factorChangeCoolingOffMs: 24 * 3600_000,
  factorChangeChallengeAmountMinor: 100_000n,
};

export type PaymentRiskReason =
  | 'amount_high'
  | 'amount_extreme'
  | 'velocity_high'
  | 'velocity_extreme'
  | 'new_device'
  | 'new_payee_large_amount'
  | 'recent_factor_change';

export interface PaymentRiskDecision {
  /** `review` only from the rule set (the fixed rules never review): the payment is held for an analyst. */
  readonly decision: 'allow' | 'challenge' | 'review' | 'deny';
  /** The legacy rules' PaymentRiskReason values, or the reasons of the running rule set. */
  readonly reasons: readonly string[];
}

/** A factor was added, replaced or removed recently: whoever changed it may not be the owner yet. */
function inCoolingOff(features: PaymentFeatures, thresholds: PaymentRiskThresholds): boolean {
  return (
    features.sinceFactorChangeMs !== undefined && features.sinceFactorChangeMs < thresholds.factorChangeCoolingOffMs
  );
}

export function decidePayment(
  features: PaymentFeatures,
  thresholds: PaymentRiskThresholds = paymentRiskThresholds,
): PaymentRiskDecision {
  const deny: PaymentRiskReason[] = [];
  const challenge: PaymentRiskReason[] = [];
  if (features.amountMinor >= thresholds.denyAmountMinor) deny.push('amount_extreme');
  else if (features.amountMinor >= thresholds.challengeAmountMinor) challenge.push('amount_high');
  if (features.recentPaymentCount >= thresholds.velocityDenyCount) deny.push('velocity_extreme');
  else if (features.recentPaymentCount >= thresholds.velocityChallengeCount) challenge.push('velocity_high');
  if (features.deviceAgeMs < thresholds.newDeviceMs) challenge.push('new_device');
  if (features.newPayee && features.amountMinor >= thresholds.newPayeeChallengeAmountMinor)
    challenge.push('new_payee_large_amount');
  if (inCoolingOff(features, thresholds) && features.amountMinor >= thresholds.factorChangeChallengeAmountMinor)
    challenge.push('recent_factor_change');
  if (deny.length > 0) return { decision: 'deny', reasons: [...deny, ...challenge] };
  if (challenge.length > 0) return { decision: 'challenge', reasons: challenge };
  return { decision: 'allow', reasons: [] };
}
