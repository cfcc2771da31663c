import type { Migration } from './index.ts';

// The double-entry core. Balances are materialised on the account row (TigerBeetle's four
// counters); the journal is append-only (triggers refuse UPDATE and DELETE); the CHECK on the
// account row makes an overdraft impossible even if application code were wrong.
export const ledger: Migration = {
  id: 1,
  name: 'ledger',
  sql: `
CREATE TABLE ledger_accounts (
  id TEXT PRIMARY KEY,
  code TEXT UNIQUE,
  kind TEXT NOT NULL CHECK (kind IN ('customer_wallet', 'merchant', 'platform_revenue', 'fees', 'bank_settlement', 'suspense')),
  currency TEXT NOT NULL CHECK (length(currency) = 3),
  name TEXT NOT NULL,
  owner_id TEXT,
  allow_negative SMALLINT NOT NULL DEFAULT 0 CHECK (allow_negative IN (0, 1)),
  status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
  debits_posted BIGINT NOT NULL DEFAULT 0 CHECK (debits_posted >= 0),
  credits_posted BIGINT NOT NULL DEFAULT 0 CHECK (credits_posted >= 0),
  debits_pending BIGINT NOT NULL DEFAULT 0 CHECK (debits_pending >= 0),
  credits_pending BIGINT NOT NULL DEFAULT 0 CHECK (credits_pending >= 0),
  created_at BIGINT NOT NULL,
  CHECK (allow_negative = 1 OR credits_posted - debits_posted - debits_pending >= 0)
)
--;
CREATE INDEX ledger_accounts_owner ON ledger_accounts (owner_id)
--;
CREATE TABLE ledger_transfers (
  seq SERIAL_PK,
  idempotency_key TEXT NOT NULL UNIQUE,
  request_hash TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('single', 'hold', 'post', 'void', 'expire')),
  debit_account_id TEXT NOT NULL REFERENCES ledger_accounts (id),
  credit_account_id TEXT NOT NULL REFERENCES ledger_accounts (id),
  amount BIGINT NOT NULL CHECK (amount > 0),
  currency TEXT NOT NULL,
  hold_seq BIGINT REFERENCES ledger_transfers (seq),
  reference TEXT,
  created_at BIGINT NOT NULL,
  CHECK (debit_account_id <> credit_account_id),
  CHECK ((kind IN ('single', 'hold')) = (hold_seq IS NULL))
)
--;
CREATE INDEX ledger_transfers_debit ON ledger_transfers (debit_account_id, seq)
--;
CREATE INDEX ledger_transfers_credit ON ledger_transfers (credit_account_id, seq)
--;
CREATE TABLE ledger_holds (
  seq BIGINT PRIMARY KEY REFERENCES ledger_transfers (seq),
  debit_account_id TEXT NOT NULL,
  credit_account_id TEXT NOT NULL,
  amount BIGINT NOT NULL CHECK (amount > 0),
  currency TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending', 'posted', 'voided', 'expired')),
  expires_at BIGINT,
  resolved_seq BIGINT REFERENCES ledger_transfers (seq)
)
--;
CREATE INDEX ledger_holds_expiry ON ledger_holds (state, expires_at)
--;
APPEND_ONLY(ledger_transfers)
--;
CREATE TABLE api_tokens (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  token_hash TEXT NOT NULL UNIQUE,
  role TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  revoked_at BIGINT
)
`,
};
