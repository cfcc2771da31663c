// Change tracking for SQLite incremental and differential backups. Append-only tables (the ones
// whose migration refuses UPDATE and DELETE: journal, audit log, transitions…) are read by rowid past
// the last backup's position; every other table carries triggers that log the rowid of each changed
// row into `backup_changes` (migration 251), so an incremental reads only the log rows since the last
// backup and the current content of those rows. A full backup (re)installs the triggers on every table
// present, and records the schema hash: an incremental after a schema change (a migration) is
// promoted to a full instead of writing an archive that would replay into the wrong shape.
import { createHash } from 'node:crypto';
import { deserialize, serialize } from 'node:v8';
import type Database from 'better-sqlite3';
import { BackupError } from './errors.ts';

type Db = Database.Database;
type Value = null | bigint | number | string | Buffer;

/** Where a backup stands in the change streams: what the next incremental starts after. */
export interface TrackingPositions {
  /** The highest `backup_changes.seq` covered. */
  readonly changeSeq: string;
  /** Per append-only table, the highest rowid covered. */
  readonly appendOnly: Readonly<Record<string, string>>;
  /** Hash over the whole schema (tables, indexes, triggers). */
  readonly schemaHash: string;
}

/** One record of an incremental archive: a table's columns, a row's content, a row gone, or the sequences. */
export type ChangeRecord =
  | readonly ['columns', string, readonly string[]]
  | readonly ['put', string, bigint, readonly Value[]]
  | readonly ['gone', string, bigint]
  | readonly ['sequence', readonly (readonly [string, bigint])[]];

export const changeLogTable = 'backup_changes';
const triggerPrefix = 'backup_track_';
const identifier = /^[a-z][a-z0-9_]{0,62}$/;

function checkedIdentifier(name: string): string {
  if (!identifier.test(name)) throw new Error(`table ${JSON.stringify(name)} cannot be change-tracked`);
  return name;
}

export function trackedTables(db: Db): { appendOnly: string[]; mutable: string[] } {
  const tables = db
    .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND substr(name, 1, 7) <> 'sqlite_' ORDER BY name")
    .pluck()
    .all() as string[];
  const appendOnly = new Set(
    db
      .prepare("SELECT tbl_name FROM sqlite_master WHERE type = 'trigger' AND name = tbl_name || '_no_update'")
      .pluck()
      .all() as string[],
  );
  const names = tables.filter((t) => t !== changeLogTable).map(checkedIdentifier);
  return { appendOnly: names.filter((t) => appendOnly.has(t)), mutable: names.filter((t) => !appendOnly.has(t)) };
}

function triggersFor(table: string): string[] {
  const log = (row: string) => `INSERT INTO ${changeLogTable} (table_name, row_id) VALUES ('${table}', ${row});`;
  const name = `${triggerPrefix}${table}`;
  return [
    `CREATE TRIGGER IF NOT EXISTS ${name}_i AFTER INSERT ON ${table} BEGIN ${log('NEW.rowid')} END`,
    `CREATE TRIGGER IF NOT EXISTS ${name}_u AFTER UPDATE ON ${table} BEGIN ${log('NEW.rowid')} END`,
    `CREATE TRIGGER IF NOT EXISTS ${name}_k AFTER UPDATE ON ${table} WHEN OLD.rowid IS NOT NEW.rowid ` +
      `BEGIN ${log('OLD.rowid')} END`,
    `CREATE TRIGGER IF NOT EXISTS ${name}_d AFTER DELETE ON ${table} BEGIN ${log('OLD.rowid')} END`,
  ];
}

/** Puts the logging triggers on every mutable table that lacks them (idempotent; one transaction). */
export function installChangeTracking(db: Db): void {
  const { mutable } = trackedTables(db);
  db.transaction(() => {
    for (const table of mutable) for (const sql of triggersFor(table)) db.exec(sql);
  })();
}

