import type { Migration } from './index.ts';

// SQLite only: the journal's account indexes, led by the account, dirtied one leaf per transfer per index
// once every active account owned a leaf (~20 KiB of WAL a transfer at 2,000,000 rows, docs/benchmarks.md).
// Led by a bucket of 2^14 transfers, a batch writes into the current bucket's leaves only; an account's
// entries are read bucket by bucket (ledger/account-entries.ts, whose shift must equal this one).
// PostgreSQL keeps ledger_transfers_debit and _credit: its history run is within the goal with them.
export const ledgerJournalBuckets: Migration = {
  id: 214,
  name: 'ledger-journal-buckets',
  sql: '',
  sqliteSql: `
DROP INDEX ledger_transfers_debit
--;
DROP INDEX ledger_transfers_credit
--;
CREATE INDEX ledger_transfers_debit_bucket ON ledger_transfers (seq >> 14, debit_account_id)
--;
CREATE INDEX ledger_transfers_credit_bucket ON ledger_transfers (seq >> 14, credit_account_id)
`,
};
