// Appending to the audit log, always inside the caller's transaction so an entry commits with the
// change it records or not at all. Three doors, one format: the async port (`appendAudit`), a
// synchronous SQLite appender for the ledger's hot path, and a pg.PoolClient appender.
import type BetterSqlite3 from 'better-sqlite3';
import type pg from 'pg';
import type { Param, Tx } from '../store/index.ts';
import { auditLimits, canonicalEntry, recordOf, type AuditEvent, type AuditRecord } from './canonical-entry.ts';
import { chainGenesis, chainHash, leafHashOfText } from './merkle.ts';

export interface HashedRecord {
  readonly record: AuditRecord;
  readonly leaf: Buffer;
  readonly chain: Buffer;
}

/** Validates and hashes a batch that follows the head (seq, chain); pure apart from hashing. */
export function hashBatch(events: readonly AuditEvent[], headSeq: bigint, headChain: Buffer | null, now: number): HashedRecord[] {
  if (events.length > auditLimits.eventsPerAppendMax) throw new Error(`audit: at most ${auditLimits.eventsPerAppendMax} events per append`);
  let chain = headChain ?? chainGenesis;
  let seq = headSeq;
  return events.map((event) => {
    seq += 1n;
    const record = recordOf(event, seq, now);
    const leaf = leafHashOfText(canonicalEntry(record));
    chain = chainHash(chain, leaf);
    return { record, leaf, chain };
  });
}

const columns = 'seq, at, actor_type, actor_id, device, ip, action, target, outcome, details, leaf_hash, chain_hash';
const columnCount = 12;
const rowsPerInsert = 200;

function paramsOf({ record: r, leaf, chain }: HashedRecord): Param[] {
  return [r.seq, r.at, r.actorType, r.actorId, r.device, r.ip, r.action, r.target, r.outcome, r.details, leaf, chain];
}

function bytesOf(value: unknown): Buffer | null {
  if (value === null || value === undefined) return null;
  if (Buffer.isBuffer(value)) return value;
  if (value instanceof Uint8Array) return Buffer.from(value);
  throw new Error('audit invariant: a hash column is not bytes');
}

/**
 * Appends events in the caller's transaction and returns their seqs. The head row is locked first
 * (an UPDATE, portable across both stores), so on PostgreSQL appenders queue behind each other.
 * Call it last in a transaction that also locks other rows, so lock order is always "rows, then head".
 */
export async function appendAudit(tx: Tx, events: readonly AuditEvent[], now: number): Promise<bigint[]> {
  if (events.length === 0) return [];
  const head = await tx.get<{ seq: unknown; chain_hash: unknown }>('UPDATE audit_head SET seq = seq WHERE id = 1 RETURNING seq, chain_hash');
  if (head === undefined) throw new Error('audit invariant: the audit_head row is missing (migrations not applied?)');
  const hashed = hashBatch(events, BigInt(head.seq as bigint), bytesOf(head.chain_hash), now);
  for (let i = 0; i < hashed.length; i += rowsPerInsert) {
    const chunk = hashed.slice(i, i + rowsPerInsert);
    const placeholders = chunk.map(() => `(${Array(columnCount).fill('?').join(', ')})`).join(', ');
    await tx.run(`INSERT INTO audit_entries (${columns}) VALUES ${placeholders}`, chunk.flatMap(paramsOf));
  }
  const last = hashed[hashed.length - 1] as HashedRecord;
  await tx.run('UPDATE audit_head SET seq = ?, chain_hash = ? WHERE id = 1', [last.record.seq, last.chain]);
  return hashed.map((h) => h.record.seq);
}

/**
 * The synchronous appender for better-sqlite3 hot paths (the ledger's batch transaction): prepared
 * statements, no awaits. It must run inside the caller's open transaction; it asserts so.
 */
export function sqliteAuditAppender(db: BetterSqlite3.Database): (events: readonly AuditEvent[], now: number) => bigint[] {
  const readHead = db.prepare('SELECT seq, chain_hash FROM audit_head WHERE id = 1');
  const insert = db.prepare(`INSERT INTO audit_entries (${columns}) VALUES (${Array(columnCount).fill('?').join(', ')})`);
  const writeHead = db.prepare('UPDATE audit_head SET seq = ?, chain_hash = ? WHERE id = 1');
  return (events, now) => {
    if (events.length === 0) return [];
    if (!db.inTransaction) throw new Error('audit invariant: sqliteAuditAppender must run inside the transaction of the change it records');
    const head = readHead.get() as { seq: bigint | number; chain_hash: Buffer | null } | undefined;
    if (head === undefined) throw new Error('audit invariant: the audit_head row is missing (migrations not applied?)');
    const hashed = hashBatch(events, BigInt(head.seq), head.chain_hash, now);
    for (const h of hashed) insert.run(...paramsOf(h));
    const last = hashed[hashed.length - 1] as HashedRecord;
    writeHead.run(last.record.seq, last.chain);
    return hashed.map((h) => h.record.seq);
  };
}

/**
 * Appends inside a transaction the caller opened on `client` (the ledger's PostgreSQL batch):
 * two round trips whatever the batch size — lock the head, then insert through unnest and move the head in one statement.
 */
export async function appendAuditWithClient(client: pg.PoolClient, events: readonly AuditEvent[], now: number): Promise<bigint[]> {
  if (events.length === 0) return [];
  const head = await client.query<{ seq: bigint | string; chain_hash: Buffer | null }>('SELECT seq, chain_hash FROM audit_head WHERE id = 1 FOR UPDATE');
  const row = head.rows[0];
  if (row === undefined) throw new Error('audit invariant: the audit_head row is missing (migrations not applied?)');
  const hashed = hashBatch(events, BigInt(row.seq), row.chain_hash, now);
  const column = <T>(pick: (h: HashedRecord) => T) => hashed.map(pick);
  const last = hashed[hashed.length - 1] as HashedRecord;
  // One statement inserts the entries and moves the head (a data-modifying CTE always runs).
  await client.query(
    `WITH appended AS (
       INSERT INTO audit_entries (${columns})
       SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::bytea[], $12::bytea[])
     )
     UPDATE audit_head SET seq = $13, chain_hash = $14 WHERE id = 1`,
    [column((h) => String(h.record.seq)), column((h) => String(h.record.at)), column((h) => h.record.actorType), column((h) => h.record.actorId),
      column((h) => h.record.device), column((h) => h.record.ip), column((h) => h.record.action), column((h) => h.record.target),
      column((h) => h.record.outcome), column((h) => h.record.details), column((h) => h.leaf), column((h) => h.chain), String(last.record.seq), last.chain],
  );
  return hashed.map((h) => h.record.seq);
}
