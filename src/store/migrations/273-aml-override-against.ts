import type { Migration } from './index.ts';

// The computed level an operator's rating override was approved against (docs/aml.md "Customer risk
// rating"): an override that lowered the level ends only when a re-rating computes more than that, one that
// raised it is never lowered by a re-rating. Until now an override ended whenever the computed level
// changed, so every override stored is still on the facts it was approved against: its computed level.
export const amlOverrideAgainst: Migration = {
  id: 273,
  name: 'aml-override-against',
  sql: `
ALTER TABLE aml_customer_ratings ADD COLUMN override_against TEXT
  CHECK (override_against IN ('low', 'medium', 'high'))
--;
UPDATE aml_customer_ratings SET override_against = computed_level WHERE override_level IS NOT NULL
`,
};
