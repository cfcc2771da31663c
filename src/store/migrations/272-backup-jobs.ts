import type { Migration } from './index.ts';

// Backup jobs run by the server's schedule (or started through the operator API): one row per run
// with its progress, so `GET /v1/backups` and the terminal show long jobs while they run, and the
// outcome after.
export const backupJobs: Migration = {
  id: 272,
  name: 'backup-jobs',
  sql: `
CREATE TABLE backup_jobs (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('full', 'incremental', 'differential', 'test')),
  state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'succeeded', 'failed')),
  node TEXT,
  step TEXT,
  done BIGINT NOT NULL DEFAULT 0,
  total BIGINT NOT NULL DEFAULT 0,
  backup_id TEXT,
  detail TEXT,
  requested_by TEXT NOT NULL,
  queued_at BIGINT NOT NULL,
  started_at BIGINT,
  heartbeat_at BIGINT,
  finished_at BIGINT
)
--;
CREATE INDEX backup_jobs_state ON backup_jobs (state, queued_at)
--;
CREATE INDEX backup_jobs_kind ON backup_jobs (kind, queued_at)
`,
};
