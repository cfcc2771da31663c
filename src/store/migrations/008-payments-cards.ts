import type { Migration } from './index.ts';

// Money in and out through cards (docs/payments.md): a customer's bound cards (the PAN lives in the
// token vault, only its token and masked form here; `verified_at` is set by the first approved
// authorisation, which proves the customer holds the card); top-ups and withdrawals with the same
// states as payments, their ISO 8583 exchange (STAN, field 7, field 12, authorisation code, RRN,
// response code) so a reversal or payout status can be asked again after a restart; their audited
// transitions and signed instructions, append-only.
export const paymentsCards: Migration = {
  id: 8,
  name: 'payments-cards',
  sql: `
CREATE TABLE payment_cards (
  id TEXT PRIMARY KEY,
  customer_id TEXT NOT NULL,
  card_token TEXT NOT NULL,
  masked_pan TEXT NOT NULL,
  bank TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'removed')),
  verified_at BIGINT,
  created_at BIGINT NOT NULL,
  UNIQUE (customer_id, card_token)
)
--;
CREATE TABLE funding_payments (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('top_up', 'withdrawal')),
  state TEXT NOT NULL CHECK (state IN ('created', 'risk_checked', 'challenged', 'authorised', 'processing', 'succeeded', 'failed', 'reversed')),
  customer_id TEXT NOT NULL,
  card_id TEXT NOT NULL REFERENCES payment_cards (id),
  amount BIGINT NOT NULL CHECK (amount > 0),
  currency TEXT NOT NULL CHECK (length(currency) = 3),
  idempotency_key TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  failure_code TEXT,
  response_code TEXT,
  bank TEXT NOT NULL,
  bank_stan TEXT NOT NULL,
  bank_transmitted TEXT,
  bank_local_time TEXT,
  authorisation_code TEXT,
  retrieval_reference TEXT,
  reversal_owed SMALLINT NOT NULL DEFAULT 0 CHECK (reversal_owed IN (0, 1)),
  hold_seq BIGINT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  UNIQUE (customer_id, idempotency_key)
)
--;
CREATE INDEX funding_payments_customer ON funding_payments (customer_id, id)
--;
CREATE INDEX funding_payments_state ON funding_payments (state, updated_at)
--;
CREATE TABLE funding_transitions (
  seq SERIAL_PK,
  funding_id TEXT NOT NULL REFERENCES funding_payments (id),
  from_state TEXT,
  to_state TEXT NOT NULL,
  event TEXT NOT NULL,
  actor_type TEXT NOT NULL,
  actor_id TEXT,
  detail TEXT,
  at BIGINT NOT NULL
)
--;
CREATE INDEX funding_transitions_funding ON funding_transitions (funding_id, seq)
--;
APPEND_ONLY(funding_transitions)
--;
CREATE TABLE funding_instructions (
  funding_id TEXT PRIMARY KEY REFERENCES funding_payments (id),
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
APPEND_ONLY(funding_instructions)
`,
};
