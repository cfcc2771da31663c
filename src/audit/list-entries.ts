// Reading the log page by page for operators: seq-ordered, cursor = the last seq seen.
import type { Store } from '../store/index.ts';
import { readCheckpoints, readEntries, type StoredCheckpoint, type StoredEntry } from './store.ts';
import { searchEntries as searchStoredEntries } from './store.ts';

export interface AuditEntryPage {
  readonly items: readonly StoredEntry[];
  /** Pass back as `after` for the next page; null at the end of the log. */
  readonly nextCursor: string | null;
}

export async function listEntries(store: Store, options: { after?: bigint; limit: number }): Promise<AuditEntryPage> {
  const items = await readEntries(store, options.after ?? 0n, options.limit + 1);
  const page = items.slice(0, options.limit);
  const last = page.at(-1);
  return { items: page, nextCursor: items.length > options.limit && last !== undefined ? String(last.record.seq) : null };
}

export async function listCheckpoints(store: Store, options: { after?: bigint; limit: number }): Promise<{ items: readonly StoredCheckpoint[]; nextCursor: string | null }> {
  const items = await readCheckpoints(store, options.after ?? 0n, options.limit + 1);
  const page = items.slice(0, options.limit);
  const last = page.at(-1);
  return { items: page, nextCursor: items.length > options.limit && last !== undefined ? String(last.id) : null };
}

/** What an operator searches the log by; each given field must match exactly. */
export interface AuditSearch {
  readonly target?: string | undefined;
  readonly action?: string | undefined;
  readonly actorId?: string | undefined;
}

/** Entries that match every given field, seq order, paged like listEntries. */
export async function searchEntries(
  store: Store,
  search: AuditSearch,
  options: { after?: bigint; limit: number },
): Promise<AuditEntryPage> {
  const items = await searchStoredEntries(store, search, options.after ?? 0n, options.limit + 1);
  const page = items.slice(0, options.limit);
  const last = page.at(-1);
  const more = items.length > options.limit && last !== undefined;
  return { items: page, nextCursor: more ? String(last.record.seq) : null };
}
