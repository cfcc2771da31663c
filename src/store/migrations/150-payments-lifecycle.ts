import type { Migration } from './index.ts';

// Every payment reservation ends (issue 10, docs/payments.md):
// - refunds: `refund_reserved` is what refunds awaiting approval, processing or done hold against the
//   payment (the guard against refunding more than was paid); `refunded_amount` becomes what executed
//   refunds moved, and nothing else. Rows written before this migration reserved in refunded_amount.
// - withdrawals: status queries back off (`status_attempts`, `next_status_at`); a payout whose bank
//   outcome stays unknown past a configured age is listed for operations (`outcome_unknown_at`).
// - card STANs come from the database, unique per UTC day across processes and restarts.
// - every background sweep holds a lease row while it runs, so two processes never overlap.
export const paymentsLifecycle: Migration = {
  id: 150,
  name: 'payments-lifecycle',
  sql: `
ALTER TABLE payments ADD COLUMN refund_reserved BIGINT NOT NULL DEFAULT 0
--;
UPDATE payments SET refund_reserved = refunded_amount
--;
UPDATE payments SET refunded_amount = COALESCE((SELECT SUM(r.amount) FROM refunds r WHERE r.payment_id = payments.id AND r.state = 'succeeded'), 0)
--;
CREATE INDEX refunds_state ON refunds (state, updated_at)
--;
CREATE INDEX checkout_orders_open ON checkout_orders (state, expires_at)
--;
CREATE INDEX collect_requests_pending ON collect_requests (state, expires_at)
--;
ALTER TABLE funding_payments ADD COLUMN status_attempts INTEGER NOT NULL DEFAULT 0
--;
ALTER TABLE funding_payments ADD COLUMN next_status_at BIGINT
--;
ALTER TABLE funding_payments ADD COLUMN outcome_unknown_at BIGINT
--;
CREATE TABLE card_stans (
  day TEXT PRIMARY KEY,
  last_stan INTEGER NOT NULL CHECK (last_stan >= 1 AND last_stan <= 999999)
)
--;
CREATE TABLE sweep_leases (
  name TEXT PRIMARY KEY,
  holder TEXT NOT NULL,
  expires_at BIGINT NOT NULL
)
`,
};
