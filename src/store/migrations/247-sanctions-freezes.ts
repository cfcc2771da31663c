import type { Migration } from './index.ts';

// A re-screening hit on an existing customer freezes the customer's outgoing money until the
// `sanctions_hit` case is decided (docs/sanctions.md "Re-screening"): one row per case, read by
// payments' identity port beside the claim freezes of support_freezes; a false positive lifts it.
export const sanctionsFreezes: Migration = {
  id: 247,
  name: 'sanctions-freezes',
  sql: `
CREATE TABLE sanctions_freezes (
  id TEXT PRIMARY KEY,
  case_id TEXT NOT NULL UNIQUE REFERENCES cases (id),
  customer_id TEXT NOT NULL,
  active INTEGER NOT NULL,
  created_at BIGINT NOT NULL,
  lifted_at BIGINT,
  lifted_by TEXT
)
--;
CREATE INDEX sanctions_freezes_customer ON sanctions_freezes (customer_id, active)
`,
};
