// The payments capability's only door: signed instructions, the payment state machine, limits,
// fees, merchants, orders and refunds. Cross-capability processes that use it live in src/flows.
export {
  paymentStates,
  paymentEvents,
  transitionTable,
  nextState,
  isTerminal,
  type PaymentState,
  type PaymentEvent,
  type TransitionResult,
} from './payment-states.ts';
export {
  decideLimits,
  defaultLimitPolicy,
  limitPeriodsAt,
  type LimitPolicy,
  type LimitUsage,
  type LimitDecision,
  type LimitName,
  type AccountClass,
  type LimitTier,
} from './payment-limits.ts';
export { feeOf, basisPointsPerUnit } from './merchant-fees.ts';
export {
  verifyInstruction,
  verifyInstructionWith,
  checkInstructionSignature,
  prepareInstructionCheck,
  parseInstruction,
  canonicalJsonOf,
  publicKeyPemOf,
  instructionKinds,
  type Instruction,
  type InstructionKind,
  type VerifiedInstruction,
  type InstructionCheck,
  type InstructionRefusal,
  type SignatureCheck,
  type SignatureCheckRequest,
} from './verify-instruction.ts';
export {
  createSignatureCheckPool, type SignatureChecks, type SignatureCheckPoolOptions,
} from './signature-check-pool.ts';
export {
  type PaymentIdentity,
  type PaymentCustomer,
  type PaymentDevice,
  type PayingCustomer,
  type PaymentStepUpFactor,
  type PaymentStepUpVerdict,
} from './payment-identity.ts';
export { paymentSettingsOf, type PaymentSettings, type PaymentsContext } from './payments-context.ts';
export {
  recordTransition,
  recordCreation,
  transitionAuditEvent,
  creationAuditEvent,
  type TransitionActor,
} from './record-transition.ts';
export {
  walletOf,
  merchantAccountOf,
  feeAccountOf,
  bankSettlementOf,
  walletCode,
  merchantAccountCode,
  feeAccountCode,
  bankSettlementCode,
} from './payment-accounts.ts';
export { provideCardFunding, cardFundingOf, type CardFunding, type CardLinkPort } from './card-funding.ts';
export { checkedCardDetails, expiryField, type CardDetails } from './card-details.ts';
export {
  decideFundingLimits,
  fundingPeriodsOf,
  type FundingLimitPolicy,
  type FundingLimitDecision,
  type FundingLimitName,
} from './funding-limits.ts';
export {
  type CardBinding,
  type CardBindingState,
} from './card-binding-store.ts';
export { type CardBindingSettings } from './payments-context.ts';
export { openCardBinding, countWrongCode, refuseCardBinding, bindVerifiedCard } from './card-bindings.ts';
export { reserveFundingLimits, releaseFundingLimits } from './reserve-funding-limits.ts';
export {
  recordFundingTransition,
  createFunding,
  type FundingDetail,
} from './record-funding-transition.ts';
export {
  type PaymentCard,
  type FundingPayment,
  type FundingKind,
  type BankExchange,
} from './store/funding.ts';
export {
  type Payment,
  type PaymentKind,
  type PaymentTransition,
  type StoredInstruction,
  type PaymentFilter,
} from './store/payments.ts';
/** The read side: queries that write nothing. */
export {
  paymentById,
  paymentByKey,
  transitionsOf,
  instructionOf,
  listPayments,
  recentPaymentCount,
  payerHistory,
  cardById,
  cardsOf,
  fundingById,
  fundingByKey,
  fundingInState,
  fundingWithReversalOwed,
  fundingTransitionsOf,
  withdrawalsDue,
  outcomeUnknownWithdrawals,
  cardBindingById,
  cardBindingsSince,
  verifiedCardHolderOf,
  refundById,
  refundsOf,
  paymentStatistics,
} from './queries.ts';
export {
  paymentHistory,
  historyKinds,
  type HistoryEntry,
  type HistoryFilter,
  type HistoryKind,
} from './history.ts';
export { onboardMerchant, merchantById, type Merchant, type MerchantInput } from './onboard-merchant.ts';
export { merchantsAfter } from './onboard-merchant.ts';
export {
  prepareMerchantApiKey,
  authenticateMerchantRequest,
  merchantRequestSignature,
  signingKeyOf,
  type IssuedMerchantKey,
  type PreparedMerchantKey,
  type SignedMerchantRequest,
  type MerchantAuthentication,
  type MerchantRequestRefusal,
} from './merchant-api-keys.ts';
export { merchantProtectionFor, merchantProtectionWith, type MerchantProtection } from './merchant-protection.ts';
export {
  createCheckoutOrder,
  openCheckoutOrder,
  orderByReference,
  orderById,
  orderByCode,
  claimOrder,
  orderQrText,
  orderQrSvg,
  type CheckoutOrder,
  type OrderInput,
  type OrderState,
} from './checkout-orders.ts';
export { exportInstructionProof, proofFiles, verifyScript } from './prove-instruction.ts';
export {
  expireChallengedPayments,
  expireOrdersAndRequests,
  refuseLapsedChallenge,
  challengeLapsed,
} from './expire-reservations.ts';
export {
  nextCardStan,
  recordBankAnswer,
  stampForSending,
  nextStatusQueryAt,
  scheduleWithdrawalStatusQuery,
  declareOutcomeUnknown,
  type BankAnswer,
  type SendingStamp,
} from './bank-exchanges.ts';
export { failPayment, settlePayment, settleStuckPayments } from './settle-payment.ts';
export {
  createBatchPayments,
  settleBatchPayment,
  failBatchPayment,
  writeBatchTransitions,
  newBatchWrites,
  type BatchPayment,
  type BatchOutcome,
  type BatchWrites,
} from './payment-batch.ts';
export {
  requestHashOf,
  usagePeriodsOf,
  limitRefusalOf,
  legsBetween,
  limitCurrency,
  type LimitInput,
} from './decide-payment.ts';
export {
  requestRefund,
  executeRefund,
  sweepRefunds,
  refundApprovalExecutor,
  refundStates,
  type Refund,
  type RefundState,
  type RefundRequest,
} from './refunds.ts';
export {
  requestMoney,
  declineCollectRequest,
  claimCollectRequest,
  collectRequestById,
  collectRequestsOf,
  type CollectRequest,
  type CollectState,
} from './collect-requests.ts';

export { walletSummary, type WalletSummary, type WalletBalance, type WalletLimit } from './wallet-summary.ts';
/** Operational reports (issue 14): per-period counts, sums and risk outcomes, read-only. */
export { type PaymentPeriodRow, type PeriodQuery } from './store/statistics.ts';
export {
  openReviewHolds,
  placeReviewHold,
  resolveReviewHold,
  sweepReviewHolds,
  reviewHoldOfPayment,
  reviewFailureCodes,
  type ReviewHoldOutcome,
} from './review-holds.ts';
export {
  type ReviewHold,
  type ReviewHoldState,
  type ReviewResolution,
} from './store/review-holds.ts';
export {
  holdFundingForReview,
  fundingReviewOf,
  fundingReviewsToSweep,
  recordFundingReviewHold,
  claimFundingReview,
  releaseFundingReview,
  rejectFundingReview,
  type FundingReviewHold,
} from './funding-review-holds.ts';
