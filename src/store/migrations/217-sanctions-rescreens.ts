import type { Migration } from './index.ts';

// Re-screening existing parties when the sanctions lists change (issue 12; docs/sanctions.md
// "Re-screening"): one row per run with its resume point (the party kind and the last id screened)
// and its progress, so a run survives a restart and another process takes it over under the
// `sanctions:rescreen` lease. Screenings recorded by a run carry the context 'rescreen': the
// screenings table is rebuilt to allow it (SQLite cannot change a CHECK in place).
// Listed after 232 in index.ts: it rebuilds the table that 230 creates (list order is apply order).
export const sanctionsRescreens: Migration = {
  id: 217,
  name: 'sanctions-rescreens',
  sql: `
CREATE TABLE sanctions_rescreens (
  id TEXT PRIMARY KEY,
  state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed')),
  list_versions TEXT NOT NULL,
  phase INTEGER NOT NULL DEFAULT 0,
  cursor TEXT NOT NULL DEFAULT '',
  screened BIGINT NOT NULL DEFAULT 0,
  hits BIGINT NOT NULL DEFAULT 0,
  near_hits BIGINT NOT NULL DEFAULT 0,
  requested_by TEXT NOT NULL,
  requested_at BIGINT NOT NULL,
  started_at BIGINT,
  heartbeat_at BIGINT,
  finished_at BIGINT,
  detail TEXT
)
--;
CREATE INDEX sanctions_rescreens_state ON sanctions_rescreens (state, requested_at)
--;
CREATE TABLE sanctions_screenings_new (
  id TEXT PRIMARY KEY,
  context TEXT NOT NULL CHECK (context IN ('registration', 'payee', 'merchant', 'payment', 'manual', 'rescreen')),
  subject_type TEXT NOT NULL,
  subject_id TEXT NOT NULL,
  outcome TEXT NOT NULL CHECK (outcome IN ('hit', 'near_hit')),
  entry_id TEXT NOT NULL,
  matched_name TEXT NOT NULL,
  score_permille INTEGER NOT NULL CHECK (score_permille >= 0 AND score_permille <= 1000),
  list_versions TEXT NOT NULL,
  case_id TEXT,
  screened_at BIGINT NOT NULL
)
--;
INSERT INTO sanctions_screenings_new (id, context, subject_type, subject_id, outcome, entry_id, matched_name,
  score_permille, list_versions, case_id, screened_at)
SELECT id, context, subject_type, subject_id, outcome, entry_id, matched_name, score_permille, list_versions,
  case_id, screened_at FROM sanctions_screenings
--;
DROP TABLE sanctions_screenings
--;
ALTER TABLE sanctions_screenings_new RENAME TO sanctions_screenings
--;
CREATE INDEX sanctions_screenings_subject ON sanctions_screenings (subject_type, subject_id, screened_at)
--;
CREATE INDEX sanctions_screenings_time ON sanctions_screenings (screened_at)
`,
};
