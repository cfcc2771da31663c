import type { Migration } from './index.ts';

// The change log that SQLite incremental and differential backups read (src/backup/change-tracking.ts):
// one row per changed row of a mutable table, written by triggers that a full backup installs on
// every table present at that moment (so tables added by later migrations are covered by the next
// full, which a schema change forces). Pruned below the position of the newest full. PostgreSQL
// keeps the table empty: pgBackRest backs it up from its WAL.
export const backupChangeLog: Migration = {
  id: 251,
  name: 'backup-change-log',
  sql: `
CREATE TABLE backup_changes (
  seq SERIAL_PK,
  table_name TEXT NOT NULL,
  row_id BIGINT NOT NULL
)
`,
};
