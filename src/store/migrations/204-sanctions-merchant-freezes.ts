import type { Migration } from './index.ts';

// A sanctions hit on an existing merchant (re-screening, or the payee screening at payment) freezes
// the merchant until the `sanctions_hit` case is decided (docs/sanctions.md "Merchants"): no order is
// opened or paid to it, no refund or settlement payout leaves its account. One row per case, as for
// customers in sanctions_freezes (migration 247); an approved false positive lifts it.
export const sanctionsMerchantFreezes: Migration = {
  id: 204,
  name: 'sanctions-merchant-freezes',
  sql: `
CREATE TABLE sanctions_merchant_freezes (
  id TEXT PRIMARY KEY,
  case_id TEXT NOT NULL UNIQUE REFERENCES cases (id),
  merchant_id TEXT NOT NULL,
  active INTEGER NOT NULL CHECK (active IN (0, 1)),
  created_at BIGINT NOT NULL,
  lifted_at BIGINT,
  lifted_by TEXT
)
--;
CREATE INDEX sanctions_merchant_freezes_merchant ON sanctions_merchant_freezes (merchant_id, active)
`,
};
