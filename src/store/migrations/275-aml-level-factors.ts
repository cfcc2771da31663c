import type { Migration } from './index.ts';

// The AML monitors' level factors changed at run time (docs/aml.md "Suspicious-pattern monitors"): each
// approved `aml.monitor_level_factors` proposal is a new version, kept for ever; the highest version is in
// force in every process at its next monitor run, and with none stored ANFU_AML_MONITOR_LEVEL_FACTORS is.
export const amlLevelFactors: Migration = {
  id: 275,
  name: 'aml-level-factors',
  sql: `
CREATE TABLE aml_monitor_level_factors (
  version INTEGER PRIMARY KEY CHECK (version >= 1),
  factors TEXT NOT NULL,
  proposal_id TEXT NOT NULL,
  proposed_by TEXT NOT NULL,
  approved_by TEXT NOT NULL,
  approved_at BIGINT NOT NULL
)
--;
APPEND_ONLY(aml_monitor_level_factors)
`,
};
