import type { Migration } from './index.ts';

// Netting in clearing runs (docs/banks.md): a batch records its gross debits (what leaves: withdrawals,
// merchant settlements), its gross credits (what the partner owes us: card top-up captures, returns) and
// the net position (net_debit = gross_debit − gross_credit, negative when we are owed); the net debit cap
// applies to the net. clearing_incoming holds the credits a run collects, each batched once.
export const clearingNetting: Migration = {
  id: 255,
  name: 'clearing-netting',
  sql: `
ALTER TABLE clearing_batches ADD COLUMN gross_debit BIGINT NOT NULL DEFAULT 0
--;
ALTER TABLE clearing_batches ADD COLUMN gross_credit BIGINT NOT NULL DEFAULT 0
--;
UPDATE clearing_batches SET gross_debit = total
--;
CREATE TABLE clearing_incoming (
  id TEXT PRIMARY KEY,
  partner_id TEXT NOT NULL REFERENCES clearing_partners (id),
  kind TEXT NOT NULL CHECK (kind IN ('card_capture', 'return')),
  reference TEXT NOT NULL,
  currency TEXT NOT NULL,
  amount BIGINT NOT NULL CHECK (amount > 0),
  state TEXT NOT NULL CHECK (state IN ('pending', 'batched')),
  batch_id TEXT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  UNIQUE (partner_id, kind, reference)
)
--;
CREATE INDEX clearing_incoming_due ON clearing_incoming (partner_id, state, created_at)
`,
};
