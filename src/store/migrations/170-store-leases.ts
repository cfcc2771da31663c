import type { Migration } from './index.ts';

// Leases: a background job (a sweep, a scheduler) that several API processes run is done by the one
// holding its lease, so a cluster of N nodes sweeps once, not N times; a holder that dies loses it
// when it expires.
export const storeLeases: Migration = {
  id: 170,
  name: 'store-leases',
  sql: `
CREATE TABLE store_leases (
  name TEXT PRIMARY KEY,
  holder TEXT NOT NULL,
  expires_at BIGINT NOT NULL
)
`,
};
