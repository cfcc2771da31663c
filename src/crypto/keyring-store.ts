// The keyring's SQL: data-key versions (wrapped), key events, and the registry of protected columns.
import { toBigInt, type Queryable, type Row, type Tx } from '../store/index.ts';

export type KeyKind = 'seal' | 'mac' | 'sign';
export type KeyState = 'active' | 'decrypt_only' | 'retired';

export interface KeyVersionRow {
  readonly purpose: string;
  readonly version: number;
  readonly kind: KeyKind;
  readonly algorithm: string;
  readonly state: KeyState;
  readonly kekId: string;
  /** The data key sealed by the KEK; absent once retired (the key is destroyed). */
  readonly wrappedKey: Buffer | undefined;
  /** Signing purposes keep the public key after retirement, so old signatures still verify. */
  readonly publicKey: string | undefined;
  readonly createdAt: number;
  readonly supersededAt: number | undefined;
  readonly retiredAt: number | undefined;
}

export interface KeyEvent {
  readonly operation: 'created' | 'rotated' | 'rewrapped' | 'retired';
  readonly purpose: string;
  readonly version: number | undefined;
  readonly actor: string;
  readonly at: number;
  /** Counts and reasons only; never key material or data. */
  readonly detail: string | undefined;
}

/** Called in the same transaction as the key_events row, so the audit log can record it atomically. */
export type KeyEventSink = (tx: Tx, event: KeyEvent) => Promise<void>;

export interface KeyUsage {
  readonly table: string;
  readonly column: string;
  readonly idColumn: string;
  readonly purpose: string;
  readonly kind: 'sealed' | 'blind-index';
  /** Blind index: the sealed column holding the value it is computed from, and how that is normalised. */
  readonly sourceColumn?: string | undefined;
  readonly normaliser?: string | undefined;
}

const versionColumns =
  'purpose, version, kind, algorithm, state, kek_id, wrapped_key, public_key, created_at, superseded_at, retired_at';

const optionalNumber = (value: unknown): number | undefined =>
  value === null || value === undefined ? undefined : Number(toBigInt(value));

function versionOf(row: Row): KeyVersionRow {
  return {
    purpose: String(row.purpose),
    version: Number(toBigInt(row.version)),
    kind: String(row.kind) as KeyKind,
    algorithm: String(row.algorithm),
    state: String(row.state) as KeyState,
    kekId: String(row.kek_id),
    wrappedKey:
      row.wrapped_key === null || row.wrapped_key === undefined
        ? undefined
        : Buffer.from(row.wrapped_key as Uint8Array),
    publicKey: row.public_key === null || row.public_key === undefined ? undefined : String(row.public_key),
    createdAt: Number(toBigInt(row.created_at)),
    supersededAt: optionalNumber(row.superseded_at),
    retiredAt: optionalNumber(row.retired_at),
  };
}

export async function selectKeyVersion(
  q: Queryable,
  purpose: string,
  version: number,
): Promise<KeyVersionRow | undefined> {
  const row = await q.get(`SELECT ${versionColumns} FROM key_versions WHERE purpose = ? AND version = ?`, [
    purpose,
    version,
  ]);
  return row === undefined ? undefined : versionOf(row);
}

export async function selectActiveKeyVersion(q: Queryable, purpose: string): Promise<KeyVersionRow | undefined> {
  const row = await q.get(`SELECT ${versionColumns} FROM key_versions WHERE purpose = ? AND state = 'active'`, [
    purpose,
  ]);
  return row === undefined ? undefined : versionOf(row);
}

export async function selectKeyVersions(q: Queryable, purpose?: string): Promise<KeyVersionRow[]> {
  const rows =
    purpose === undefined
      ? await q.all(`SELECT ${versionColumns} FROM key_versions ORDER BY purpose, version`)
      : await q.all(`SELECT ${versionColumns} FROM key_versions WHERE purpose = ? ORDER BY version`, [purpose]);
  return rows.map(versionOf);
}

export async function selectMaxKeyVersion(q: Queryable, purpose: string): Promise<number> {
  const row = await q.get<{ v: unknown }>('SELECT MAX(version) AS v FROM key_versions WHERE purpose = ?', [purpose]);
  return optionalNumber(row?.v) ?? 0;
}

