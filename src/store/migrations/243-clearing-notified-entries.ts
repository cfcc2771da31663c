import type { Migration } from './index.ts';

// The camt.054 → camt.053 two step (docs/banks.md): an intraday booking our ledger did not already account
// for is posted through the partner's in-transit account when notified (in_transit ↔ suspense), and settled
// (settlement ↔ in_transit) by the end-of-day statement line that carries it — linked here, so the line is
// never posted twice; one no statement carried by its booking day becomes a break (not_stated).
export const clearingNotifiedEntries: Migration = {
  id: 243,
  name: 'clearing-notified-entries',
  sql: `
CREATE TABLE clearing_notified_entries (
  id TEXT PRIMARY KEY,
  partner_id TEXT NOT NULL REFERENCES clearing_partners (id),
  file_id TEXT NOT NULL REFERENCES bank_files (id),
  bank_ref TEXT,
  end_to_end_id TEXT,
  direction TEXT NOT NULL CHECK (direction IN ('debit', 'credit')),
  amount BIGINT NOT NULL CHECK (amount > 0),
  currency TEXT NOT NULL,
  booking_date TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('in_transit', 'stated', 'not_stated', 'withdrawn')),
  transit_seq BIGINT,
  settle_seq BIGINT,
  line_id TEXT,
  break_id TEXT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
)
--;
CREATE INDEX clearing_notified_open ON clearing_notified_entries (partner_id, state, direction, amount)
`,
};
