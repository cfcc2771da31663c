// The Merkle tree over the stored log: complete subtrees of 2^4 leaves and larger are kept in
// audit_nodes (filled up to audit_nodes_state.tree_size by the checkpointer), so a proof at any size
// reads O(log n) node rows plus at most a few 16-leaf blocks: sub-millisecond at a million entries.
import type { Queryable, Store } from '../store/index.ts';
import { canonicalEntry } from './canonical-entry.ts';
import { chainGenesis, chainHash, foldSubtrees, leafHashOfText, nodeHash, rootOfLeaves, subtreesOf, type LeafRange, type Subtree } from './merkle.ts';
import { insertNodes, nodeKey, readEntries, readHead, readLeaves, readNodes, readNodesSize } from './store.ts';

/** Levels below this are recomputed from leaves (at most 16 per subtree) rather than stored. */
export const storedLevelMin = 4;
/** Leaves read per transaction while filling nodes, so the store is never locked for long. */
const fillChunkLeaves = 65_536;

/** Thrown when stored entries disagree with their own hashes: the checkpointer refuses to sign them. */
export class AuditIntegrityError extends Error {
  constructor(readonly seq: bigint, detail: string) {
    super(`audit log integrity: entry ${seq}: ${detail}`);
    this.name = 'AuditIntegrityError';
  }
}

const stored = (s: Subtree, filled: number) => s.level >= storedLevelMin && (s.index + 1) * 2 ** s.level <= filled;

/** Resolves complete-subtree hashes: stored nodes where filled, otherwise from leaves (two queries). */
export async function subtreeHashes(q: Queryable, subtrees: readonly Subtree[], filled: number): Promise<Buffer[]> {
  const nodes: Subtree[] = [];
  const leafRanges: LeafRange[] = [];
  const plan = (s: Subtree): void => {
    if (stored(s, filled)) nodes.push(s);
    else if (s.level <= storedLevelMin) leafRanges.push([s.index * 2 ** s.level, (s.index + 1) * 2 ** s.level]);
    else {
      plan({ level: s.level - 1, index: 2 * s.index });
      plan({ level: s.level - 1, index: 2 * s.index + 1 });
    }
  };
  subtrees.forEach(plan);
  const nodeHashes = await readNodes(q, nodes);
  const leaves = await readLeaves(q, leafRanges);
  const resolve = (s: Subtree): Buffer => {
    if (stored(s, filled)) {
      const h = nodeHashes.get(nodeKey(s.level, s.index));
      if (h === undefined) throw new AuditIntegrityError(BigInt(s.index * 2 ** s.level + 1), `Merkle node ${s.level}:${s.index} is missing`);
      return h;
    }
    if (s.level === 0) {
      const leaf = leaves.get(s.index);
      if (leaf === undefined) throw new AuditIntegrityError(BigInt(s.index + 1), 'entry is missing');
      return leaf;
    }
    return nodeHash(resolve({ level: s.level - 1, index: 2 * s.index }), resolve({ level: s.level - 1, index: 2 * s.index + 1 }));
  };
  return subtrees.map(resolve);
}

/** MTH of several ranges at once. */
export async function rangeHashes(q: Queryable, ranges: readonly LeafRange[], filled: number): Promise<Buffer[]> {
  const pieces = ranges.map(subtreesOf);
  const hashes = await subtreeHashes(q, pieces.flat(), filled);
  let at = 0;
  return pieces.map((p) => {
    const slice = hashes.slice(at, at + p.length);
    at += p.length;
    return foldSubtrees(slice);
  });
}

