// The journal's tamper evidence: every batch appends one `ledger.postings` entry to the audit log
// (in the same transaction) naming the seqs it wrote and a SHA-256 digest of those rows. The audit
// log's Merkle tree and signed checkpoints then cover the journal too, and `verify` proves that
// every journal row is covered exactly once by an intact digest.
import { createHash } from 'node:crypto';
import type { AuditEvent } from '../audit/index.ts';
import type { Transfer } from './types.ts';

export const postingsAction = 'ledger.postings';

type JournalRow = Pick<Transfer, 'seq' | 'key' | 'kind' | 'debitAccountId' | 'creditAccountId' | 'amount' | 'currency' | 'holdSeq' | 'reference' | 'createdAt'>;

/** SHA-256 over the rows in seq order, one unambiguous line per row (fields joined by NUL). */
export function journalDigest(rows: readonly JournalRow[]): string {
  const hash = createHash('sha256');
  for (const r of [...rows].sort((a, b) => (a.seq < b.seq ? -1 : a.seq > b.seq ? 1 : 0))) {
    hash.update([r.seq, r.key, r.kind, r.debitAccountId, r.creditAccountId, r.amount, r.currency, r.holdSeq ?? '', r.reference ?? '', r.createdAt].join('\u0000'));
    hash.update('\n');
  }
  return hash.digest('hex');
}

/** "1-100,205-230": the seqs of a batch as ranges (one range on SQLite; a few under PostgreSQL concurrency). */
export function seqRanges(seqs: readonly bigint[]): string {
  const sorted = [...seqs].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const ranges: string[] = [];
  let start = sorted[0];
  let end = start;
  for (const seq of sorted.slice(1)) {
    if (end !== undefined && seq === end + 1n) {
      end = seq;
      continue;
    }
    ranges.push(`${start}-${end}`);
    start = seq;
    end = seq;
  }
  if (start !== undefined) ranges.push(`${start}-${end}`);
  return ranges.join(',');
}

export function parseSeqRanges(text: string): Array<[bigint, bigint]> | undefined {
  const parts = text.split(',');
  if (parts.length > 1000) return undefined;
  const ranges: Array<[bigint, bigint]> = [];
  for (const part of parts) {
    const [from, to, extra] = part.split('-');
    if (extra !== undefined || from === undefined || to === undefined || !/^[0-9]{1,19}$/.test(from) || !/^[0-9]{1,19}$/.test(to)) return undefined;
    ranges.push([BigInt(from), BigInt(to)]);
  }
  return ranges;
}

export function postingsEvent(rows: readonly JournalRow[]): AuditEvent {
  return {
    actorType: 'system',
    actorId: 'ledger',
    action: postingsAction,
    target: null,
    outcome: 'success',
    details: { seqs: seqRanges(rows.map((r) => r.seq)), count: rows.length, digest: journalDigest(rows) },
  };
}
