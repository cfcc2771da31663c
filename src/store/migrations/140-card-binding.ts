import type { Migration } from './index.ts';

// Card binding verified by the issuer (docs/banks.md "Account verification"): each attempt to bind a
// card is a row (bounded per customer per day, whatever its outcome), waiting for the issuer's
// one-time code until `expires_at`. A card is verified only by that exchange: the cards verified
// before by an approved top-up (which proves nothing about who holds the card) are verified no
// more and must be bound again. One verified card belongs to one customer (unique vault token,
// which the vault keys by a keyed hash of the PAN). Top-ups and withdrawals remember whether they
// reserved limit usage, so a failure gives back exactly what was reserved.
export const cardBinding: Migration = {
  id: 140,
  name: 'card-binding',
  sql: `
CREATE TABLE card_bindings (
  id TEXT PRIMARY KEY,
  customer_id TEXT NOT NULL,
  card_token TEXT,
  masked_pan TEXT,
  bank TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('code_sent', 'verified', 'refused')),
  failure_code TEXT,
  retrieval_reference TEXT,
  otp_attempts INTEGER NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
)
--;
CREATE INDEX card_bindings_customer ON card_bindings (customer_id, created_at)
--;
UPDATE payment_cards SET verified_at = NULL
--;
CREATE UNIQUE INDEX payment_cards_one_holder ON payment_cards (card_token) WHERE status = 'active' AND verified_at IS NOT NULL
--;
ALTER TABLE funding_payments ADD COLUMN usage_reserved SMALLINT NOT NULL DEFAULT 0 CHECK (usage_reserved IN (0, 1))
`,
};
