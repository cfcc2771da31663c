// The SQL of sanctions screening: list versions (entries stored compressed) and recorded hits.
import { gunzipSync, gzipSync } from 'node:zlib';
import type { Queryable } from '../store/index.ts';
import type { ListEntry, ListSource } from './list-entry.ts';

export interface ListVersion {
  readonly id: string;
  readonly source: ListSource;
  readonly version: number;
  readonly sha256: string;
  readonly entryCount: number;
  readonly loadedBy: string;
  readonly loadedAt: number;
}

interface VersionRow {
  id: string;
  source: ListSource;
  version: bigint | number;
  sha256: string;
  entry_count: bigint | number;
  loaded_by: string;
  loaded_at: bigint | number;
}

function versionOf(row: VersionRow): ListVersion {
  return {
    id: row.id,
    source: row.source,
    version: Number(row.version),
    sha256: row.sha256,
    entryCount: Number(row.entry_count),
    loadedBy: row.loaded_by,
    loadedAt: Number(row.loaded_at),
  };
}

const columns = 'id, source, version, sha256, entry_count, loaded_by, loaded_at';

/** The newest version of each source: the lists in force. */
export async function currentVersions(store: Queryable): Promise<ListVersion[]> {
  const rows = await store.all<VersionRow & Record<string, unknown>>(
    `SELECT ${columns} FROM sanctions_list_versions v
     WHERE version = (SELECT MAX(version) FROM sanctions_list_versions w WHERE w.source = v.source) ORDER BY source`,
  );
  return rows.map(versionOf);
}

export async function listVersions(store: Queryable, limit: number): Promise<ListVersion[]> {
  const rows = await store.all<VersionRow & Record<string, unknown>>(
    `SELECT ${columns} FROM sanctions_list_versions ORDER BY loaded_at DESC, source LIMIT ?`,
    [limit],
  );
  return rows.map(versionOf);
}

export async function versionEntries(store: Queryable, id: string): Promise<ListEntry[]> {
  const row = await store.get<{ payload: Buffer }>('SELECT payload FROM sanctions_list_versions WHERE id = ?', [id]);
  if (row === undefined) throw new Error(`sanctions invariant: list version ${id} vanished`);
  return JSON.parse(gunzipSync(row.payload).toString('utf8')) as ListEntry[];
}

export async function nextVersion(tx: Queryable, source: ListSource): Promise<number> {
  const row = await tx.get<{ v: bigint | number | null }>(
    'SELECT MAX(version) AS v FROM sanctions_list_versions WHERE source = ?',
    [source],
  );
  return Number(row?.v ?? 0) + 1;
}

export async function insertVersion(tx: Queryable, version: ListVersion, entries: readonly ListEntry[]): Promise<void> {
  await tx.run(`INSERT INTO sanctions_list_versions (${columns}, payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, [
    version.id,
    version.source,
    version.version,
    version.sha256,
    version.entryCount,
    version.loadedBy,
    version.loadedAt,
    gzipSync(JSON.stringify(entries)),
  ]);
}

export interface ScreeningRow {
  readonly id: string;
  readonly context: string;
  readonly subjectType: string;
  readonly subjectId: string;
  readonly outcome: 'hit' | 'near_hit';
  readonly entryId: string;
  readonly matchedName: string;
  readonly scorePermille: number;
  readonly listVersions: string;
  readonly caseId: string | null;
  readonly screenedAt: number;
}

export async function insertScreening(tx: Queryable, row: ScreeningRow): Promise<void> {
  await tx.run(
    `INSERT INTO sanctions_screenings (id, context, subject_type, subject_id, outcome, entry_id, matched_name,
       score_permille, list_versions, case_id, screened_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      row.id,
      row.context,
      row.subjectType,
      row.subjectId,
      row.outcome,
      row.entryId,
      row.matchedName,
      row.scorePermille,
      row.listVersions,
      row.caseId,
      row.screenedAt,
    ],
  );
}

export async function screeningsSince(store: Queryable, since: number, limit: number): Promise<ScreeningRow[]> {
  const rows = await store.all<Record<string, unknown>>(
    `SELECT id, context, subject_type, subject_id, outcome, entry_id, matched_name, score_permille, list_versions,
       case_id, screened_at
     FROM sanctions_screenings WHERE screened_at >= ? ORDER BY screened_at DESC, id LIMIT ?`,
    [since, limit],
  );
  return rows.map((r) => ({
    id: r.id as string,
    context: r.context as string,
    subjectType: r.subject_type as string,
    subjectId: r.subject_id as string,
    outcome: r.outcome as 'hit' | 'near_hit',
    entryId: r.entry_id as string,
    matchedName: r.matched_name as string,
    scorePermille: Number(r.score_permille),
    listVersions: r.list_versions as string,
    caseId: (r.case_id as string | null) ?? null,
    screenedAt: Number(r.screened_at),
  }));
}

