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

export interface LatestEntry {
  readonly seq: bigint;
  readonly at: number;
  readonly action: string;
  readonly outcome: string;
  readonly details: string;
}

/** The newest entry of any of `actions` (with `outcome`, if given): how operations finds the last backup or test. */
export async function latestEntryOf(
  store: Store,
  actions: readonly string[],
  outcome?: 'success' | 'failure',
): Promise<LatestEntry | undefined> {
  if (actions.length === 0) return undefined;
  const marks = actions.map(() => '?').join(', ');
  const filter = outcome === undefined ? '' : ' AND outcome = ?';
  const row = await store.get(
    `SELECT seq, at, action, outcome, details FROM audit_entries
     WHERE action IN (${marks})${filter} ORDER BY seq DESC LIMIT 1`,
    outcome === undefined ? [...actions] : [...actions, outcome],
  );
  if (row === undefined) return undefined;
  const at = toBigInt(row.at);
  const { action, outcome: result, details } = row;
  const seq = toBigInt(row.seq);
  return { seq, at: Number(at), action: String(action), outcome: String(result), details: String(details) };
}
