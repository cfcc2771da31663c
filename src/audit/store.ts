// The audit capability's SQL: reading entries, leaves, Merkle nodes and checkpoints. Writing entries
// lives in append-audit.ts (it must run in the caller's transaction).
import type { Param, Queryable, Row } from '../store/index.ts';
import { toBigInt, toNumber } from '../store/index.ts';
import type { AuditRecord } from './canonical-entry.ts';

export interface StoredEntry {
  readonly record: AuditRecord;
  readonly leaf: Buffer;
  readonly chain: Buffer;
}

export interface StoredCheckpoint {
  readonly id: bigint;
  readonly treeSize: number;
  readonly rootHash: Buffer;
  readonly chainHash: Buffer;
  readonly createdAt: number;
  readonly algorithm: string;
  readonly keyId: string;
  readonly signature: Buffer;
}

export const entryColumns = 'seq, at, actor_type, actor_id, device, ip, action, target, outcome, details, leaf_hash, chain_hash';

const nullableString = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

export function bytes(value: unknown): Buffer {
  if (Buffer.isBuffer(value)) return value;
  if (value instanceof Uint8Array) return Buffer.from(value);
  throw new Error('audit invariant: expected a bytes column');
}

export function storedEntryFromRow(row: Row): StoredEntry {
  return {
    record: {
      seq: toBigInt(row.seq),
      at: toNumber(row.at),
      actorType: String(row.actor_type),
      actorId: nullableString(row.actor_id),
      device: nullableString(row.device),
      ip: nullableString(row.ip),
      action: String(row.action),
      target: nullableString(row.target),
      outcome: String(row.outcome),
      details: String(row.details),
    },
    leaf: bytes(row.leaf_hash),
    chain: bytes(row.chain_hash),
  };
}

export function checkpointFromRow(row: Row): StoredCheckpoint {
  return {
    id: toBigInt(row.id),
    treeSize: toNumber(row.tree_size),
    rootHash: bytes(row.root_hash),
    chainHash: bytes(row.chain_hash),
    createdAt: toNumber(row.created_at),
    algorithm: String(row.algorithm),
    keyId: String(row.key_id),
    signature: bytes(row.signature),
  };
}

export interface Head {
  readonly size: number;
  readonly chain: Buffer | null;
}

export async function readHead(q: Queryable): Promise<Head> {
  const row = await q.get('SELECT seq, chain_hash FROM audit_head WHERE id = 1');
  if (row === undefined) throw new Error('audit invariant: the audit_head row is missing (migrations not applied?)');
  return { size: toNumber(row.seq), chain: row.chain_hash === null ? null : bytes(row.chain_hash) };
}

/** Entries with seq > afterSeq in seq order. */
export async function readEntries(q: Queryable, afterSeq: bigint, limit: number): Promise<StoredEntry[]> {
  const rows = await q.all(`SELECT ${entryColumns} FROM audit_entries WHERE seq > ? ORDER BY seq LIMIT ?`, [afterSeq, limit]);
  return rows.map(storedEntryFromRow);
}

/** Entries with seq > afterSeq matching every given column (target, action, actor id), in seq order. */
export async function searchEntries(
  q: Queryable,
  search: { target?: string | undefined; action?: string | undefined; actorId?: string | undefined },
  afterSeq: bigint,
  limit: number,
): Promise<StoredEntry[]> {
  const where = ['seq > ?'];
  const params: (string | bigint | number)[] = [afterSeq];
  const columns = [['target', search.target], ['action', search.action], ['actor_id', search.actorId]] as const;
  for (const [column, value] of columns) {
    if (value === undefined) continue;
    where.push(`${column} = ?`);
    params.push(value);
  }
  const rows = await q.all(
    `SELECT ${entryColumns} FROM audit_entries WHERE ${where.join(' AND ')} ORDER BY seq LIMIT ?`,
    [...params, limit],
  );
  return rows.map(storedEntryFromRow);
}