export async function clearedEntries(
  store: Queryable,
  nameKey: string,
  entryIds: readonly string[],
): Promise<Set<string>> {
  if (entryIds.length === 0) return new Set();
  const rows = await store.all<{ entry_id: string }>(
    `SELECT entry_id FROM sanctions_clearances
     WHERE name_key = ? AND entry_id IN (${entryIds.map(() => '?').join(', ')})`,
    [nameKey, ...entryIds],
  );
  return new Set(rows.map((r) => r.entry_id));
}

export async function insertClearance(
  tx: Queryable,
  clearance: { entryId: string; nameKey: string; caseId: string; clearedBy: string; now: number },
): Promise<void> {
  await tx.run(
    `INSERT INTO sanctions_clearances (entry_id, name_key, case_id, cleared_by, cleared_at) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (entry_id, name_key) DO NOTHING`,
    [clearance.entryId, clearance.nameKey, clearance.caseId, clearance.clearedBy, clearance.now],
  );
}

/**
 * Freezes the customer's outgoing money for this case, once: a case that already froze (whether the
 * freeze is still on or was lifted) freezes nothing more. True when this call froze.
 */
export async function insertFreeze(
  tx: Queryable,
  freeze: { id: string; caseId: string; customerId: string; now: number },
): Promise<boolean> {
  const changed = await tx.run(
    `INSERT INTO sanctions_freezes (id, case_id, customer_id, active, created_at) VALUES (?, ?, ?, 1, ?)
     ON CONFLICT (case_id) DO NOTHING`,
    [freeze.id, freeze.caseId, freeze.customerId, freeze.now],
  );
  return changed === 1;
}

/** Lifts the case's freeze; the number of freezes lifted (0 or 1). */
export async function liftFreeze(tx: Queryable, caseId: string, liftedBy: string, now: number): Promise<number> {
  return tx.run(
    'UPDATE sanctions_freezes SET active = 0, lifted_at = ?, lifted_by = ? WHERE case_id = ? AND active = 1',
    [now, liftedBy, caseId],
  );
}

/** Whether the case's freeze is still on. */
export async function freezeActive(q: Queryable, caseId: string): Promise<boolean> {
  return (await q.get('SELECT id FROM sanctions_freezes WHERE case_id = ? AND active = 1', [caseId])) !== undefined;
}

/**
 * Freezes the merchant for this case, once, as insertFreeze does for a customer. True when this call
 * froze.
 */
export async function insertMerchantFreeze(
  tx: Queryable,
  freeze: { id: string; caseId: string; merchantId: string; now: number },
): Promise<boolean> {
  const changed = await tx.run(
    `INSERT INTO sanctions_merchant_freezes (id, case_id, merchant_id, active, created_at) VALUES (?, ?, ?, 1, ?)
     ON CONFLICT (case_id) DO NOTHING`,
    [freeze.id, freeze.caseId, freeze.merchantId, freeze.now],
  );
  return changed === 1;
}

/** Lifts the case's merchant freeze; the number lifted (0 or 1). */
export async function liftMerchantFreeze(
  tx: Queryable,
  caseId: string,
  liftedBy: string,
  now: number,
): Promise<number> {
  return tx.run(
    'UPDATE sanctions_merchant_freezes SET active = 0, lifted_at = ?, lifted_by = ? WHERE case_id = ? AND active = 1',
    [now, liftedBy, caseId],
  );
}

/** Whether the case's merchant freeze is still on. */
export async function merchantFreezeActive(q: Queryable, caseId: string): Promise<boolean> {
  const row = await q.get('SELECT id FROM sanctions_merchant_freezes WHERE case_id = ? AND active = 1', [caseId]);
  return row !== undefined;
}

/** Whether any case still freezes the merchant (payments, refunds and settlement ask before money moves). */
export async function merchantFrozen(q: Queryable, merchantId: string): Promise<boolean> {
  const row = await q.get('SELECT id FROM sanctions_merchant_freezes WHERE merchant_id = ? AND active = 1 LIMIT 1', [
    merchantId,
  ]);
  return row !== undefined;
}

/** Every merchant a case still freezes (one read for a settlement run). */
export async function frozenMerchants(q: Queryable): Promise<Set<string>> {
  const rows = await q.all<{ merchant_id: string }>(
    'SELECT DISTINCT merchant_id FROM sanctions_merchant_freezes WHERE active = 1',
  );
  return new Set(rows.map((r) => r.merchant_id));
}