/** Removes the logging triggers (a restore replays without logging its own writes). */
export function dropChangeTracking(db: Db): void {
  const names = db
    .prepare("SELECT name FROM sqlite_master WHERE type = 'trigger' AND substr(name, 1, 13) = ?")
    .pluck()
    .all(triggerPrefix) as string[];
  for (const name of names) db.exec(`DROP TRIGGER ${checkedIdentifier(name)}`);
}

/** Deletes the log below `changeSeq` (the row at it stays, so the next seq never goes back). */
export function pruneChangeLog(db: Db, changeSeq: string): number {
  return db.prepare(`DELETE FROM ${changeLogTable} WHERE seq < ?`).run(BigInt(changeSeq)).changes;
}

export function schemaHash(db: Db): string {
  const rows = db
    .prepare("SELECT type, name, tbl_name, COALESCE(sql, '') FROM sqlite_master ORDER BY type, name")
    .raw()
    .all() as unknown[][];
  const hash = createHash('sha256');
  for (const row of rows) hash.update(`${row.map(String).join('\u0000')}\n`);
  return hash.digest('hex');
}

/** The positions of `db` now (call inside the read transaction that captures). */
export function currentPositions(db: Db): TrackingPositions {
  const { appendOnly } = trackedTables(db);
  const max = (sql: string) => BigInt((db.prepare(sql).pluck().get() as bigint | number | null) ?? 0).toString();
  return {
    changeSeq: max(`SELECT MAX(seq) FROM ${changeLogTable}`),
    appendOnly: Object.fromEntries(appendOnly.map((t) => [t, max(`SELECT MAX(rowid) FROM ${t}`)])),
    schemaHash: schemaHash(db),
  };
}

/** Why an incremental from `since` to `now` cannot be written (so a full is taken), or null. */
export function promotionReason(since: TrackingPositions | undefined, now: TrackingPositions): string | null {
  if (since === undefined) return 'the backup it would follow records no change positions (format 1)';
  if (since.schemaHash !== now.schemaHash) return 'the schema changed since the backup it would follow (a migration)';
  const behind =
    BigInt(now.changeSeq) < BigInt(since.changeSeq) ||
    Object.entries(since.appendOnly).some(([t, seq]) => BigInt(now.appendOnly[t] ?? '0') < BigInt(seq));
  return behind ? 'the database is behind the backup it would follow (restored or replaced)' : null;
}

function columnsOf(db: Db, table: string): string[] {
  return (db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[]).map((c) => c.name);
}

function selectList(columns: readonly string[]): string {
  return ['rowid', ...columns.map((c) => `"${c.replaceAll('"', '""')}"`)].join(', ');
}

/**
 * Emits every change between two positions: new rows of append-only tables, the current content
 * (or absence) of each row the change log names, and the AUTOINCREMENT sequences. Returns the rows.
 */
export function captureChanges(
  db: Db,
  since: TrackingPositions,
  upTo: TrackingPositions,
  emit: (record: ChangeRecord) => void,
): number {
  const { appendOnly, mutable } = trackedTables(db);
  let rows = 0;
  for (const table of appendOnly) {
    const columns = columnsOf(db, table);
    emit(['columns', table, columns]);
    const scan = db
      .prepare(`SELECT ${selectList(columns)} FROM ${table} WHERE rowid > ? AND rowid <= ? ORDER BY rowid`)
      .raw();
    for (const row of scan.iterate(BigInt(since.appendOnly[table] ?? '0'), BigInt(upTo.appendOnly[table] ?? '0'))) {
      const [rowid, ...values] = row as [bigint, ...Value[]];
      emit(['put', table, rowid, values]);
      rows += 1;
    }
  }
  const changed = db
    .prepare(
      `SELECT table_name, row_id FROM ${changeLogTable} WHERE seq > ? AND seq <= ?
       GROUP BY table_name, row_id ORDER BY table_name, row_id`,
    )
    .raw();
  const lookups = new Map<string, Database.Statement>();
  for (const mutableTable of mutable) {
    const columns = columnsOf(db, mutableTable);
    emit(['columns', mutableTable, columns]);
    lookups.set(mutableTable, db.prepare(`SELECT ${selectList(columns)} FROM ${mutableTable} WHERE rowid = ?`).raw());
  }
  for (const entry of changed.iterate(BigInt(since.changeSeq), BigInt(upTo.changeSeq))) {
    const [table, rowid] = entry as [string, bigint];
    const lookup = lookups.get(table);
    if (lookup === undefined) continue; // a table dropped since: the schema hash already forced a full
    const row = lookup.get(rowid) as [bigint, ...Value[]] | undefined;
    emit(row === undefined ? ['gone', table, rowid] : ['put', table, rowid, row.slice(1)]);
    rows += 1;
  }
  const hasSequence = db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'").get() !== undefined;
  if (hasSequence)
    emit(['sequence', db.prepare('SELECT name, seq FROM sqlite_sequence').raw().all() as [string, bigint][]]);
  return rows;
}

