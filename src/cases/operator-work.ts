// What the operator API calls: the case functions behind the per-kind role restriction a kind may
// declare (e.g. only risk analysts work sanctions hits), and one case read with everything an
// analyst needs (evidence, notes, timeline, SLA clocks).
import type { Actor } from '../access/index.ts';
import { recordRefusal } from './audit.ts';
import type { CasesContext } from './context.ts';
import { within } from './open-case.ts';
import { caseSla, type CaseSla } from './sla.ts';
import { caseById, caseEvents, caseEvidence, caseNotes } from './store.ts';
import type { CaseEvent, CaseEvidence, CaseListFilter, CaseNote, CaseOutcome, CasePage, CaseRecord } from './types.ts';
import { listCases } from './work-case.ts';

export interface CaseDetail {
  readonly case: CaseRecord;
  readonly evidence: readonly CaseEvidence[];
  readonly notes: readonly CaseNote[];
  readonly timeline: readonly CaseEvent[];
  readonly sla: CaseSla | undefined;
}

/** Runs `work` when the actor's role may work this case's kind; otherwise audits the refusal. */
export async function asCaseWorker<T>(
  cases: CasesContext,
  actor: Actor,
  caseId: string,
  action: string,
  work: () => Promise<CaseOutcome<T>>,
): Promise<CaseOutcome<T>> {
  const record = await caseById(cases.store, caseId);
  const allowed = record === undefined ? undefined : cases.definition(record.kind)?.roles?.work;
  const role = actor.principal?.role;
  if (record !== undefined && allowed !== undefined && (role === undefined || !allowed.includes(role))) {
    await within(cases.store, (tx) => recordRefusal(tx, actor, caseId, action, 'forbidden', cases.clock()));
    return { ok: false, code: 'forbidden' };
  }
  return work();
}

export async function caseDetail(cases: CasesContext, caseId: string): Promise<CaseDetail | undefined> {
  const record = await caseById(cases.store, caseId);
  if (record === undefined) return undefined;
  const [evidence, notes, timeline] = [
    await caseEvidence(cases.store, caseId),
    await caseNotes(cases.store, caseId),
    await caseEvents(cases.store, caseId),
  ];
  return { case: record, evidence, notes, timeline, sla: await caseSla(cases, cases.store, record, cases.clock()) };
}

/** A page of cases; a queue name means the kinds whose definitions name it. */
export async function listQueue(cases: CasesContext, filter: CaseListFilter): Promise<CasePage> {
  if (filter.queue === undefined) return listCases(cases.store, filter);
  const kinds = cases.kindsOfQueue(filter.queue);
  if (kinds.length === 0) return listCases(cases.store, filter);
  return listCases(cases.store, { ...filter, kinds });
}
