import type { Migration } from './index.ts';

// Risk scoring asks, for every payment, "has this payer paid this payee before?" and "how many
// payments did this payer make in the velocity window?". Without these indexes SQLite answered the
// first by scanning every succeeded payment (it picked payments_state) — O(all payments) per request,
// 0.1 ms after a few thousand payments and growing — and the second by reading each of the payer's rows.
export const paymentsRiskIndexes: Migration = {
  id: 11,
  name: 'payments-risk-indexes',
  sql: `
CREATE INDEX payments_payer_payee ON payments (payer_id, payee_id, state)
--;
CREATE INDEX payments_payer_created ON payments (payer_id, created_at)
`,
};
