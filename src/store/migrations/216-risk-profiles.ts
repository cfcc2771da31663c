import type { Migration } from './index.ts';

// The risk engine's per-customer habit (issue 12, item 1; docs/risk.md "Location and habit"): one row
// per customer holding, as JSON, the hour-of-day histogram of their money events (local time) and the
// last known location (country, its centroid, when), so hour-of-day deviation and impossible travel
// cost one row read and one row write per customer and event, like the velocity counters.
export const riskProfiles: Migration = {
  id: 216,
  name: 'risk-profiles',
  sql: `
CREATE TABLE risk_profiles (
  customer_id TEXT PRIMARY KEY,
  profile TEXT NOT NULL,
  updated_at BIGINT NOT NULL
)
`,
};