/** Inserts a new active version; 0 if another process created that version (or an active one) first. */
export async function insertKeyVersion(
  tx: Tx,
  row: Omit<KeyVersionRow, 'state' | 'supersededAt' | 'retiredAt'>,
): Promise<number> {
  return tx.run(
    `INSERT INTO key_versions (purpose, version, kind, algorithm, state, kek_id, wrapped_key, public_key, created_at) VALUES (?, ?, ?, ?, 'active', ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
    [
      row.purpose,
      row.version,
      row.kind,
      row.algorithm,
      row.kekId,
      row.wrappedKey ?? null,
      row.publicKey ?? null,
      row.createdAt,
    ],
  );
}

export async function supersedeActiveKeyVersion(tx: Tx, purpose: string, at: number): Promise<number> {
  return tx.run(
    `UPDATE key_versions SET state = 'decrypt_only', superseded_at = ? WHERE purpose = ? AND state = 'active'`,
    [at, purpose],
  );
}

/** Destroys the wrapped key of a superseded version; the public key of a signing key stays. */
export async function retireKeyVersion(tx: Tx, purpose: string, version: number, at: number): Promise<number> {
  return tx.run(
    `UPDATE key_versions SET state = 'retired', wrapped_key = NULL, retired_at = ? WHERE purpose = ? AND version = ? AND state = 'decrypt_only'`,
    [at, purpose, version],
  );
}

/** Replaces a data key's wrapping (KEK rotation); 0 when another process re-wrapped it first. */
export async function rewrapKeyVersion(
  tx: Tx,
  row: { purpose: string; version: number; fromKekId: string; toKekId: string; wrappedKey: Buffer },
): Promise<number> {
  return tx.run(
    `UPDATE key_versions SET wrapped_key = ?, kek_id = ? WHERE purpose = ? AND version = ? AND kek_id = ? AND state <> 'retired'`,
    [row.wrappedKey, row.toKekId, row.purpose, row.version, row.fromKekId],
  );
}

/** KEK fingerprints that wrap a live data key; more than the configured one means a wrong KEK. */
export async function selectLiveKekIds(q: Queryable): Promise<string[]> {
  const rows = await q.all<{ kek_id: string }>(`SELECT DISTINCT kek_id FROM key_versions WHERE state <> 'retired'`);
  return rows.map((r) => String(r.kek_id));
}

export async function insertKeyEvent(tx: Tx, event: KeyEvent): Promise<void> {
  await tx.run('INSERT INTO key_events (at, operation, purpose, version, actor, detail) VALUES (?, ?, ?, ?, ?, ?)', [
    event.at,
    event.operation,
    event.purpose,
    event.version ?? null,
    event.actor,
    event.detail ?? null,
  ]);
}

export async function selectKeyEvents(q: Queryable, limit: number): Promise<KeyEvent[]> {
  const rows = await q.all(
    'SELECT at, operation, purpose, version, actor, detail FROM key_events ORDER BY seq DESC LIMIT ?',
    [limit],
  );
  return rows.map((row) => ({
    operation: String(row.operation) as KeyEvent['operation'],
    purpose: String(row.purpose),
    version: optionalNumber(row.version),
    actor: String(row.actor),
    at: Number(toBigInt(row.at)),
    detail: row.detail === null || row.detail === undefined ? undefined : String(row.detail),
  }));
}

export async function upsertKeyUsage(q: Queryable, usage: KeyUsage): Promise<void> {
  await q.run(
    `INSERT INTO key_usages (table_name, column_name, id_column, purpose, kind, source_column, normaliser) VALUES (?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (table_name, column_name) DO UPDATE SET id_column = excluded.id_column, purpose = excluded.purpose, kind = excluded.kind,
       source_column = excluded.source_column, normaliser = excluded.normaliser`,
    [
      usage.table,
      usage.column,
      usage.idColumn,
      usage.purpose,
      usage.kind,
      usage.sourceColumn ?? null,
      usage.normaliser ?? null,
    ],
  );
}

export async function selectKeyUsages(q: Queryable, purpose?: string): Promise<KeyUsage[]> {
  const sql = 'SELECT table_name, column_name, id_column, purpose, kind, source_column, normaliser FROM key_usages';
  const rows =
    purpose === undefined
      ? await q.all(`${sql} ORDER BY table_name, column_name`)
      : await q.all(`${sql} WHERE purpose = ? ORDER BY table_name, column_name`, [purpose]);
  return rows.map((row) => ({
    table: String(row.table_name),
    column: String(row.column_name),
    idColumn: String(row.id_column),
    purpose: String(row.purpose),
    kind: String(row.kind) as KeyUsage['kind'],
    sourceColumn: row.source_column === null ? undefined : String(row.source_column),
    normaliser: row.normaliser === null ? undefined : String(row.normaliser),
  }));
}
