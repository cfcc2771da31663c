// Anti-money-laundering (SPEC R4.4, R6.1): the daily large-value transaction report by the PBOC
// thresholds, the scheduled suspicious-pattern monitors that open `aml_alert` cases, and the
// suspicious-transaction report exported from a case, and each customer's money-laundering risk rating
// (low / medium / high) with its factors. docs/aml.md.
export {
  pbocLargeValueThresholds,
  defaultMonitorSettings,
  defaultLevelFactorsPercent,
  monitorSettingsWith,
  thresholdsFor,
  ruleArticle,
  type LevelFactorsPercent,
  type ThresholdTable,
  type LargeValueRule,
  type MonitorSettings,
} from './thresholds.ts';
export { reportDay, dayOf, previousDay, cstTime, type ReportDay } from './report-day.ts';
export { settledMovements, partyTypeOf, type SettledMovement, type PartyType } from './settled-money.ts';
export {
  produceLargeValueReport,
  largeValueSides,
  largeValueCsv,
  largeValueColumns,
  type LargeValueReport,
  type LargeValueRow,
  type ReportOptions,
  type NameLookup,
} from './large-value-report.ts';
export { detectPatterns, type Pattern, type PatternHit } from './detect-patterns.ts';
export { runMonitors, type MonitorRun } from './run-monitors.ts';
export { amlAlertKind } from './case-kind.ts';
export { exportSuspiciousReport, type SuspiciousReport } from './export-suspicious-report.ts';
export {
  defaultRatingSettings,
  idRegionOf,
  levelInForce,
  rateFacts,
  riskLevels,
  type CustomerRating,
  type CustomerRiskFacts,
  type IdRegion,
  type RatingFactor,
  type RatingSettings,
  type RiskLevel,
} from './customer-risk-rating.ts';
export {
  rateCustomer,
  ratingFactsOf,
  rerateDueCustomers,
  storedRating,
  ratingHistory,
  type RatingCause,
  type RatingResult,
  type StoredRating,
} from './rate-customer.ts';
export { ratingOverrideExecutor, parseRatingOverride, type RatingOverride } from './rating-override.ts';
export {
  levelFactorsExecutor,
  levelFactorsInForce,
  monitorSettingsIn,
  type LevelFactorsInForce,
  type LevelFactorsProposal,
} from './level-factors.ts';
