// Opening a case: idempotent by (kind, dedupe key) — the same hit twice is one case — and callable
// inside the caller's transaction, so a risk hit, an AML alert or a complaint and its case are
// written together or not at all. Given a Store instead, it opens its own transaction.
import { newId } from '../ids.ts';
import type { Queryable, Tx } from '../store/index.ts';
import { actorFromOpener, recordChange } from './audit.ts';
import { caseById, caseByKey, insertCaseIfNew, insertEvidence } from './store.ts';
import { caseSeverities, msOf, type CaseRecord, type OpenCaseInput, type When } from './types.ts';

/** Runs `work` in the caller's transaction, or in a new one when given the store itself. */
export async function within<T>(q: Queryable, work: (tx: Tx) => Promise<T>): Promise<T> {
  const store = q as Queryable & { transaction?: <R>(w: (tx: Tx) => Promise<R>) => Promise<R> };
  return typeof store.transaction === 'function' ? store.transaction(work) : work(q);
}

export const caseLimits = {
  titleMax: 200,
  keyMax: 200,
  idMax: 128,
  kindMax: 64,
  noteMax: 4000,
  detailsMax: 8000,
} as const;

/** Programming errors of a caller (not user input): thrown, so they surface in the caller's tests. */
function checkInput(input: OpenCaseInput): void {
  const bad = (what: string) => {
    throw new Error(`openCase: ${what}`);
  };
  if (!/^[a-z][a-z0-9_]{1,63}$/.test(input.kind)) bad('kind must be lower_snake_case');
  if (input.dedupeKey.length === 0 || input.dedupeKey.length > caseLimits.keyMax) bad('dedupeKey length');
  if (input.title.length === 0 || input.title.length > caseLimits.titleMax) bad('title length');
  if (!(caseSeverities as readonly string[]).includes(input.severity)) bad('severity');
  if (input.subject.id.length === 0 || input.subject.id.length > caseLimits.idMax) bad('subject id');
  if (JSON.stringify(input.details ?? {}).length > caseLimits.detailsMax) bad('details too large');
}

/** Opens the case, or returns the one already open for (kind, dedupeKey) unchanged. */
export async function openCase(store: Queryable, input: OpenCaseInput, now: When): Promise<CaseRecord> {
  checkInput(input);
  const at = msOf(now);
  return within(store, async (tx) => {
    const id = newId('cas', at);
    if (!(await insertCaseIfNew(tx, input, id, at))) {
      const existing = await caseByKey(tx, input.kind, input.dedupeKey);
      if (existing === undefined) throw new Error('openCase: a conflicting case vanished');
      return existing;
    }
    const actor = actorFromOpener(input.openedBy);
    const details = {
      kind: input.kind,
      severity: input.severity,
      subject: input.subject.type,
      openedBy: input.openedBy,
    };
    await recordChange(tx, actor, id, 'opened', details, at);
    for (const link of input.evidence ?? []) await insertEvidence(tx, id, link, input.openedBy, at);
    return (await caseById(tx, id)) as CaseRecord;
  });
}
