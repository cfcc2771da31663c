// Entries of one action, in order: how another capability finds the audit records it wrote (the
// ledger checks its journal against its `ledger.postings` digests this way).
import { toBigInt, type Store } from '../store/index.ts';

export interface ActionEntry {
  readonly seq: bigint;
  /** Canonical JSON text of the entry's details. */
  readonly details: string;
}

export async function entriesByAction(store: Store, action: string, options: { after: bigint; limit: number }): Promise<ActionEntry[]> {
  const rows = await store.all('SELECT seq, details FROM audit_entries WHERE action = ? AND seq > ? ORDER BY seq LIMIT ?', [action, options.after, options.limit]);
  return rows.map((row) => ({ seq: toBigInt(row.seq), details: String(row.details) }));
}
