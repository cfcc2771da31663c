import type { Migration } from './index.ts';

// Operator credentials that a creator never sees (issue 9): an operator is created with a single-use,
// expiring enrolment code (stored as a hash) and sets their own password and TOTP secret; their role
// counts only once another administrator approved the grant. API tokens belong to a named operator
// and expire. Tokens from before this migration name no operator, so they are revoked here.
export const operatorCredentials: Migration = {
  id: 100,
  name: 'operator-credentials',
  sql: `
ALTER TABLE operators ADD COLUMN enrolment_code_hash TEXT
--;
ALTER TABLE operators ADD COLUMN enrolment_expires_at BIGINT
--;
ALTER TABLE operators ADD COLUMN enrolled_at BIGINT
--;
ALTER TABLE operators ADD COLUMN role_granted_at BIGINT
--;
ALTER TABLE operators ADD COLUMN created_by TEXT
--;
UPDATE operators SET enrolled_at = created_at, role_granted_at = created_at
--;
CREATE UNIQUE INDEX operators_enrolment_code ON operators (enrolment_code_hash)
--;
ALTER TABLE api_tokens ADD COLUMN operator_id TEXT REFERENCES operators (id)
--;
ALTER TABLE api_tokens ADD COLUMN expires_at BIGINT
--;
ALTER TABLE api_tokens ADD COLUMN created_by TEXT
--;
UPDATE api_tokens SET revoked_at = created_at WHERE revoked_at IS NULL
--;
CREATE INDEX api_tokens_operator ON api_tokens (operator_id)
`,
};
