import type { Migration } from './index.ts';

// Clearing, settlement and reconciliation (issue 13, docs/banks.md):
// - clearing_partners: a clearing house or settlement bank per currency, with its four ledger
//   accounts (settlement, in transit, fees, suspense) and its net debit cap, configured by operators;
// - clearing_instructions: money that must leave through a partner (withdrawals to bank accounts,
//   merchant settlements), held in the partner's in-transit account until the bank answers;
// - clearing_batches: a netted, locked batch per partner and currency with the message sent (hash,
//   signature);
// - bank_files: every message received (pacs.002, camt.054, camt.053, CSV), unique by identity and by
//   hash, so a replay is refused;
// - statement_lines and reconciliation_matches / reconciliation_breaks: what the bank said, what it
//   matched on our side, and every difference as a break with its case.
export const clearing: Migration = {
  id: 250,
  name: 'clearing',
  sql: `
CREATE TABLE clearing_partners (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('clearing_house', 'settlement_bank')),
  currency TEXT NOT NULL,
  bic TEXT NOT NULL,
  account_number TEXT NOT NULL,
  message_kind TEXT NOT NULL CHECK (message_kind IN ('pain.001', 'pacs.008')),
  net_debit_cap BIGINT NOT NULL CHECK (net_debit_cap >= 0),
  fee_per_instruction BIGINT NOT NULL DEFAULT 0 CHECK (fee_per_instruction >= 0),
  settlement_days INTEGER NOT NULL DEFAULT 1 CHECK (settlement_days >= 0),
  endpoint TEXT,
  settlement_account_id TEXT NOT NULL,
  in_transit_account_id TEXT NOT NULL,
  fees_account_id TEXT NOT NULL,
  suspense_account_id TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  UNIQUE (name, currency)
)
--;
CREATE TABLE clearing_instructions (
  id TEXT PRIMARY KEY,
  partner_id TEXT NOT NULL REFERENCES clearing_partners (id),
  kind TEXT NOT NULL CHECK (kind IN ('withdrawal', 'merchant_settlement')),
  owner_id TEXT NOT NULL,
  source_account_id TEXT NOT NULL,
  currency TEXT NOT NULL,
  amount BIGINT NOT NULL CHECK (amount > 0),
  fee BIGINT NOT NULL DEFAULT 0 CHECK (fee >= 0),
  end_to_end_id TEXT NOT NULL UNIQUE,
  idempotency_key TEXT NOT NULL UNIQUE,
  creditor_name TEXT NOT NULL,
  creditor_account_sealed BYTES,
  creditor_agent TEXT NOT NULL,
  reconciled_file_id TEXT,
  return_reconciled_file_id TEXT,
  return_seq BIGINT,
  state TEXT NOT NULL CHECK (state IN ('pending', 'held', 'batched', 'accepted', 'rejected', 'returned')),
  batch_id TEXT,
  reason_code TEXT,
  value_date TEXT,
  reserve_seq BIGINT,
  settle_seq BIGINT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
)
--;
CREATE INDEX clearing_instructions_due ON clearing_instructions (partner_id, state, created_at)
--;
CREATE INDEX clearing_instructions_batch ON clearing_instructions (batch_id)
--;
CREATE TABLE clearing_batches (
  id TEXT PRIMARY KEY,
  partner_id TEXT NOT NULL REFERENCES clearing_partners (id),
  currency TEXT NOT NULL,
  message_id TEXT NOT NULL UNIQUE,
  message_kind TEXT NOT NULL,
  count INTEGER NOT NULL,
  total BIGINT NOT NULL,
  net_debit BIGINT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('locked', 'sent', 'answered')),
  value_date TEXT NOT NULL,
  file_sha256 TEXT NOT NULL,
  signature_algorithm TEXT NOT NULL,
  signature TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
)
--;
CREATE TABLE clearing_batch_files (
  batch_id TEXT PRIMARY KEY REFERENCES clearing_batches (id),
  body TEXT NOT NULL
)
--;
CREATE TABLE bank_files (
  id TEXT PRIMARY KEY,
  partner_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  identity TEXT NOT NULL,
  sha256 TEXT NOT NULL UNIQUE,
  entries INTEGER NOT NULL,
  statement_date TEXT,
  closing_balance BIGINT,
  ledger_balance BIGINT,
  balanced SMALLINT,
  imported_at BIGINT NOT NULL,
  UNIQUE (partner_id, kind, identity)
)
--;
CREATE TABLE statement_lines (
  id TEXT PRIMARY KEY,
  file_id TEXT NOT NULL REFERENCES bank_files (id),
  partner_id TEXT NOT NULL,
  line_no INTEGER NOT NULL,
  direction TEXT NOT NULL CHECK (direction IN ('debit', 'credit')),
  amount BIGINT NOT NULL,
  currency TEXT NOT NULL,
  booking_date TEXT NOT NULL,
  value_date TEXT NOT NULL,
  end_to_end_id TEXT,
  counterparty TEXT,
  bank_code TEXT,
  state TEXT NOT NULL CHECK (state IN ('matched', 'break'))
)
--;
CREATE INDEX statement_lines_e2e ON statement_lines (end_to_end_id)
--;
CREATE TABLE reconciliation_matches (
  id TEXT PRIMARY KEY,
  file_id TEXT NOT NULL REFERENCES bank_files (id),
  shape TEXT NOT NULL CHECK (shape IN ('1:1', '1:N', 'N:1')),
  rule TEXT NOT NULL,
  confidence INTEGER NOT NULL,
  line_ids TEXT NOT NULL,
  instruction_ids TEXT NOT NULL,
  amount BIGINT NOT NULL,
  created_at BIGINT NOT NULL
)
--;
CREATE TABLE reconciliation_breaks (
  id TEXT PRIMARY KEY,
  file_id TEXT NOT NULL REFERENCES bank_files (id),
  partner_id TEXT NOT NULL,
  class TEXT NOT NULL,
  line_id TEXT,
  instruction_id TEXT,
  end_to_end_id TEXT,
  amount BIGINT NOT NULL,
  currency TEXT NOT NULL,
  severity TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('open', 'approved', 'resolved')),
  case_id TEXT,
  resolution TEXT,
  adjustment_seq BIGINT,
  balance_effect BIGINT NOT NULL,
  details TEXT NOT NULL,
  opened_at BIGINT NOT NULL,
  due_at BIGINT NOT NULL,
  resolved_at BIGINT
)
--;
CREATE INDEX reconciliation_breaks_open ON reconciliation_breaks (state, opened_at)
--;
CREATE TABLE settlement_reports (
  id TEXT PRIMARY KEY,
  merchant_id TEXT NOT NULL,
  instruction_id TEXT NOT NULL REFERENCES clearing_instructions (id),
  currency TEXT NOT NULL,
  gross BIGINT NOT NULL,
  fee BIGINT NOT NULL,
  net BIGINT NOT NULL,
  payments INTEGER NOT NULL,
  period_end BIGINT NOT NULL,
  created_at BIGINT NOT NULL
)
--;
CREATE INDEX settlement_reports_merchant ON settlement_reports (merchant_id, created_at)
`,
};
