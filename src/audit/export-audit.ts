/* eslint-disable security/detect-non-literal-fs-filename -- the output path is the operator's own command-line argument */
// Writes the audit log as JSON Lines: a header (with the public key), every checkpoint, then every
// entry with its stored leaf and chain hashes and its canonical text (docs/audit.md, "Export").
import { closeSync, openSync, writeSync } from 'node:fs';
import type { Store } from '../store/index.ts';
import { auditKeyId } from './audit-signer.ts';
import { canonicalEntry } from './canonical-entry.ts';
import { chainGenesis } from './merkle.ts';
import { readCheckpoints, readEntries, readHead, type StoredCheckpoint, type StoredEntry } from './store.ts';

export const exportFormat = 'anfu-audit-export/1';
const pageEntries = 10_000;

export function checkpointLine(c: StoredCheckpoint): string {
  return JSON.stringify({
    kind: 'checkpoint', id: String(c.id), treeSize: c.treeSize, rootHash: c.rootHash.toString('hex'), chainHash: c.chainHash.toString('hex'),
    createdAt: c.createdAt, algorithm: c.algorithm, keyId: c.keyId, signature: c.signature.toString('base64'),
  });
}

export function entryLine(e: StoredEntry): string {
  return `{"seq":${e.record.seq},"leaf":"${e.leaf.toString('hex')}","chain":"${e.chain.toString('hex')}","entry":${canonicalEntry(e.record)}}`;
}

/** Exports the log as it stands when the export starts (later appends are left for the next one). */
export async function exportAudit(store: Store, outPath: string, options: { publicKeyPem: string; now: number }): Promise<{ entries: number; checkpoints: number }> {
  // Checkpoints first: every one then precedes the head, so one that lies beyond it is evidence of
  // a truncated log (never filtered out).
  const checkpoints = await readCheckpoints(store);
  const head = await readHead(store);
  const fd = openSync(outPath, 'w', 0o600);
  try {
    const header = {
      kind: 'header', format: exportFormat, exportedAt: options.now, treeSize: head.size, headChain: (head.chain ?? chainGenesis).toString('hex'),
      keyId: auditKeyId(options.publicKeyPem), publicKey: options.publicKeyPem,
    };
    writeSync(fd, `${JSON.stringify(header)}\n${checkpoints.map((c) => `${checkpointLine(c)}\n`).join('')}`);
    let after = 0n;
    let entries = 0;
    while (after < BigInt(head.size)) {
      const page = (await readEntries(store, after, pageEntries)).filter((e) => e.record.seq <= BigInt(head.size));
      const last = page.at(-1);
      if (last === undefined) break;
      writeSync(fd, page.map((e) => `${entryLine(e)}\n`).join(''));
      entries += page.length;
      after = last.record.seq;
    }
    return { entries, checkpoints: checkpoints.length };
  } finally {
    closeSync(fd);
  }
}
