import type { Migration } from './index.ts';

// Payments (docs/payments.md): every payment with its state and the audited history of its
// transitions; the signed instruction kept verbatim (canonical JSON, signature, device and CA
// certificates) for non-repudiation; the nonce table whose unique key refuses a replayed instruction
// in the same transaction that records the payment; per-customer limit usage counters; merchants,
// their API keys (hashed; the request-signing key sealed), checkout orders, refunds and collect requests.
export const payments: Migration = {
  id: 7,
  name: 'payments',
  sql: `
CREATE TABLE merchants (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  business_registration TEXT NOT NULL,
  contact_email TEXT NOT NULL,
  settlement_account_sealed BYTES NOT NULL,
  settlement_account_bidx BYTES NOT NULL,
  fee_bps INTEGER NOT NULL CHECK (fee_bps >= 0 AND fee_bps <= 10000),
  status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
  created_at BIGINT NOT NULL
)
--;
CREATE TABLE merchant_api_keys (
  id TEXT PRIMARY KEY,
  merchant_id TEXT NOT NULL REFERENCES merchants (id),
  secret_hash BYTES NOT NULL,
  signing_key_sealed BYTES NOT NULL,
  status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'revoked')),
  created_at BIGINT NOT NULL,
  revoked_at BIGINT
)
--;
CREATE INDEX merchant_api_keys_merchant ON merchant_api_keys (merchant_id)
--;
CREATE TABLE merchant_request_nonces (
  key_id TEXT NOT NULL,
  signature TEXT NOT NULL,
  seen_at BIGINT NOT NULL,
  PRIMARY KEY (key_id, signature)
)
--;
CREATE TABLE payments (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('transfer', 'order_payment', 'collect_payment')),
  state TEXT NOT NULL CHECK (state IN ('created', 'risk_checked', 'challenged', 'authorised', 'processing', 'succeeded', 'failed', 'reversed')),
  payer_id TEXT NOT NULL,
  payee_id TEXT NOT NULL,
  merchant_id TEXT,
  order_id TEXT,
  amount BIGINT NOT NULL CHECK (amount > 0),
  currency TEXT NOT NULL CHECK (length(currency) = 3),
  fee BIGINT NOT NULL DEFAULT 0 CHECK (fee >= 0 AND fee <= amount),
  refunded_amount BIGINT NOT NULL DEFAULT 0 CHECK (refunded_amount >= 0 AND refunded_amount <= amount),
  idempotency_key TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  failure_code TEXT,
  risk_reasons TEXT NOT NULL DEFAULT '[]',
  limit_day BIGINT NOT NULL,
  limit_year BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  UNIQUE (payer_id, idempotency_key)
)
--;
CREATE INDEX payments_payer ON payments (payer_id, id)
--;
CREATE INDEX payments_payee ON payments (payee_id, id)
--;
CREATE INDEX payments_merchant ON payments (merchant_id, id)
--;
CREATE INDEX payments_state ON payments (state, updated_at)
--;
CREATE TABLE payment_transitions (
  seq SERIAL_PK,
  payment_id TEXT NOT NULL REFERENCES payments (id),
  from_state TEXT,
  to_state TEXT NOT NULL,
  event TEXT NOT NULL,
  actor_type TEXT NOT NULL,
  actor_id TEXT,
  detail TEXT,
  at BIGINT NOT NULL
)
--;
CREATE INDEX payment_transitions_payment ON payment_transitions (payment_id, seq)
--;
APPEND_ONLY(payment_transitions)
--;
CREATE TABLE payment_instructions (
  payment_id TEXT PRIMARY KEY REFERENCES payments (id),
  canonical_json TEXT NOT NULL,
  signature BYTES NOT NULL,
  profile TEXT NOT NULL CHECK (profile IN ('intl', 'gm')),
  device_id TEXT NOT NULL,
  device_certificate_pem TEXT NOT NULL,
  ca_certificate_pem TEXT NOT NULL,
  signed_at BIGINT NOT NULL,
  received_at BIGINT NOT NULL
)
--;
APPEND_ONLY(payment_instructions)
--;
CREATE TABLE instruction_nonces (
  device_id TEXT NOT NULL,
  nonce TEXT NOT NULL,
  payment_id TEXT NOT NULL,
  seen_at BIGINT NOT NULL,
  PRIMARY KEY (device_id, nonce)
)
--;
CREATE TABLE payment_limit_usage (
  customer_id TEXT NOT NULL,
  period TEXT NOT NULL,
  used BIGINT NOT NULL DEFAULT 0 CHECK (used >= 0),
  PRIMARY KEY (customer_id, period)
)
--;
CREATE TABLE checkout_orders (
  id TEXT PRIMARY KEY,
  merchant_id TEXT NOT NULL REFERENCES merchants (id),
  merchant_reference TEXT NOT NULL,
  amount BIGINT NOT NULL CHECK (amount > 0),
  currency TEXT NOT NULL,
  description TEXT NOT NULL,
  payment_code TEXT NOT NULL UNIQUE,
  state TEXT NOT NULL CHECK (state IN ('open', 'paying', 'paid', 'expired')),
  payment_id TEXT,
  expires_at BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  paid_at BIGINT,
  UNIQUE (merchant_id, merchant_reference)
)
--;
CREATE TABLE refunds (
  id TEXT PRIMARY KEY,
  payment_id TEXT NOT NULL REFERENCES payments (id),
  merchant_id TEXT NOT NULL,
  amount BIGINT NOT NULL CHECK (amount > 0),
  currency TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('awaiting_approval', 'processing', 'succeeded', 'failed', 'rejected')),
  reason TEXT NOT NULL,
  idempotency_key TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  failure_code TEXT,
  proposal_id TEXT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  UNIQUE (merchant_id, idempotency_key)
)
--;
CREATE INDEX refunds_payment ON refunds (payment_id)
--;
CREATE TABLE collect_requests (
  id TEXT PRIMARY KEY,
  requester_id TEXT NOT NULL,
  payer_id TEXT NOT NULL,
  amount BIGINT NOT NULL CHECK (amount > 0),
  currency TEXT NOT NULL,
  note TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending', 'paying', 'paid', 'declined', 'expired')),
  payment_id TEXT,
  expires_at BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  CHECK (requester_id <> payer_id)
)
--;
CREATE INDEX collect_requests_payer ON collect_requests (payer_id, state)
`,
};
