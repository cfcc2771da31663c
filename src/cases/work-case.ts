// Working a case: assignment, notes, evidence links, waiting on the customer (which pauses the SLA
// clocks), closing after the decision, and the reads (one case, a page of a queue, the timeline).
// Each change is conditional on the status it expects; refusals are audited and change nothing.
import type { Queryable } from '../store/index.ts';
import { actorIdOf, recordChange, recordRefusal } from './audit.ts';
import { caseLimits, within } from './open-case.ts';
import {
  caseById,
  caseByKey,
  caseEvents,
  caseEvidence,
  caseNotes,
  insertEvidence,
  insertNote,
  selectCases,
  updateCase,
  type CaseChange,
} from './store.ts';
import {
  msOf,
  type CaseActor,
  type CaseEvent,
  type CaseEvidence,
  type CaseListFilter,
  type CaseNote,
  type CaseOutcome,
  type CasePage,
  type CaseRecord,
  type CaseStatus,
  type EvidenceLink,
  type When,
} from './types.ts';

const working: readonly CaseStatus[] = ['open', 'assigned', 'waiting'];
const notClosed: readonly CaseStatus[] = ['open', 'assigned', 'waiting', 'decided'];

/** The first change an operator makes answers the case (the first-response clock stops). */
function firstResponse(record: CaseRecord, actor: CaseActor, now: number): CaseChange {
  return record.firstResponseAt === null && actor.type === 'operator' ? { firstResponseAt: now } : {};
}

type Step = (record: CaseRecord) => { code: string } | { change: CaseChange; from: readonly CaseStatus[] };

/** Load, check, change conditionally, record; or audit the refusal. */
async function change(
  store: Queryable,
  caseId: string,
  actor: CaseActor,
  type: string,
  details: Record<string, unknown>,
  now: When,
  step: Step,
): Promise<CaseOutcome> {
  const at = msOf(now);
  return within(store, async (tx) => {
    const record = await caseById(tx, caseId);
    const planned = record === undefined ? { code: 'case_not_found' } : step(record);
    if (record === undefined || 'code' in planned) {
      const code = 'code' in planned ? planned.code : 'case_not_found';
      await recordRefusal(tx, actor, record === undefined ? null : caseId, type, code, at, details);
      return { ok: false, code };
    }
    const full = { ...firstResponse(record, actor, at), ...planned.change };
    if (!(await updateCase(tx, caseId, planned.from, full, at))) {
      await recordRefusal(tx, actor, caseId, type, 'case_status_invalid', at, details);
      return { ok: false, code: 'case_status_invalid' };
    }
    await recordChange(tx, actor, caseId, type, details, at);
    return { ok: true, value: (await caseById(tx, caseId)) as CaseRecord };
  });
}

const statusRefusal = (record: CaseRecord, allowed: readonly CaseStatus[]) =>
  record.status === 'closed' ? 'case_closed' : allowed.includes(record.status) ? undefined : 'case_already_decided';

export async function assignCase(
  store: Queryable,
  caseId: string,
  assignee: string,
  actor: CaseActor,
  now: When,
): Promise<CaseOutcome> {
  return change(store, caseId, actor, 'assigned', { assignee }, now, (record) => {
    const refusal = statusRefusal(record, working);
    if (refusal !== undefined) return { code: refusal };
    const status: CaseStatus = record.status === 'waiting' ? 'waiting' : 'assigned';
    return { change: { assignee, status }, from: [record.status] };
  });
}

export async function addNote(
  store: Queryable,
  caseId: string,
  body: string,
  actor: CaseActor,
  now: When,
): Promise<CaseOutcome<{ case: CaseRecord; noteId: string }>> {
  if (body.length === 0 || body.length > caseLimits.noteMax) return { ok: false, code: 'validation_failed' };
  let noteId = '';
  const outcome = await within(store, async (tx) => {
    const result = await change(tx, caseId, actor, 'note', { length: body.length }, now, (record) => {
      if (record.status === 'closed') return { code: 'case_closed' };
      return { change: {}, from: notClosed };
    });
    if (result.ok) noteId = await insertNote(tx, caseId, actorIdOf(actor), body, msOf(now));
    return result;
  });
  return outcome.ok ? { ok: true, value: { case: outcome.value, noteId } } : outcome;
}

