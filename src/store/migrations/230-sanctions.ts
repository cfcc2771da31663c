import type { Migration } from './index.ts';

// Sanctions screening: each load of a list is a new version (the parsed entries, compressed, with
// the file's hash), so every API process rebuilds the same index from the store and an examiner can
// see which list a decision was made against; hits and near hits are kept with the version used.
export const sanctions: Migration = {
  id: 230,
  name: 'sanctions',
  sql: `
CREATE TABLE sanctions_list_versions (
  id TEXT PRIMARY KEY,
  source TEXT NOT NULL CHECK (source IN ('ofac', 'un')),
  version INTEGER NOT NULL CHECK (version > 0),
  sha256 TEXT NOT NULL,
  entry_count INTEGER NOT NULL CHECK (entry_count > 0),
  payload BYTES NOT NULL,
  loaded_by TEXT NOT NULL,
  loaded_at BIGINT NOT NULL,
  UNIQUE (source, version)
)
--;
CREATE TABLE sanctions_screenings (
  id TEXT PRIMARY KEY,
  context TEXT NOT NULL CHECK (context IN ('registration', 'payee', 'merchant', 'payment', 'manual')),
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
CREATE INDEX sanctions_screenings_subject ON sanctions_screenings (subject_type, subject_id, screened_at)
--;
CREATE INDEX sanctions_screenings_time ON sanctions_screenings (screened_at)
`,
};
