import type { Migration } from './index.ts';

// Customer service (src/support, docs/customer-service.md), worked in cases (200):
// - support_tickets: what a complaint, claim or dispute case is about from the customer's side
//   (category, linked payments, satisfaction); one row per case.
// - support_messages: the conversation both ways; text bounded and sanitised before it is stored.
// - support_attachments: files checked by content, stored sealed with the keyring ('pii').
// - support_claims: one unauthorised-payment claim per payment (UNIQUE), with the authentication
//   evidence and whether full compensation was proposed automatically.
// - support_disputes: one merchant dispute per payment (UNIQUE): status, the merchant's deadline and
//   evidence.
// - support_freezes: what a claim froze (outgoing payments, a device), read by payments' identity port.
// - support_merchant_debts: what a merchant owes after a refund its balance could not cover, recovered
//   from later balance by the recovery sweep.
// - support_payouts: money a decision pays (compensation, dispute refund): planned first (how much from
//   the merchant), so a retried execution repeats the same transfers; `paid` once they applied.
export const support: Migration = {
  id: 201,
  name: 'support',
  sql: `
CREATE TABLE support_tickets (
  case_id TEXT PRIMARY KEY REFERENCES cases (id),
  customer_id TEXT NOT NULL,
  category TEXT NOT NULL
    CHECK (category IN ('payment_problem', 'unauthorised_payment', 'account', 'merchant', 'fees', 'other')),
  payment_ids TEXT NOT NULL,
  satisfaction INTEGER CHECK (satisfaction BETWEEN 1 AND 5),
  created_at BIGINT NOT NULL
)
--;
CREATE INDEX support_tickets_customer ON support_tickets (customer_id, case_id)
--;
CREATE TABLE support_messages (
  seq SERIAL_PK,
  id TEXT NOT NULL UNIQUE,
  case_id TEXT NOT NULL REFERENCES cases (id),
  author_type TEXT NOT NULL CHECK (author_type IN ('customer', 'operator', 'merchant', 'system')),
  author_id TEXT NOT NULL,
  body TEXT NOT NULL,
  at BIGINT NOT NULL
)
--;
CREATE INDEX support_messages_case ON support_messages (case_id, seq)
--;
CREATE TABLE support_attachments (
  id TEXT PRIMARY KEY,
  case_id TEXT NOT NULL REFERENCES cases (id),
  author_type TEXT NOT NULL,
  author_id TEXT NOT NULL,
  media_type TEXT NOT NULL,
  size_bytes INTEGER NOT NULL,
  sha256 TEXT NOT NULL,
  sealed BYTES NOT NULL,
  at BIGINT NOT NULL
)
--;
CREATE INDEX support_attachments_case ON support_attachments (case_id, id)
--;
CREATE TABLE support_claims (
  case_id TEXT PRIMARY KEY REFERENCES cases (id),
  payment_id TEXT NOT NULL UNIQUE,
  customer_id TEXT NOT NULL,
  factors TEXT NOT NULL,
  auto_compensation INTEGER NOT NULL,
  created_at BIGINT NOT NULL
)
--;
CREATE TABLE support_disputes (
  case_id TEXT PRIMARY KEY REFERENCES cases (id),
  payment_id TEXT NOT NULL UNIQUE,
  customer_id TEXT NOT NULL,
  merchant_id TEXT NOT NULL,
  reason TEXT NOT NULL CHECK (reason IN ('not_received', 'not_as_described', 'duplicate', 'amount')),
  status TEXT NOT NULL CHECK (status IN ('needs_response', 'under_review', 'won', 'lost')),
  respond_by BIGINT NOT NULL,
  merchant_text TEXT,
  responded_at BIGINT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
)
--;
CREATE INDEX support_disputes_merchant ON support_disputes (merchant_id, case_id)
--;
CREATE TABLE support_freezes (
  id TEXT PRIMARY KEY,
  case_id TEXT NOT NULL REFERENCES cases (id),
  customer_id TEXT NOT NULL,
  device_id TEXT,
  active INTEGER NOT NULL,
  created_at BIGINT NOT NULL,
  lifted_at BIGINT
)
--;
CREATE INDEX support_freezes_customer ON support_freezes (customer_id, active)
--;
CREATE INDEX support_freezes_device ON support_freezes (device_id, active)
--;
CREATE TABLE support_merchant_debts (
  id TEXT PRIMARY KEY,
  case_id TEXT NOT NULL REFERENCES cases (id),
  merchant_id TEXT NOT NULL,
  currency TEXT NOT NULL,
  owed BIGINT NOT NULL CHECK (owed >= 0),
  recovered BIGINT NOT NULL CHECK (recovered >= 0 AND recovered <= owed),
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
)
--;
CREATE INDEX support_merchant_debts_open ON support_merchant_debts (merchant_id, currency)
--;
CREATE TABLE support_payouts (
  id TEXT PRIMARY KEY,
  case_id TEXT NOT NULL REFERENCES cases (id),
  kind TEXT NOT NULL CHECK (kind IN ('compensation', 'dispute_refund')),
  amount BIGINT NOT NULL,
  currency TEXT NOT NULL,
  transfer_key TEXT NOT NULL UNIQUE,
  from_merchant BIGINT NOT NULL DEFAULT 0,
  paid INTEGER NOT NULL DEFAULT 0,
  at BIGINT NOT NULL
)
`,
};