export async function addEvidence(
  store: Queryable,
  caseId: string,
  link: EvidenceLink,
  actor: CaseActor,
  now: When,
): Promise<CaseOutcome> {
  return within(store, async (tx) => {
    const result = await change(tx, caseId, actor, 'evidence', { type: link.type, ref: link.ref }, now, (record) => {
      if (record.status === 'closed') return { code: 'case_closed' };
      return { change: {}, from: notClosed };
    });
    if (result.ok) await insertEvidence(tx, caseId, link, actorIdOf(actor), msOf(now));
    return result;
  });
}

/** Waiting on the customer (or a third party): the SLA clocks stop until the case resumes. */
export async function setWaiting(
  store: Queryable,
  caseId: string,
  waiting: boolean,
  actor: CaseActor,
  now: When,
): Promise<CaseOutcome> {
  const at = msOf(now);
  return change(store, caseId, actor, waiting ? 'waiting' : 'resumed', {}, now, (record) => {
    if (record.status === 'closed') return { code: 'case_closed' };
    if (waiting) {
      if (record.status !== 'open' && record.status !== 'assigned') return { code: 'case_status_invalid' };
      return { change: { status: 'waiting', waitingSince: at }, from: [record.status] };
    }
    if (record.status !== 'waiting') return { code: 'case_status_invalid' };
    const paused = record.pausedMs + Math.max(0, at - (record.waitingSince ?? at));
    const status: CaseStatus = record.assignee === null ? 'open' : 'assigned';
    return { change: { status, waitingSince: null, pausedMs: paused }, from: ['waiting'] };
  });
}

/** decided → closed. */
export async function closeCase(store: Queryable, caseId: string, actor: CaseActor, now: When): Promise<CaseOutcome> {
  return change(store, caseId, actor, 'closed', {}, now, (record) => {
    if (record.status === 'closed') return { code: 'case_closed' };
    if (record.status !== 'decided') return { code: 'case_not_decided' };
    return { change: { status: 'closed' }, from: ['decided'] };
  });
}

/**
 * The matter a case is about was settled outside it (e.g. a withdrawal resolved by a
 * `withdrawal.resolve` proposal): the case of (kind, dedupe key), if any and not closed, is closed with
 * the reason, without a decision of its own; a pending `case.decide` proposal is let go (its approval
 * then finds the case closed). Audited as `case.closed` with the reason. Returns the closed case, or
 * undefined when there was none to close (none opened, or already closed): safe to call twice.
 */
export async function closeResolvedElsewhere(
  store: Queryable,
  subject: { kind: string; dedupeKey: string },
  reason: string,
  actor: CaseActor,
  now: When,
): Promise<CaseRecord | undefined> {
  const record = await caseByKey(store, subject.kind, subject.dedupeKey);
  if (record === undefined || record.status === 'closed') return undefined;
  const details = { reason: reason.slice(0, 200), resolvedElsewhere: true };
  const closed = await change(store, record.id, actor, 'closed', details, now, (current) => {
    if (current.status === 'closed') return { code: 'case_closed' };
    return { change: { status: 'closed', pendingProposalId: null, waitingSince: null }, from: notClosed };
  });
  return closed.ok ? closed.value : undefined;
}

export async function getCase(store: Queryable, caseId: string): Promise<CaseRecord | undefined> {
  return caseById(store, caseId);
}

export async function listCases(store: Queryable, filter: CaseListFilter): Promise<CasePage> {
  return selectCases(store, filter);
}

/** The case's events in the order they happened. */
export async function caseTimeline(store: Queryable, caseId: string): Promise<CaseEvent[]> {
  return caseEvents(store, caseId);
}

export async function caseEvidenceOf(store: Queryable, caseId: string): Promise<CaseEvidence[]> {
  return caseEvidence(store, caseId);
}

export async function caseNotesOf(store: Queryable, caseId: string): Promise<CaseNote[]> {
  return caseNotes(store, caseId);
}