/** Applies records to a restored database (in the caller's transaction, foreign keys off); returns the rows. */
export function replayChanges(db: Db, records: Iterable<ChangeRecord>, archiveId: string): number {
  const puts = new Map<string, Database.Statement>();
  const deletes = new Map<string, Database.Statement>();
  let rows = 0;
  for (const record of records) {
    if (record[0] === 'columns') {
      const [, table, columns] = record;
      const known = new Set(columnsOf(db, checkedIdentifier(table)));
      if (columns.length !== known.size || columns.some((c) => !known.has(c)))
        throw new BackupError('backup_archive_corrupt', `${archiveId}: ${table} does not have the recorded columns`);
      const marks = ['?', ...columns.map(() => '?')].join(', ');
      puts.set(table, db.prepare(`INSERT OR REPLACE INTO ${table} (${selectList(columns)}) VALUES (${marks})`));
      deletes.set(table, db.prepare(`DELETE FROM ${table} WHERE rowid = ?`));
    } else if (record[0] === 'sequence') {
      db.exec('DELETE FROM sqlite_sequence');
      const insert = db.prepare('INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)');
      for (const [name, seq] of record[1]) insert.run(name, seq);
    } else {
      const statement = (record[0] === 'put' ? puts : deletes).get(record[1]);
      if (statement === undefined)
        throw new BackupError('backup_archive_corrupt', `${archiveId}: a row of ${record[1]} before its columns`);
      if (record[0] === 'put') statement.run(record[2], ...record[3]);
      else statement.run(record[2]);
      rows += 1;
    }
  }
  return rows;
}

/** A record as archive bytes: u32 length, then its V8 serialisation (bigint and Buffer survive it). */
export function encodeRecord(record: ChangeRecord): Buffer {
  const body = serialize(record);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(body.length);
  return Buffer.concat([length, body]);
}

/** The records of an archive's plaintext chunks; a record cut at the end is corruption. */
export function* decodeRecords(chunks: Iterable<Buffer>, archiveId: string): Generator<ChangeRecord> {
  let carry: Buffer = Buffer.alloc(0);
  for (const chunk of chunks) {
    let bytes: Buffer = carry.length === 0 ? chunk : Buffer.concat([carry, chunk]);
    while (bytes.length >= 4 && bytes.length >= 4 + bytes.readUInt32BE(0)) {
      const end = 4 + bytes.readUInt32BE(0);
      const record = deserialize(bytes.subarray(4, end)) as unknown;
      if (!Array.isArray(record) || typeof record[0] !== 'string')
        throw new BackupError('backup_archive_corrupt', `${archiveId}: a record of unknown shape`);
      yield record as unknown as ChangeRecord;
      bytes = bytes.subarray(end);
    }
    carry = bytes;
  }
  if (carry.length !== 0) throw new BackupError('backup_archive_corrupt', `${archiveId}: the last record is cut`);
}
