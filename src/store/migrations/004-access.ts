import type { Migration } from './index.ts';

// Operator access (R7.2, R7.4, R7.5): operator accounts with argon2id passwords and TOTP, their
// sessions (only token hashes), login failures for stuffing detection, maker–checker proposals,
// security events, and incidents with their timeline. Every change here is audited by src/audit.
export const access: Migration = {
  id: 4,
  name: 'access',
  sql: `
CREATE TABLE operators (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  role TEXT NOT NULL CHECK (role IN ('administrator', 'operations', 'risk_analyst', 'customer_service', 'auditor')),
  password_hash TEXT NOT NULL,
  totp_secret TEXT NOT NULL,
  totp_last_step BIGINT NOT NULL DEFAULT 0,
  failed_logins INTEGER NOT NULL DEFAULT 0,
  locked_until BIGINT,
  status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
  created_at BIGINT NOT NULL
)
--;
CREATE TABLE operator_sessions (
  id TEXT PRIMARY KEY,
  operator_id TEXT NOT NULL REFERENCES operators (id),
  token_hash TEXT NOT NULL UNIQUE,
  created_at BIGINT NOT NULL,
  last_seen_at BIGINT NOT NULL,
  ended_at BIGINT
)
--;
CREATE INDEX operator_sessions_operator ON operator_sessions (operator_id)
--;
CREATE TABLE login_failures (
  id SERIAL_PK,
  source TEXT NOT NULL,
  subject_hash TEXT NOT NULL,
  at BIGINT NOT NULL
)
--;
CREATE INDEX login_failures_source ON login_failures (source, at)
--;
CREATE TABLE proposals (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  payload TEXT NOT NULL,
  proposed_by TEXT NOT NULL,
  approver_roles TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'rejected', 'expired', 'executed', 'failed')),
  reason TEXT,
  decided_by TEXT,
  decided_at BIGINT,
  result TEXT,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  executed_at BIGINT,
  CHECK (decided_by IS NULL OR decided_by <> proposed_by)
)
--;
CREATE INDEX proposals_state ON proposals (state, expires_at)
--;
CREATE TABLE security_events (
  id TEXT PRIMARY KEY,
  type TEXT NOT NULL,
  severity TEXT NOT NULL CHECK (severity IN ('low', 'medium', 'high', 'critical')),
  source TEXT,
  subject TEXT,
  details TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  delivered_at BIGINT
)
--;
CREATE INDEX security_events_type ON security_events (type, source, created_at)
--;
CREATE INDEX security_events_undelivered ON security_events (delivered_at, created_at)
--;
CREATE TABLE incidents (
  id TEXT PRIMARY KEY,
  title TEXT NOT NULL,
  classification TEXT NOT NULL,
  severity TEXT NOT NULL CHECK (severity IN ('low', 'medium', 'high', 'critical')),
  scope TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('open', 'closed')),
  opened_by TEXT NOT NULL,
  opened_at BIGINT NOT NULL,
  closed_by TEXT,
  closed_at BIGINT,
  review TEXT
)
--;
CREATE TABLE incident_entries (
  seq SERIAL_PK,
  id TEXT NOT NULL UNIQUE,
  incident_id TEXT NOT NULL REFERENCES incidents (id),
  kind TEXT NOT NULL CHECK (kind IN ('timeline', 'action', 'notification', 'note')),
  text TEXT NOT NULL,
  details TEXT NOT NULL,
  recorded_by TEXT NOT NULL,
  recorded_at BIGINT NOT NULL
)
--;
CREATE INDEX incident_entries_incident ON incident_entries (incident_id, seq)
--;
APPEND_ONLY(incident_entries)
--;
CREATE TABLE incident_events (
  incident_id TEXT NOT NULL REFERENCES incidents (id),
  security_event_id TEXT NOT NULL REFERENCES security_events (id),
  linked_by TEXT NOT NULL,
  linked_at BIGINT NOT NULL,
  PRIMARY KEY (incident_id, security_event_id)
)
`,
};
