import type { Migration } from './index.ts';

// The real-time risk engine (issue 12, docs/risk.md):
// - risk_rulesets: every approved rule set, versioned; the highest version runs in every process.
// - risk_decisions: every decision with its feature snapshot, score, rules hit (active and shadow),
//   reasons and the rule set version, so it can be explained, audited and replayed (back-testing);
//   an analyst's label (fraud / legitimate) makes precision and recall measurable.
// - risk_counters: velocity counters, one row per subject holding, for each window (1 min, 1 h, 24 h,
//   30 d), the current and the previous bucket, so a sliding count and sum cost one row read and one
//   row write per subject and event (O(1)).
// - risk_seen: first-seen marks (device, network, payee, card for a customer; payee for a device).
// - risk_lists: block and allow lists (device, address range, ID-number hash, payee, card fingerprint).
export const riskEngine: Migration = {
  id: 210,
  name: 'risk-engine',
  sql: `
CREATE TABLE risk_rulesets (
  version INTEGER PRIMARY KEY,
  document TEXT NOT NULL,
  proposal_id TEXT,
  approved_by TEXT,
  created_at BIGINT NOT NULL
)
--;
CREATE TABLE risk_decisions (
  id TEXT PRIMARY KEY,
  event TEXT NOT NULL,
  subject_ref TEXT,
  customer_id TEXT,
  decision TEXT NOT NULL,
  score INTEGER NOT NULL,
  reasons TEXT NOT NULL,
  hits TEXT NOT NULL,
  shadow_hits TEXT NOT NULL,
  features TEXT NOT NULL,
  ruleset_version INTEGER NOT NULL,
  label TEXT,
  at BIGINT NOT NULL
)
--;
CREATE INDEX risk_decisions_at ON risk_decisions (at)
--;
CREATE INDEX risk_decisions_subject ON risk_decisions (subject_ref)
--;
CREATE TABLE risk_counters (
  key TEXT PRIMARY KEY,
  windows TEXT NOT NULL
)
--;
CREATE TABLE risk_seen (
  key TEXT PRIMARY KEY,
  first_at BIGINT NOT NULL
)
--;
CREATE TABLE risk_lists (
  list TEXT NOT NULL,
  value TEXT NOT NULL,
  effect TEXT NOT NULL CHECK (effect IN ('block', 'allow')),
  note TEXT,
  added_by TEXT NOT NULL,
  added_at BIGINT NOT NULL,
  PRIMARY KEY (list, value)
)
`,
};
