// SQLite cannot ALTER a CHECK constraint (or drop one, or change a column's type): the table must be
// rebuilt. This is the procedure of sqlite.org/lang_altertable.html ("Making other kinds of table
// schema changes"), written once for every migration that needs it: foreign keys OFF outside the
// transaction; inside it, a new table from the rewritten CREATE statement, the common columns copied,
// the old table dropped, the new one renamed, its indexes and triggers recreated, and
// `PRAGMA foreign_key_check` run before the commit (a violation rolls the whole migration back).
import type { Tx } from './port.ts';

export interface TableRebuild {
  readonly table: string;
  /** The table's CREATE statement as SQLite stores it now → the CREATE statement it should have. */
  readonly rewrite: (createSql: string) => string;
}

const namePattern = /^[a-z_][a-z0-9_]*$/;
const createPattern = /^(\s*CREATE\s+TABLE\s+)("?)([A-Za-z_][A-Za-z0-9_]*)\2/i;

async function columnsOf(tx: Tx, table: string): Promise<string[]> {
  const rows = await tx.all<{ name: string }>(`PRAGMA table_info(${table})`);
  return rows.map((r) => r.name);
}

/** Rebuilds one table inside the caller's transaction (foreign keys must already be OFF). */
export async function rebuildSqliteTable(tx: Tx, rebuild: TableRebuild): Promise<void> {
  const { table } = rebuild;
  if (!namePattern.test(table)) throw new Error(`store invariant: '${table}' is not a plain table name`);
  const current = await tx.get<{ sql: string }>(
    "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?",
    [table],
  );
  if (current === undefined) throw new Error(`store invariant: no table '${table}' to rebuild`);
  const rewritten = rebuild.rewrite(current.sql);
  if (rewritten === current.sql) throw new Error(`store invariant: the rebuild of '${table}' changes nothing`);
  const match = createPattern.exec(rewritten);
  if (match === null || match[3] !== table) {
    throw new Error(`store invariant: the rebuild of '${table}' must create '${table}'`);
  }
  const scratch = `${table}__rebuild`;
  // Indexes and triggers go with the dropped table; auto-indexes (sql NULL) come back with the new one.
  const dependents = await tx.all<{ sql: string }>(
    `SELECT sql FROM sqlite_master WHERE tbl_name = ? AND type IN ('index', 'trigger') AND sql IS NOT NULL
     ORDER BY type, name`,
    [table],
  );
  const before = await columnsOf(tx, table);
  await tx.run(rewritten.replace(createPattern, `$1${scratch}`));
  const after = new Set(await columnsOf(tx, scratch));
  const common = before.filter((c) => after.has(c)).join(', ');
  await tx.run(`INSERT INTO ${scratch} (${common}) SELECT ${common} FROM ${table}`);
  await tx.run(`DROP TABLE ${table}`);
  // Legacy renaming: other schema objects are not re-parsed against a table that is briefly missing.
  await tx.run('PRAGMA legacy_alter_table = ON');
  await tx.run(`ALTER TABLE ${scratch} RENAME TO ${table}`);
  await tx.run('PRAGMA legacy_alter_table = OFF');
  for (const { sql } of dependents) await tx.run(sql);
  const violations = await tx.all('PRAGMA foreign_key_check');
  if (violations.length > 0) {
    throw new Error(`store invariant: rebuilding '${table}' breaks ${violations.length} foreign key(s)`);
  }
}
