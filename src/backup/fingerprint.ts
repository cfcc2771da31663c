// The ledger fingerprint recorded with every backup and compared after a restore: a hash over every
// account's four balance counters in id order, the last journal sequence, and the audit head.
import { createHash } from 'node:crypto';
import type BetterSqlite3 from 'better-sqlite3';

export interface LedgerFingerprint {
  readonly accounts: number;
  readonly balancesHash: string;
  readonly lastJournalSeq: string;
  readonly auditSeq: string;
  readonly auditHead: string | null;
}

interface AccountRow { id: string; debits_posted: bigint; credits_posted: bigint; debits_pending: bigint; credits_pending: bigint }

export function ledgerFingerprint(db: BetterSqlite3.Database): LedgerFingerprint {
  const hash = createHash('sha256');
  let accounts = 0;
  const rows = db.prepare('SELECT id, debits_posted, credits_posted, debits_pending, credits_pending FROM ledger_accounts ORDER BY id')
    .safeIntegers(true).iterate() as IterableIterator<AccountRow>;
  for (const row of rows) {
    hash.update(`${row.id}|${row.debits_posted}|${row.credits_posted}|${row.debits_pending}|${row.credits_pending}\n`);
    accounts += 1;
  }
  const journal = db.prepare('SELECT COALESCE(MAX(seq), 0) AS seq FROM ledger_transfers').safeIntegers(true).get() as { seq: bigint };
  const audit = db.prepare('SELECT seq, chain_hash FROM audit_head WHERE id = 1').safeIntegers(true).get() as
    { seq: bigint; chain_hash: Buffer | null } | undefined;
  return {
    accounts,
    balancesHash: hash.digest('hex'),
    lastJournalSeq: journal.seq.toString(),
    auditSeq: (audit?.seq ?? 0n).toString(),
    auditHead: audit?.chain_hash === null || audit === undefined ? null : audit.chain_hash.toString('hex'),
  };
}

export function sameFingerprint(a: LedgerFingerprint, b: LedgerFingerprint): boolean {
  return a.accounts === b.accounts && a.balancesHash === b.balancesHash && a.lastJournalSeq === b.lastJournalSeq
    && a.auditSeq === b.auditSeq && a.auditHead === b.auditHead;
}
