import type { Migration } from './index.ts';

// The customer money-laundering risk rating (客户洗钱风险等级, docs/aml.md "Customer risk rating"): one row
// per customer with the level in force, the computed level, its score and factors (JSON), and an operator's
// override when a maker–checker proposal set one; every change of level or score is kept in the history.
// `id_region` is taken from the ID number at registration (the number itself stays sealed in identity).
export const amlCustomerRatings: Migration = {
  id: 212,
  name: 'aml-customer-ratings',
  sql: `
CREATE TABLE aml_customer_ratings (
  customer_id TEXT PRIMARY KEY,
  level TEXT NOT NULL CHECK (level IN ('low', 'medium', 'high')),
  computed_level TEXT NOT NULL CHECK (computed_level IN ('low', 'medium', 'high')),
  score INTEGER NOT NULL CHECK (score >= 0),
  factors TEXT NOT NULL,
  id_region TEXT NOT NULL CHECK (id_region IN ('mainland', 'hk_mo_tw', 'foreign', 'unknown')),
  cause TEXT NOT NULL,
  override_level TEXT CHECK (override_level IN ('low', 'medium', 'high')),
  override_proposal TEXT,
  override_reason TEXT,
  rated_at BIGINT NOT NULL
)
--;
CREATE INDEX aml_customer_ratings_rated ON aml_customer_ratings (rated_at)
--;
CREATE TABLE aml_customer_rating_history (
  id TEXT PRIMARY KEY,
  customer_id TEXT NOT NULL,
  level TEXT NOT NULL,
  computed_level TEXT NOT NULL,
  score INTEGER NOT NULL,
  factors TEXT NOT NULL,
  cause TEXT NOT NULL,
  rated_at BIGINT NOT NULL
)
--;
CREATE INDEX aml_customer_rating_history_customer ON aml_customer_rating_history (customer_id, rated_at)
--;
APPEND_ONLY(aml_customer_rating_history)
`,
};
