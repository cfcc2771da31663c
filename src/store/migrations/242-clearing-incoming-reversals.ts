import type { Migration } from './index.ts';

// A card top-up reversed after its capture was recorded as a clearing credit (docs/banks.md): still pending,
// the credit is withdrawn (reversed_at set, never netted); already netted in a batch, the partner is owed it
// back, and the next run counts it as a debit (reversal_batch_id names that run's batch).
export const clearingIncomingReversals: Migration = {
  id: 242,
  name: 'clearing-incoming-reversals',
  sql: `
ALTER TABLE clearing_incoming ADD COLUMN reversed_at BIGINT
--;
ALTER TABLE clearing_incoming ADD COLUMN reversal_batch_id TEXT
`,
};
