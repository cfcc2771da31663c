import type { Migration } from './index.ts';

// A risk `review` holds the money (issue 12, docs/payments.md "Held for review"):
// - payments.state gains `held_for_review` (SQLite: the table is rebuilt by the generic procedure;
//   PostgreSQL: the CHECK constraint is dropped and added again);
// - payment_review_holds: one row per held payment — the risk decision, the ledger hold once placed,
//   the deadline, and the resolution decided (release / reject / fraud / expire) before the money
//   moves, so a crash between the decision and the ledger is finished by the sweep, never decided twice.
const oldStates =
  "'created', 'risk_checked', 'challenged', 'authorised', 'processing', 'succeeded', 'failed', 'reversed'";
const newStates = `${oldStates}, 'held_for_review'`;

export const paymentsReviewHolds: Migration = {
  id: 211,
  name: 'payments-review-holds',
  sqliteRebuilds: [
    {
      table: 'payments',
      rewrite: (createSql) => createSql.replace(`CHECK (state IN (${oldStates}))`, `CHECK (state IN (${newStates}))`),
    },
  ],
  postgresSql: `
ALTER TABLE payments DROP CONSTRAINT payments_state_check
--;
ALTER TABLE payments ADD CONSTRAINT payments_state_check CHECK (state IN (${newStates}))`,
  sql: `
CREATE TABLE payment_review_holds (
  payment_id TEXT PRIMARY KEY REFERENCES payments (id),
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
CREATE INDEX payment_review_holds_open ON payment_review_holds (state, expires_at)`,
};
