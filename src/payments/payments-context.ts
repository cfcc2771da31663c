// What every payments use case is given: the store, the ledger, identity's port, the settings and
// the clock. Built once per app from the configuration.
import type { Config } from '../config.ts';
import type { Ledger } from '../ledger/index.ts';
import type { Store } from '../store/index.ts';
import { paymentRiskThresholds, type PaymentRiskThresholds, type RiskEngine } from '../risk/index.ts';
import type { PaymentIdentity } from './payment-identity.ts';
import type { LimitPolicy } from './payment-limits.ts';
import type { FundingLimitPolicy } from './funding-limits.ts';
import type { SignatureChecks } from './signature-check-pool.ts';

/** Bounds of card binding (docs/banks.md "Account verification"). */
export interface CardBindingSettings {
  readonly attemptsPerDayMax: number;
  readonly ttlMs: number;
  readonly otpAttemptsMax: number;
}

export interface PaymentSettings {
  readonly profile: 'intl' | 'gm';
  readonly instructionWindowMs: number;
  readonly amountMaxMinor: bigint;
  /** Currencies money may move in (ANFU_CURRENCIES). */
  readonly currencies: readonly string[];
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
  /** Public-surface throttles per customer (issue 9): payee lookups per hour, requests for money per day. */
  readonly payeeLookupsPerHourMax: number;
  readonly collectRequestsPerDayMax: number;
  readonly funding: FundingLimitPolicy;
  /** A challenged top-up or withdrawal not stepped up within this fails (its limit usage given back). */
  readonly fundingChallengeTtlMs: number;
  /** A payment, top-up or withdrawal held for a risk review fails unless decided within this (ANFU_REVIEW_TTL_MS). */
  readonly reviewTtlMs: number;
  readonly cardBinding: CardBindingSettings;
}

export interface PaymentsContext {
  readonly store: Store;
  readonly ledger: Ledger;
  readonly identity: PaymentIdentity;
  readonly settings: PaymentSettings;
  readonly clock: () => number;
  /** The running rule set (src/risk); without it the fixed rules of risk/payment-risk.ts decide. */
  readonly riskEngine?: RiskEngine | undefined;
  /** Sanctions screening of a merchant payee at payment (wired in; throws `sanctions_hit` to refuse). */
  readonly screenPayee?: ((payee: { readonly id: string; readonly name: string }) => Promise<void>) | undefined;
  /** Worker threads for signature and certificate checks (ANFU_VERIFY_WORKERS); without them, the event loop checks. */
  readonly signatureChecks?: SignatureChecks | undefined;
}

export function paymentSettingsOf(config: Config): PaymentSettings {
  return {
    profile: config.cryptoProfile,
    instructionWindowMs: config.instructionWindowMs,
    amountMaxMinor: config.amountMaxMinor,
    currencies: config.currencies,
    limits: {
      classOneLifetimeMinor: config.limitClassOneLifetimeMinor,
      classTwoYearMinor: config.limitClassTwoYearMinor,
      classThreeYearMinor: config.limitClassThreeYearMinor,
      dayCertificateMinor: config.limitDayCertificateMinor,
      dayTwoFactorsMinor: config.limitDayTwoFactorsMinor,
      dayWeakMinor: config.limitDayWeakMinor,
      dayPercentByLevel: { medium: config.limitDayMediumRiskPercent, high: config.limitDayHighRiskPercent },
    },
    risk: {
      ...paymentRiskThresholds,
      factorChangeCoolingOffMs: config.factorChangeCoolingOffMs,
      factorChangeChallengeAmountMinor: config.factorChangeChallengeMinor,
    },
    refundApprovalMinor: config.refundApprovalMinor,
    refundApprovalTtlMs: config.proposalTtlMs,
    merchantRequestWindowMs: config.merchantRequestWindowMs,
    merchantFeeBpsDefault: config.merchantFeeBpsDefault,
    orderTtlMsMax: config.orderTtlMsMax,
    challengeTtlMs: config.challengeTtlMs,
    withdrawalOutcomeUnknownAfterMs: config.withdrawalOutcomeUnknownAfterMs,
    velocityWindowMs: 3600_000,
    payeeLookupsPerHourMax: config.payeeLookupsPerHourMax,
    collectRequestsPerDayMax: config.collectRequestsPerDayMax,
    funding: {
      topUpTransactionMaxMinor: config.topUpTransactionMaxMinor,
      topUpDayMaxMinor: config.topUpDayMaxMinor,
      withdrawalTransactionMaxMinor: config.withdrawalTransactionMaxMinor,
      withdrawalDayMaxMinor: config.withdrawalDayMaxMinor,
    },
    fundingChallengeTtlMs: config.fundingChallengeTtlMs,
    reviewTtlMs: config.reviewTtlMs,
    cardBinding: {
      attemptsPerDayMax: config.cardBindAttemptsPerDayMax,
      ttlMs: config.cardBindingTtlMs,
      otpAttemptsMax: config.cardBindOtpAttemptsMax,
    },
  };
}
