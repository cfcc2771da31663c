// Inclusion and consistency proofs (RFC 9162 §2.1.3, §2.1.4) from the stored tree. Bad requests are
// values with stable codes, mapped to problem+json at the HTTP edge and to messages in the CLI.
import type { Store } from '../store/index.ts';
import { consistencyRanges, inclusionRanges, verifyInclusion } from './merkle.ts';
import { bytes, readCheckpointOfSize, readHead, readNodesSize, type StoredCheckpoint } from './store.ts';
import { rangeHashes } from './tree.ts';

export type ProofFailureCode = 'audit_entry_not_found' | 'audit_tree_size_invalid' | 'audit_consistency_range_invalid';
export type ProofOutcome<T> = { ok: true; proof: T } | { ok: false; code: ProofFailureCode; detail: string };

export interface InclusionProof {
  readonly seq: bigint;
  /** Leaf index = seq − 1. */
  readonly leafIndex: number;
  readonly treeSize: number;
  readonly leafHash: Buffer;
  readonly path: readonly Buffer[];
  readonly rootHash: Buffer;
  /** The signed checkpoint of exactly this tree size, when there is one. */
  readonly checkpoint: StoredCheckpoint | undefined;
}

export interface ConsistencyProof {
  readonly first: number;
  readonly second: number;
  readonly path: readonly Buffer[];
  readonly firstRoot: Buffer;
  readonly secondRoot: Buffer;
}

/** Proves entry `seq` is in the tree of `treeSize` entries (default: the whole log). */
export async function inclusionProof(store: Store, seq: bigint, treeSize?: bigint): Promise<ProofOutcome<InclusionProof>> {
  const head = await readHead(store);
  const size = treeSize ?? BigInt(head.size);
  if (seq < 1n || seq > BigInt(head.size)) return { ok: false, code: 'audit_entry_not_found', detail: `the log holds entries 1 to ${head.size}` };
  if (size < seq || size > BigInt(head.size)) return { ok: false, code: 'audit_tree_size_invalid', detail: `treeSize must be from ${seq} (the entry) to ${head.size} (the log's size)` };
  const index = Number(seq) - 1;
  const n = Number(size);
  const ranges = inclusionRanges(index, n);
  const [leaf, rootHash, ...path] = await rangeHashes(store, [[index, index + 1], [0, n], ...ranges], await readNodesSize(store));
  // Checking our own proof costs ~20 hashes and catches a corrupt node table before a client does.
  if (leaf === undefined || rootHash === undefined || !verifyInclusion(leaf, index, n, path, rootHash)) throw new Error('audit invariant: an inclusion proof does not verify against its own root');
  return { ok: true, proof: { seq, leafIndex: index, treeSize: n, leafHash: leaf, path, rootHash, checkpoint: await readCheckpointOfSize(store, n) } };
}

/** Proves the tree of `first` entries is a prefix of the tree of `second` entries. */
export async function consistencyProof(store: Store, first: bigint, second: bigint): Promise<ProofOutcome<ConsistencyProof>> {
  const head = await readHead(store);
  if (first < 1n || first > second || second > BigInt(head.size)) {
    return { ok: false, code: 'audit_consistency_range_invalid', detail: `need 1 ≤ first ≤ second ≤ ${head.size} (the log's size); got first=${first}, second=${second}` };
  }
  const m = Number(first);
  const n = Number(second);
  const filled = await readNodesSize(store);
  const [firstRoot, secondRoot, ...path] = await rangeHashes(store, [[0, m], [0, n], ...(m === n ? [] : consistencyRanges(m, n))], filled);
  if (firstRoot === undefined || secondRoot === undefined) throw new Error('audit invariant: no root');
  return { ok: true, proof: { first: m, second: n, path, firstRoot, secondRoot } };
}

/** The stored leaf hash of one entry (for clients that hold the entry and want to check it). */
export async function leafHashOf(store: Store, seq: bigint): Promise<Buffer | undefined> {
  const row = await store.get('SELECT leaf_hash FROM audit_entries WHERE seq = ?', [seq]);
  return row === undefined ? undefined : bytes(row.leaf_hash);
}
