import type { Migration } from './index.ts';

// The console follows a payment into the ledger and the audit log: journal entries by their
// reference (the payment, refund or funding id) and audit entries by their target, each in seq order.
export const consoleLookups: Migration = {
  id: 260,
  name: 'console-lookups',
  sql: `
CREATE INDEX ledger_transfers_reference ON ledger_transfers (reference, seq)
--;
CREATE INDEX audit_entries_target ON audit_entries (target, seq)
`,
};
