// Risk control's door: the rule language and rule sets (versioned, maker–checker, hot-reloaded),
// real-time features kept in the store, decisions recorded with their snapshots, back-testing, and
// the fixed login and payment rules they grew from (still exported; the default set equals them).
export {
  decideLogin,
  loginRules,
  loginThresholds,
  localHourOf,
  networksOf,
  type LoginFeatures,
  type LoginRiskDecision,
  type LoginRiskReason,
  type LoginRule,
} from './login-risk.ts';
export {
  decidePayment,
  paymentRiskThresholds,
  type PaymentFeatures,
  type PaymentRiskThresholds,
  type PaymentRiskDecision,
  type PaymentRiskReason,
} from './payment-risk.ts';
export {
  neutralFeatures,
  featureCatalogue,
  riskEvents,
  type RiskEvent,
  type Value,
  type FeatureValues,
  type AmountValue,
  type ValueType,
} from './features.ts';
export { parseRule, RuleError, languageBounds, type RuleErrorCode } from './language.ts';
export {
  compileRuleSet,
  decide,
  riskActions,
  type RiskAction,
  type RiskSignal,
  type RiskDecision,
  type RuleSetDocument,
  type RuleSetProblem,
  type CompiledRuleSet,
} from './ruleset.ts';
export { defaultRuleSet } from './default-ruleset.ts';
export { paymentFeatureValues, loginFeatureValues } from './feature-values.ts';
export { RiskEngine, type EngineDecision, type RiskEngineOptions } from './engine.ts';
export {
  assessMoneyEvent,
  recordAssessments,
  paymentRiskOf,
  decisionAuditEvent,
  assessBatch,
  type MoneyAssessment,
  type MoneyAssessmentInput,
} from './assess.ts';
export type { MoneyEvent } from './money-features.ts';
export { backtest, labelOutcome, type BacktestReport } from './backtest.ts';
export { indicatorsOf, type Indicators } from './indicators.ts';
export { ruleSetExecutor, listChangeExecutor } from './ruleset-proposal.ts';
export {
  decisionsBetween,
  decisionById,
  searchDecisions,
  type DecisionFilter,
  decisionsOfSubject,
  labelDecision,
  decisionCounts,
  latestRuleSetVersion,
  ruleSetAt,
  listEntries,
  listNames,
  insertDecisions,
  type StoredDecision,
  type DecisionRecord,
  type ListName,
} from './store.ts';
export {
  countFailedAttempt,
  identityStoredFeatures,
  idNumberBlocked,
  type IdentitySubjects,
  type FailedAttempt,
} from './identity-store.ts';
export { riskReviewKind, riskReviewHandler } from './review-case.ts';
export { loginDeciderOf, type LoginRiskDecider, type LoginSubject } from './login-decider.ts';
export {
  assessIdentityEvent,
  recordIdentityDecision,
  type IdentityAssessment,
  type IdentityEventInput,
  type IdentityRiskEvent,
} from './identity-decision.ts';