/** Checks entries (after, to] against their stored leaf and chain hashes; returns their leaves. */
async function checkedLeaves(q: Queryable, after: number, to: number, previousChain: Buffer): Promise<Buffer[]> {
  const leaves: Buffer[] = [];
  let chain = previousChain;
  let seq = BigInt(after);
  while (seq < BigInt(to)) {
    const entries = await readEntries(q, seq, Math.min(10_000, to - Number(seq)));
    if (entries.length === 0) throw new AuditIntegrityError(seq + 1n, 'entry is missing');
    for (const e of entries) {
      seq += 1n;
      if (e.record.seq !== seq) throw new AuditIntegrityError(seq, `entry is missing (next stored is ${e.record.seq})`);
      const leaf = leafHashOfText(canonicalEntry(e.record));
      if (!leaf.equals(e.leaf)) throw new AuditIntegrityError(seq, 'content does not match its leaf hash');
      chain = chainHash(chain, leaf);
      if (!chain.equals(e.chain)) throw new AuditIntegrityError(seq, 'chain hash does not follow from the previous entry');
      leaves.push(leaf);
    }
  }
  return leaves;
}

async function chainBefore(q: Queryable, seq: number): Promise<Buffer> {
  if (seq === 0) return chainGenesis;
  const row = await q.get('SELECT chain_hash FROM audit_entries WHERE seq = ?', [seq]);
  if (row === undefined) throw new AuditIntegrityError(BigInt(seq), 'entry is missing');
  return Buffer.from(row.chain_hash as Buffer);
}

/** New complete subtrees (level ≥ 4) ending in (filled, to], computed from `leaves` = leaves [first, to). */
async function newNodes(q: Queryable, filled: number, to: number, first: number, leaves: readonly Buffer[]) {
  const made = new Map<string, Buffer>();
  const out: { level: number; index: number; hash: Buffer }[] = [];
  for (let level = storedLevelMin; 2 ** level <= to; level++) {
    const size = 2 ** level;
    for (let index = Math.floor(filled / size); (index + 1) * size <= to; index++) {
      let hash: Buffer;
      if (level === storedLevelMin) hash = rootOfLeaves(leaves.slice(index * size - first, (index + 1) * size - first));
      else {
        // A child is either new (made here) or complete before `filled` (stored); only the latter is read.
        const [left, right] = await Promise.all([2 * index, 2 * index + 1].map(async (i) => {
          const child = { level: level - 1, index: i };
          return made.get(nodeKey(child.level, i)) ?? ((await subtreeHashes(q, [child], filled))[0] as Buffer);
        }));
        hash = nodeHash(left as Buffer, right as Buffer);
      }
      made.set(nodeKey(level, index), hash);
      out.push({ level, index, hash });
    }
  }
  return out;
}

/**
 * Fills audit_nodes up to `to` leaves, re-checking every new entry's leaf and chain on the way (so a
 * checkpoint never signs entries that were altered since they were written). Idempotent; safe to
 * run from several processes (inserts ignore conflicts; the state only moves forward).
 */
export async function fillNodes(store: Store, to: number): Promise<number> {
  let filled = await readNodesSize(store);
  while (filled < to) {
    const end = Math.min(to, (Math.floor(filled / fillChunkLeaves) + 1) * fillChunkLeaves);
    const from = filled;
    await store.transaction(async (tx) => {
      const first = Math.floor(from / 2 ** storedLevelMin) * 2 ** storedLevelMin;
      const leaves = await checkedLeaves(tx, first, end, await chainBefore(tx, first));
      await insertNodes(tx, await newNodes(tx, from, end, first, leaves));
      await tx.run('UPDATE audit_nodes_state SET tree_size = ? WHERE id = 1 AND tree_size < ?', [end, end]);
    });
    filled = await readNodesSize(store);
  }
  return filled;
}

/** The current log size and the root of the tree at `size` (default: the whole log). */
export async function rootAt(q: Queryable, size?: number): Promise<{ size: number; root: Buffer }> {
  const head = await readHead(q);
  const n = size ?? head.size;
  const [root] = await rangeHashes(q, [[0, n]], await readNodesSize(q));
  return { size: n, root: n === 0 || root === undefined ? rootOfLeaves([]) : root };
}
