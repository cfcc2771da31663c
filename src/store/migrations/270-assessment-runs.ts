import type { Migration } from './index.ts';

// Self-assessment history (guideline §5.3): every `anfu assess` or operator-API run is kept whole, so
// each report row can show the previous result and the trend over runs.
export const assessmentRuns: Migration = {
  id: 270,
  name: 'assessment-runs',
  sql: `
CREATE TABLE assessment_runs (
  id TEXT PRIMARY KEY,
  at BIGINT NOT NULL,
  actor TEXT NOT NULL,
  summary TEXT NOT NULL,
  rows TEXT NOT NULL
)
--;
CREATE INDEX assessment_runs_at ON assessment_runs (at)
`,
};