/** Stored leaf hashes for several leaf-index ranges [start, end), keyed by leaf index, in one query. */
export async function readLeaves(q: Queryable, ranges: readonly (readonly [number, number])[]): Promise<Map<number, Buffer>> {
  const out = new Map<number, Buffer>();
  if (ranges.length === 0) return out;
  const where = ranges.map(() => '(seq > ? AND seq <= ?)').join(' OR ');
  const rows = await q.all(`SELECT seq, leaf_hash FROM audit_entries WHERE ${where}`, ranges.flatMap(([s, e]) => [s, e]));
  for (const row of rows) out.set(toNumber(row.seq) - 1, bytes(row.leaf_hash));
  return out;
}

export const nodeKey = (level: number, index: number): string => `${level}:${index}`;

/** Stored Merkle nodes, keyed by `level:index`, in one query per 200 nodes. */
export async function readNodes(q: Queryable, nodes: readonly { level: number; index: number }[]): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (let i = 0; i < nodes.length; i += 200) {
    const chunk = nodes.slice(i, i + 200);
    const where = chunk.map(() => '(level = ? AND idx = ?)').join(' OR ');
    const rows = await q.all(`SELECT level, idx, hash FROM audit_nodes WHERE ${where}`, chunk.flatMap((n) => [n.level, n.index]));
    for (const row of rows) out.set(nodeKey(toNumber(row.level), toNumber(row.idx)), bytes(row.hash));
  }
  return out;
}

export async function insertNodes(q: Queryable, nodes: readonly { level: number; index: number; hash: Buffer }[]): Promise<void> {
  for (let i = 0; i < nodes.length; i += 300) {
    const chunk = nodes.slice(i, i + 300);
    const params: Param[] = chunk.flatMap((n) => [n.level, n.index, n.hash]);
    await q.run(`INSERT INTO audit_nodes (level, idx, hash) VALUES ${chunk.map(() => '(?, ?, ?)').join(', ')} ON CONFLICT (level, idx) DO NOTHING`, params);
  }
}

export async function readNodesSize(q: Queryable): Promise<number> {
  const row = await q.get('SELECT tree_size FROM audit_nodes_state WHERE id = 1');
  return row === undefined ? 0 : toNumber(row.tree_size);
}

const checkpointColumns = 'id, tree_size, root_hash, chain_hash, created_at, algorithm, key_id, signature';

export async function readCheckpoints(q: Queryable, afterId = 0n, limit = 1_000_000): Promise<StoredCheckpoint[]> {
  const rows = await q.all(`SELECT ${checkpointColumns} FROM audit_checkpoints WHERE id > ? ORDER BY id LIMIT ?`, [afterId, limit]);
  return rows.map(checkpointFromRow);
}

/** The newest signed checkpoint (self-assessment: how much of the log a signature covers, and since when). */
export async function latestCheckpoint(q: Queryable): Promise<StoredCheckpoint | undefined> {
  const row = await q.get(`SELECT ${checkpointColumns} FROM audit_checkpoints ORDER BY id DESC LIMIT 1`, []);
  return row === undefined ? undefined : checkpointFromRow(row);
}

export async function readCheckpointOfSize(q: Queryable, treeSize: number): Promise<StoredCheckpoint | undefined> {
  const row = await q.get(`SELECT ${checkpointColumns} FROM audit_checkpoints WHERE tree_size = ? ORDER BY id DESC LIMIT 1`, [treeSize]);
  return row === undefined ? undefined : checkpointFromRow(row);
}

export async function insertCheckpoint(q: Queryable, c: Omit<StoredCheckpoint, 'id'>): Promise<bigint> {
  const row = await q.get(
    'INSERT INTO audit_checkpoints (tree_size, root_hash, chain_hash, created_at, algorithm, key_id, signature) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id',
    [c.treeSize, c.rootHash, c.chainHash, c.createdAt, c.algorithm, c.keyId, c.signature],
  );
  if (row === undefined) throw new Error('audit invariant: checkpoint insert returned no id');
  return toBigInt(row.id);
}
