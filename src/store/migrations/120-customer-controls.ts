import type { Migration } from './index.ts';

// Customer-side controls (issue 9 items 5, 6, 8):
// - rate_counters: fixed-window counters shared by every API process (request rate per source and
//   per customer, payee lookups, requests for money, step-up failures). One UPSERT per hit.
// - step_up_codes: SMS codes that authorise one thing (a payment, a factor change); kept apart from
//   sms_codes so a login or registration code can never authorise a payment.
// - customer_sessions.step_up_*: the strength and time of the last factor proven in the session
//   (login or a later step-up); factor changes need a fresh one at least as strong as the account's.
// - customers.factor_changed_at: the last factor change, which starts the cooling-off period.
// - webauthn_challenges.subject_id: what a passkey assertion authorises (a payment, a factor change).
// - login_failure_sources: failed customer logins per source, for credential-stuffing detection.
export const customerControls: Migration = {
  id: 120,
  name: 'customer-controls',
  sql: `
CREATE TABLE rate_counters (
  bucket TEXT NOT NULL,
  window_start BIGINT NOT NULL,
  hits INTEGER NOT NULL,
  expires_at BIGINT NOT NULL,
  PRIMARY KEY (bucket, window_start)
)
--;
CREATE INDEX rate_counters_expiry ON rate_counters (expires_at)
--;
CREATE TABLE step_up_codes (
  id TEXT PRIMARY KEY,
  customer_id TEXT NOT NULL REFERENCES customers (id),
  purpose TEXT NOT NULL CHECK (purpose IN ('payment', 'factor_change')),
  subject_id TEXT NOT NULL,
  code_hash BYTES NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  consumed_at BIGINT
)
--;
CREATE INDEX step_up_codes_customer ON step_up_codes (customer_id, created_at)
--;
ALTER TABLE customer_sessions ADD COLUMN step_up_strength INTEGER NOT NULL DEFAULT 0
--;
ALTER TABLE customer_sessions ADD COLUMN step_up_at BIGINT NOT NULL DEFAULT 0
--;
ALTER TABLE customers ADD COLUMN factor_changed_at BIGINT
--;
ALTER TABLE webauthn_challenges ADD COLUMN subject_id TEXT
--;
CREATE TABLE login_failure_sources (
  source TEXT NOT NULL,
  subject_hash TEXT NOT NULL,
  at BIGINT NOT NULL
)
--;
CREATE INDEX login_failure_sources_source ON login_failure_sources (source, at)
`,
};
