import type { Migration } from './index.ts';

// Operator attestations for self-assessment rows that no live check can see (physical security,
// JR/T 0122 chapters 7–9): who attested what, when, until when. Kept whole (a new attestation is a new
// row), so the history of who vouched for a control stays.
export const assessmentAttestations: Migration = {
  id: 252,
  name: 'assessment-attestations',
  sql: `
CREATE TABLE assessment_attestations (
  id TEXT PRIMARY KEY,
  control_id TEXT NOT NULL,
  statement TEXT NOT NULL,
  attested_by TEXT NOT NULL,
  attested_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL
)
--;
CREATE INDEX assessment_attestations_control ON assessment_attestations (control_id, attested_at)
`,
};
