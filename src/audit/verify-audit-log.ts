// The live verifier: reads the log straight from the database (in pages, so memory stays flat) and
// checks it the way an offline verifier checks an export. Used by readiness and self-assessment.
import type { Store } from '../store/index.ts';
import { checkpointVerifier } from './audit-signer.ts';
import { canonicalEntry } from './canonical-entry.ts';
import { LogScanner, type AuditVerification, type ScanCheckpoint } from './log-scanner.ts';
import { leafHashOfText } from './merkle.ts';
import { readCheckpoints, readEntries, readHead, type StoredCheckpoint } from './store.ts';

const pageEntries = 10_000;

export function scanCheckpointOf(c: StoredCheckpoint): ScanCheckpoint {
  return { ...c, id: String(c.id) };
}

/** Verifies the whole stored log and every checkpoint against the trusted audit public key. */
export async function verifyAuditLog(store: Store, options: { publicKeyPem: string }): Promise<AuditVerification> {
  const head = await readHead(store);
  const checkpoints = (await readCheckpoints(store)).map(scanCheckpointOf);
  const scanner = new LogScanner(checkpoints, checkpointVerifier(options.publicKeyPem));
  let after = 0n;
  for (;;) {
    const page = await readEntries(store, after, pageEntries);
    for (const { record, leaf, chain } of page) {
      const computed = leafHashOfText(canonicalEntry(record));
      scanner.entry(Number(record.seq), computed, leaf, chain, (seq) => leafHashOfText(canonicalEntry({ ...record, seq: BigInt(seq) })));
    }
    const last = page.at(-1);
    if (last === undefined || page.length < pageEntries) break;
    after = last.record.seq;
  }
  return scanner.finish(head);
}
