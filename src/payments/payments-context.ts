// What every payments use case is given: the store, the ledger, identity's port, the settings and
// the clock. Built once per app from the configuration.
import type { Config } from '../config.ts';
import type { Ledger } from '../ledger/index.ts';
import type { Store } from '../store/index.ts';
import { paymentRiskThresholds, type PaymentRiskThresholds } from '../risk/index.ts';
import type { PaymentIdentity } from './payment-identity.ts';
import type { LimitPolicy } from './payment-limits.ts';

export interface PaymentSettings {
  readonly profile: 'intl' | 'gm';
  readonly instructionWindowMs: number;
  readonly amountMaxMinor: bigint;
  readonly limits: LimitPolicy;
  readonly risk: PaymentRiskThresholds;
  readonly refundApprovalMinor: bigint;
  /** How long a large refund's maker–checker proposal waits for a decision (the proposals' TTL). */
  readonly refundApprovalTtlMs: number;
  readonly merchantRequestWindowMs: number;
  readonly merchantFeeBpsDefault: number;
  readonly orderTtlMsMax: number;
  /** A challenged payment expires this long after it was challenged. */
  readonly challengeTtlMs: number;
  /** A withdrawal whose bank outcome is unknown this long is listed for operations. */
  readonly withdrawalOutcomeUnknownAfterMs: number;
  /** Risk velocity window. */
  readonly velocityWindowMs: number;
}

export interface PaymentsContext {
  readonly store: Store;
  readonly ledger: Ledger;
  readonly identity: PaymentIdentity;
  readonly settings: PaymentSettings;
  readonly clock: () => number;
}

export function paymentSettingsOf(config: Config): PaymentSettings {
  return {
    profile: config.cryptoProfile,
    instructionWindowMs: config.instructionWindowMs,
    amountMaxMinor: config.amountMaxMinor,
    limits: {
      classOneLifetimeMinor: config.limitClassOneLifetimeMinor,
      classTwoYearMinor: config.limitClassTwoYearMinor,
      classThreeYearMinor: config.limitClassThreeYearMinor,
      dayCertificateMinor: config.limitDayCertificateMinor,
      dayTwoFactorsMinor: config.limitDayTwoFactorsMinor,
      dayWeakMinor: config.limitDayWeakMinor,
    },
    risk: paymentRiskThresholds,
    refundApprovalMinor: config.refundApprovalMinor,
    refundApprovalTtlMs: config.proposalTtlMs,
    merchantRequestWindowMs: config.merchantRequestWindowMs,
    merchantFeeBpsDefault: config.merchantFeeBpsDefault,
    orderTtlMsMax: config.orderTtlMsMax,
    challengeTtlMs: config.challengeTtlMs,
    withdrawalOutcomeUnknownAfterMs: config.withdrawalOutcomeUnknownAfterMs,
    velocityWindowMs: 3600_000,
  };
}
