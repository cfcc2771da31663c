// The reconciliation capability's door: statement import and matching (camt.053, CSV), the matching
// engine, breaks with their cases, SLAs and maker–checker corrections, and the daily report.
export { reconcileStatement, lineOf, type ReconcileOutcome, type ReconcileOptions } from './import.ts';
export {
  Matcher,
  breakClasses,
  defaultMatcherOptions,
  type Expectation,
  type StatementLine,
  type Match,
  type Break,
  type BreakClass,
  type MatchResult,
} from './matcher.ts';
export {
  recordBreak,
  resolveBreak,
  approveBreak,
  postApprovedBreaks,
  breakById,
  openBreaks,
  adjustmentFor,
  severityOf,
  escalated,
  breakSla,
  type BreakCaseInput,
  type BreakCaseOpener,
  type StoredBreak,
  type Severity,
  type BreakKind,
  type PartnerAccounts,
} from './breaks.ts';
export { dailyReport, breakSummary, type DailyReport, type BreakSummary } from './report.ts';
export { streamCsvStatement, splitCsvLine, type CsvColumns, type CsvStatementOptions } from './csv.ts';
export { seededFaultRun, faultTypes, type FaultRunResult } from './fault-run.ts';
export { breakResolutionExecutor } from './executor.ts';
export { reconciliationCaseKind, reconciliationBreakHandler, reconciliationBreakDecisions } from './case-kind.ts';
export { runScheduledClearing, postApprovedCorrections, type ScheduledRun } from './scheduled.ts';
