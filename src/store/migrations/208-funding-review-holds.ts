import type { Migration } from './index.ts';

// A risk `review` on a top-up or withdrawal holds it for an analyst (issue 12, docs/payments.md
// "Held for review"):
// - funding_payments.state gains `held_for_review` (SQLite: the table is rebuilt by the generic
//   procedure; PostgreSQL: the CHECK constraint is dropped and added again);
// - funding_review_holds: one row per held top-up or withdrawal — the risk decision, the withdrawal's
//   ledger hold once placed (a top-up holds nothing: nothing was sent to the card's bank), the deadline,
//   and the resolution decided (release / reject / fraud / expire) before anything moves.
const oldStates =
  "'created', 'risk_checked', 'challenged', 'authorised', 'processing', 'succeeded', 'failed', 'reversed'";
const newStates = `${oldStates}, 'held_for_review'`;

export const fundingReviewHolds: Migration = {
  id: 208,
  name: 'funding-review-holds',
  sqliteRebuilds: [
    {
      table: 'funding_payments',
      rewrite: (createSql) => createSql.replace(`CHECK (state IN (${oldStates}))`, `CHECK (state IN (${newStates}))`),
    },
  ],
  postgresSql: `
ALTER TABLE funding_payments DROP CONSTRAINT funding_payments_state_check
--;
ALTER TABLE funding_payments ADD CONSTRAINT funding_payments_state_check CHECK (state IN (${newStates}))`,
  sql: `
CREATE TABLE funding_review_holds (
  funding_id TEXT PRIMARY KEY REFERENCES funding_payments (id),
  decision_id TEXT NOT NULL,
  hold_seq BIGINT,
  state TEXT NOT NULL CHECK (state IN ('placing', 'held', 'resolving', 'released', 'rejected')),
  resolution TEXT CHECK (resolution IN ('release', 'reject', 'fraud', 'expire')),
  resolved_by TEXT,
  expires_at BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
)
--;
CREATE INDEX funding_review_holds_open ON funding_review_holds (state, expires_at)`,
};
