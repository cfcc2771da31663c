import type { Migration } from './index.ts';

// AML: the daily large-value report files produced (once per day across all processes), and the alerts
// the suspicious-pattern monitors raised (one per pattern, subject and day, each with its case).
// The two indexes let the daily report and the monitors read a time range of settled money.
export const aml: Migration = {
  id: 231,
  name: 'aml',
  sql: `
CREATE TABLE aml_reports (
  report_date TEXT PRIMARY KEY,
  row_count INTEGER NOT NULL CHECK (row_count >= 0),
  sha256 TEXT NOT NULL,
  csv_path TEXT NOT NULL,
  json_path TEXT NOT NULL,
  produced_by TEXT NOT NULL,
  produced_at BIGINT NOT NULL
)
--;
CREATE TABLE aml_alerts (
  id TEXT PRIMARY KEY,
  pattern TEXT NOT NULL,
  subject_type TEXT NOT NULL,
  subject_id TEXT NOT NULL,
  window_day TEXT NOT NULL,
  amount BIGINT NOT NULL CHECK (amount >= 0),
  currency TEXT NOT NULL,
  transaction_count INTEGER NOT NULL,
  case_id TEXT,
  details TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  UNIQUE (pattern, subject_id, window_day)
)
--;
CREATE INDEX aml_alerts_created ON aml_alerts (created_at)
--;
CREATE INDEX aml_payments_settled ON payments (state, updated_at)
--;
CREATE INDEX aml_funding_settled ON funding_payments (state, updated_at)
`,
};
