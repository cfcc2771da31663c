import type { Migration } from './index.ts';

// When a top-up's or withdrawal's request was stamped to go to the bank (docs/payments.md "Withdrawal
// outcome unknown"): its creation, or the release of a review or the passed step-up that gave it a fresh
// STAN and field 7. A withdrawal's "outcome unknown" age counts from here, not from its creation, so one
// released after a long review is not listed the moment it is sent. Rows stored before this: the last
// move into `processing` (the send that followed it), else the creation.
export const fundingSentAt: Migration = {
  id: 274,
  name: 'funding-sent-at',
  sql: `
ALTER TABLE funding_payments ADD COLUMN sent_at BIGINT NOT NULL DEFAULT 0
--;
UPDATE funding_payments SET sent_at = COALESCE(
  (SELECT MAX(t.at) FROM funding_transitions t WHERE t.funding_id = funding_payments.id AND t.to_state = 'processing'),
  created_at)
`,
};
