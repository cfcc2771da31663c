// The ledger fingerprint recorded with every backup and compared after a restore: a hash over every
// account's four balance counters in id order, the last journal sequence, and the audit head. The
// same on both stores, read in pages so memory stays flat however many wallets there are.
import { createHash } from 'node:crypto';
import { toBigInt, type Queryable } from '../store/index.ts';

export interface LedgerFingerprint {
  readonly accounts: number;
  readonly balancesHash: string;
  readonly lastJournalSeq: string;
  readonly auditSeq: string;
  readonly auditHead: string | null;
}

const accountsPerPage = 10_000;

export async function ledgerFingerprint(db: Queryable): Promise<LedgerFingerprint> {
  const hash = createHash('sha256');
  let accounts = 0;
  for (let after = ''; ;) {
    const rows = await db.all('SELECT id, debits_posted, credits_posted, debits_pending, credits_pending FROM ledger_accounts WHERE id > ? ORDER BY id LIMIT ?', [after, accountsPerPage]);
    for (const r of rows) {
      hash.update(`${String(r.id)}|${toBigInt(r.debits_posted)}|${toBigInt(r.credits_posted)}|${toBigInt(r.debits_pending)}|${toBigInt(r.credits_pending)}\n`);
    }
    accounts += rows.length;
    const last = rows.at(-1);
    if (last === undefined || rows.length < accountsPerPage) break;
    after = String(last.id);
  }
  const journal = await db.get('SELECT COALESCE(MAX(seq), 0) AS seq FROM ledger_transfers');
  const audit = await db.get('SELECT seq, chain_hash FROM audit_head WHERE id = 1');
  const chain = audit?.chain_hash;
  return {
    accounts,
    balancesHash: hash.digest('hex'),
    lastJournalSeq: toBigInt(journal?.seq ?? 0).toString(),
    auditSeq: toBigInt(audit?.seq ?? 0).toString(),
    auditHead: chain === null || chain === undefined ? null : Buffer.from(chain as Uint8Array).toString('hex'),
  };
}

export function sameFingerprint(a: LedgerFingerprint, b: LedgerFingerprint): boolean {
  return a.accounts === b.accounts && a.balancesHash === b.balancesHash && a.lastJournalSeq === b.lastJournalSeq
    && a.auditSeq === b.auditSeq && a.auditHead === b.auditHead;
}
