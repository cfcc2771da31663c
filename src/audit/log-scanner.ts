// The verification core shared by the live verifier (rows from the database) and the offline one
// (lines of an export): entries are fed in the order they are stored; the scanner recomputes leaves,
// the chain and the Merkle roots, checks every checkpoint's signature and root, and names the first
// entry that was altered, removed or reordered and the first checkpoint that fails.
import { checkpointNote } from './checkpoint.ts';
import { chainGenesis, chainHash, MerkleAccumulator } from './merkle.ts';
import type { StoredCheckpoint } from './store.ts';

export type AuditProblemKind = 'altered' | 'removed' | 'reordered' | 'malformed';

export interface AuditProblem {
  /** The first seq affected. */
  readonly seq: string;
  /** When the place is only known to lie in a range (entries rewritten with recomputed hashes). */
  readonly throughSeq?: string;
  readonly kind: AuditProblemKind;
  readonly detail: string;
}

export interface CheckpointFailure {
  readonly id: string;
  readonly treeSize: number;
  readonly reason: 'signature_invalid' | 'unknown_key' | 'root_mismatch' | 'chain_mismatch' | 'beyond_log';
  readonly detail: string;
}

export interface AuditVerification {
  readonly ok: boolean;
  readonly entries: number;
  readonly checkpoints: number;
  readonly treeSize: number;
  /** Root recomputed over the entries as found (hex). */
  readonly rootHash: string;
  readonly firstProblem: AuditProblem | null;
  readonly failedCheckpoint: CheckpointFailure | null;
  readonly checkpointsFailed: number;
  readonly warnings: readonly string[];
}

/** A checkpoint as the scanner sees it: the stored shape, its id as text (exports carry it as a string). */
export type ScanCheckpoint = Omit<StoredCheckpoint, 'id'> & { readonly id: string };

export interface TrustedKey {
  readonly keyId: string;
  verify(algorithm: string, data: Uint8Array, signature: Uint8Array): boolean;
}

/** How far a displaced entry is looked for when its content no longer matches its own seq. */
const displacementWindow = 64;

export class LogScanner {
  private readonly accumulator = new MerkleAccumulator();
  private readonly pending: ScanCheckpoint[];
  private readonly failures: CheckpointFailure[] = [];
  private chain: Buffer = chainGenesis;
  private lastSeq = 0;
  private lastGoodCheckpointSize = 0;
  private missingSeq: number | null = null;
  problem: AuditProblem | null = null;
  readonly warnings: string[] = [];

  constructor(private readonly checkpoints: readonly ScanCheckpoint[], key: TrustedKey) {
    for (const c of checkpoints) {
      if (c.keyId !== key.keyId) this.fail(c, 'unknown_key', `signed by key ${c.keyId}, not by the trusted key ${key.keyId}`);
      else if (!key.verify(c.algorithm, checkpointNote(c), c.signature)) this.fail(c, 'signature_invalid', 'the signature does not verify with the trusted public key');
    }
    this.pending = [...checkpoints].sort((a, b) => a.treeSize - b.treeSize);
    this.reachCheckpoints();
  }

  get entries(): number {
    return this.accumulator.size;
  }

  private fail(c: ScanCheckpoint, reason: CheckpointFailure['reason'], detail: string): void {
    this.failures.push({ id: c.id, treeSize: c.treeSize, reason, detail });
  }

  private report(problem: AuditProblem): void {
    if (this.problem === null) this.problem = problem;
  }

  /** A line or field that cannot be read as an entry; `seq` when it is known. */
  malformed(detail: string, seq?: number): void {
    this.report({ seq: String(seq ?? this.lastSeq + 1), kind: 'malformed', detail });
  }

  /** Checks the order of seqs: a gap is a removal, unless the missing seq turns up later (reordering). */
  private checkOrder(seq: number): void {
    const expected = this.lastSeq + 1;
    if (seq === expected) {
      this.lastSeq = seq;
      return;
    }
    if (seq > expected) {
      if (this.problem === null) this.missingSeq = expected;
      this.report({ seq: String(expected), kind: 'removed', detail: `entry ${expected} is missing: entry ${seq} follows entry ${this.lastSeq}` });
      this.lastSeq = seq;
      return;
    }
    if (this.missingSeq === seq && this.problem?.seq === String(seq)) {
      this.problem = { seq: String(seq), kind: 'reordered', detail: `entry ${seq} is out of order: it appears after entry ${this.lastSeq}` };
      this.missingSeq = null;
      return;
    }
    this.report({ seq: String(seq), kind: 'reordered', detail: `entry ${seq} appears again after entry ${this.lastSeq}` });
  }

