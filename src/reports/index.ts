// Operational reports (R9.4, issue 14): daily and weekly volumes, success and decline rates, request
// latency percentiles (recorded by each API process), risk rates and incidents, as JSON or CSV.
// Sections other capabilities own (reconciliation, complaints) are extension points: pass a
// ReportSection of the same name to replace the placeholder.
export {
  operationsReport,
  reportCsv,
  reportRangeProblem,
  reportSpanDaysMax,
  type OperationsReport,
  type ReportQuery,
} from './operations-report.ts';
export {
  defaultReportSections,
  withSections,
  pendingSection,
  volumesSection,
  outcomesSection,
  latencySection,
  riskSection,
  incidentsSection,
  type ReportSection,
  type SectionResult,
  type ReportRow,
  type ReportInput,
} from './sections.ts';
export { createLatencyRecorder, latencyBucket, bucketUpperMs, percentileMs, type LatencyRecorder } from './latency.ts';
export { periodsOf, type Granularity, type Period } from './periods.ts';
