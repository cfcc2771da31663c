// Signed checkpoints (RFC 9162 §4.10 in spirit): tree size, root hash, chain hash and time, signed
// with the platform's audit key. The signed text is documented in docs/audit.md so that openssl
// alone can check a signature.
import type { Store } from '../store/index.ts';
import { appendAudit } from './append-audit.ts';
import type { AuditSigner } from './audit-signer.ts';
import type { ActorType } from './canonical-entry.ts';
import { chainGenesis } from './merkle.ts';
import { insertCheckpoint, readHead, readNodesSize, type StoredCheckpoint } from './store.ts';
import { fillNodes, rangeHashes } from './tree.ts';

export interface CheckpointFields {
  readonly treeSize: number;
  readonly rootHash: Buffer;
  readonly chainHash: Buffer;
  readonly createdAt: number;
}

/** The exact bytes a checkpoint signature covers (UTF-8, every line ends in \n). */
export function checkpointNote(c: CheckpointFields): Buffer {
  return Buffer.from(`anfu audit checkpoint v1\nsize ${c.treeSize}\nroot ${c.rootHash.toString('hex')}\nchain ${c.chainHash.toString('hex')}\ntime ${c.createdAt}\n`, 'utf8');
}

export interface CheckpointActor {
  readonly actorType: ActorType;
  readonly actorId: string | null;
  readonly ip?: string | null;
}

/**
 * Signs a checkpoint over the whole log as it stands. Nodes are filled (and new entries re-checked)
 * first, outside the signing transaction, so the store is locked only briefly. When an actor asks for
 * it (an operator through the API) the request is audited in the same transaction.
 */
export async function createCheckpoint(store: Store, signer: AuditSigner, now: number, actor?: CheckpointActor): Promise<StoredCheckpoint> {
  await fillNodes(store, (await readHead(store)).size);
  const fields = await store.transaction(async (tx): Promise<CheckpointFields> => {
    const head = await readHead(tx);
    const [root] = await rangeHashes(tx, [[0, head.size]], await readNodesSize(tx));
    if (root === undefined) throw new Error('audit invariant: no root');
    return { treeSize: head.size, rootHash: root, chainHash: head.chain ?? chainGenesis, createdAt: now };
  });
  // Signed between the two transactions: the signer may read the store (the keyring loads and unseals
  // the key on first use), which inside a transaction deadlocks SQLite's single connection. The log
  // is append-only, so the root of its first `treeSize` entries cannot change in between.
  const checkpoint = { ...fields, algorithm: signer.algorithm, keyId: signer.keyId, signature: await signer.sign(checkpointNote(fields)) };
  return store.transaction(async (tx) => {
    const id = await insertCheckpoint(tx, checkpoint);
    if (actor !== undefined) {
      await appendAudit(tx, [{ ...actor, action: 'audit.checkpoint', target: `checkpoint:${id}`, outcome: 'success', details: { treeSize: fields.treeSize, keyId: signer.keyId } }], now);
    }
    return { id, ...checkpoint };
  });
}

export interface Checkpointer {
  stop(): Promise<void>;
}

/**
 * Signs a checkpoint every `intervalMs` when the log has grown since the last one. Failures (an
 * integrity error above all) go to `onError`: the caller raises the security event.
 */
export function startCheckpointer(store: Store, signer: AuditSigner, options: { intervalMs: number; clock?: () => number; onError?: (error: unknown) => void }): Checkpointer {
  const clock = options.clock ?? Date.now;
  let lastSize = -1;
  let running: Promise<unknown> = Promise.resolve();
  const tick = () => {
    running = (async () => {
      const { size } = await readHead(store);
      if (size === lastSize) return;
      lastSize = (await createCheckpoint(store, signer, clock())).treeSize;
    })().catch((error: unknown) => options.onError?.(error));
  };
  const timer = setInterval(tick, options.intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