  /**
   * One entry as stored: `leaf` is recomputed from its content; `leafWithSeq` recomputes it as if it
   * carried another seq (only on a mismatch, to tell a moved entry from an edited one).
   */
  entry(seq: number, leaf: Buffer, storedLeaf: Buffer, storedChain: Buffer, leafWithSeq: (seq: number) => Buffer): void {
    this.checkOrder(seq);
    this.chain = chainHash(this.chain, leaf);
    if (this.problem === null) {
      if (!leaf.equals(storedLeaf)) this.report(this.mismatch(seq, storedLeaf, leafWithSeq));
      else if (!this.chain.equals(storedChain)) {
        this.report({ seq: String(seq), kind: 'altered', detail: `entry ${seq}: content and leaf hash were changed together; the chain hash no longer follows from entry ${seq - 1}` });
      }
    }
    this.accumulator.push(leaf);
    this.reachCheckpoints();
  }

  private mismatch(seq: number, storedLeaf: Buffer, leafWithSeq: (seq: number) => Buffer): AuditProblem {
    for (let d = 1; d <= displacementWindow; d++) {
      for (const other of [seq + d, seq - d]) {
        if (other >= 1 && leafWithSeq(other).equals(storedLeaf)) {
          return { seq: String(seq), kind: 'reordered', detail: `the entry stored as seq ${seq} was written as seq ${other} (rows moved)` };
        }
      }
    }
    return { seq: String(seq), kind: 'altered', detail: `entry ${seq}: content does not match its leaf hash` };
  }

  private reachCheckpoints(): void {
    while (this.pending.length > 0 && (this.pending[0] as ScanCheckpoint).treeSize === this.accumulator.size) {
      const c = this.pending.shift() as ScanCheckpoint;
      if (!this.accumulator.root().equals(c.rootHash)) {
        this.fail(c, 'root_mismatch', `the first ${c.treeSize} entries do not hash to the signed root`);
        this.report({ seq: String(this.lastGoodCheckpointSize + 1), throughSeq: String(c.treeSize), kind: 'altered', detail: `entries ${this.lastGoodCheckpointSize + 1} to ${c.treeSize} were rewritten (hashes recomputed): checkpoint ${c.id} no longer matches` });
      } else if (!this.chain.equals(c.chainHash)) {
        this.fail(c, 'chain_mismatch', `the chain hash after ${c.treeSize} entries differs from the signed one`);
      } else {
        this.lastGoodCheckpointSize = c.treeSize;
      }
    }
  }

  /** Ends the scan; `head` is the log's own record of its size and last chain hash, when known. */
  finish(head?: { size: number; chain: Buffer | null }): AuditVerification {
    const n = this.accumulator.size;
    for (const c of this.pending) {
      this.fail(c, 'beyond_log', `covers ${c.treeSize} entries but only ${n} remain`);
      this.report({ seq: String(this.lastSeq + 1), throughSeq: String(c.treeSize), kind: 'removed', detail: `the log ends at entry ${this.lastSeq} but checkpoint ${c.id} covers ${c.treeSize} entries` });
    }
    if (head !== undefined) {
      if (head.size > this.lastSeq) this.report({ seq: String(this.lastSeq + 1), throughSeq: String(head.size), kind: 'removed', detail: `the log ends at entry ${this.lastSeq} but its head records ${head.size} entries` });
      else if (head.size < this.lastSeq) this.report({ seq: String(head.size + 1), kind: 'altered', detail: `entries after ${head.size} are not recorded in the head` });
      else if (!(head.chain ?? chainGenesis).equals(this.chain)) this.report({ seq: String(this.lastSeq), kind: 'altered', detail: 'the head chain hash does not match the chain over the entries' });
    }
    if (this.checkpoints.length === 0) this.warnings.push('no signed checkpoint: only internal consistency was checked');
    const byId = [...this.failures].sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
    return {
      ok: this.problem === null && this.failures.length === 0,
      entries: n,
      checkpoints: this.checkpoints.length,
      treeSize: n,
      rootHash: this.accumulator.root().toString('hex'),
      firstProblem: this.problem,
      failedCheckpoint: byId[0] ?? null,
      checkpointsFailed: this.failures.length,
      warnings: this.warnings,
    };
  }
}
