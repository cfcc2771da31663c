import type { Migration } from './index.ts';

// A sanctions hit decided a false positive (under four eyes) clears that list entry for that name and
// birth date: screening the same party again records a near hit instead of refusing. The name is kept
// only as a SHA-256 of its normalised form and the birth date.
export const sanctionsClearances: Migration = {
  id: 232,
  name: 'sanctions-clearances',
  sql: `
CREATE TABLE sanctions_clearances (
  entry_id TEXT NOT NULL,
  name_key TEXT NOT NULL,
  case_id TEXT NOT NULL,
  cleared_by TEXT NOT NULL,
  cleared_at BIGINT NOT NULL,
  PRIMARY KEY (entry_id, name_key)
)
`,
};
