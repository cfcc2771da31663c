import type { Migration } from './index.ts';

// One lease primitive (src/store/leases.ts): the payments sweeps' own `sweep_leases` (migration 150)
// is folded into `store_leases`. A lease still held is carried over (unless the name is already
// leased there), so a sweep running during the upgrade is not run twice; then the old table goes.
export const oneLeaseTable: Migration = {
  id: 180,
  name: 'one-lease-table',
  sql: `
INSERT INTO store_leases (name, holder, expires_at)
SELECT name, holder, expires_at FROM sweep_leases
WHERE name NOT IN (SELECT name FROM store_leases)
--;
DROP TABLE sweep_leases
`,
};
