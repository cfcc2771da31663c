import type { Migration } from './index.ts';

// The shared case system (src/cases, docs/cases.md): one row per case, unique by (kind, dedupe_key) so
// opening the same thing twice finds the first; an append-only event list that is the case's history
// (and what SLA clocks are computed from); evidence links and notes. Statuses and severities are
// closed sets checked by the table as well as the code.
export const cases: Migration = {
  id: 200,
  name: 'cases',
  sql: `
CREATE TABLE cases (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  dedupe_key TEXT NOT NULL,
  queue TEXT NOT NULL,
  title TEXT NOT NULL,
  subject_type TEXT NOT NULL,
  subject_id TEXT NOT NULL,
  customer_id TEXT,
  severity TEXT NOT NULL CHECK (severity IN ('low', 'medium', 'high', 'critical')),
  amount_minor BIGINT,
  currency TEXT,
  status TEXT NOT NULL CHECK (status IN ('open', 'assigned', 'waiting', 'decided', 'closed')),
  assignee TEXT,
  opened_by TEXT NOT NULL,
  details TEXT NOT NULL,
  decision TEXT,
  decided_by TEXT,
  decided_at BIGINT,
  pending_proposal_id TEXT,
  waiting_since BIGINT,
  paused_ms BIGINT NOT NULL DEFAULT 0,
  first_response_at BIGINT,
  first_response_due_at BIGINT,
  resolution_due_at BIGINT,
  breached TEXT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  UNIQUE (kind, dedupe_key)
)
--;
CREATE INDEX cases_queue ON cases (queue, status, id)
--;
CREATE INDEX cases_kind ON cases (kind, status, id)
--;
CREATE INDEX cases_customer ON cases (customer_id, id)
--;
CREATE INDEX cases_assignee ON cases (assignee, status, id)
--;
CREATE INDEX cases_due ON cases (status, resolution_due_at)
--;
CREATE TABLE case_events (
  seq SERIAL_PK,
  case_id TEXT NOT NULL REFERENCES cases (id),
  type TEXT NOT NULL,
  actor TEXT NOT NULL,
  at BIGINT NOT NULL,
  details TEXT NOT NULL
)
--;
CREATE INDEX case_events_case ON case_events (case_id, seq)
--;
APPEND_ONLY(case_events)
--;
CREATE TABLE case_evidence (
  id TEXT PRIMARY KEY,
  case_id TEXT NOT NULL REFERENCES cases (id),
  type TEXT NOT NULL,
  ref TEXT NOT NULL,
  note TEXT,
  added_by TEXT NOT NULL,
  added_at BIGINT NOT NULL,
  UNIQUE (case_id, type, ref)
)
--;
CREATE TABLE case_notes (
  id TEXT PRIMARY KEY,
  case_id TEXT NOT NULL REFERENCES cases (id),
  author TEXT NOT NULL,
  body TEXT NOT NULL,
  at BIGINT NOT NULL
)
--;
CREATE INDEX case_notes_case ON case_notes (case_id, id)
`,
};
