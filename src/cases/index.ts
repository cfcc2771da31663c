// The shared case system's door (contract: /work/wt/CASES.md, docs/cases.md): the one place where
// people decide — risk reviews, AML and sanctions hits, reconciliation breaks, complaints, claims and
// disputes. Capabilities open cases inside their own transactions and give their kinds' definitions
// and decision handlers at wiring.
export {
  caseStatuses,
  caseSeverities,
  msOf,
  type CaseKind,
  type CaseStatus,
  type CaseSeverity,
  type CaseSubject,
  type EvidenceLink,
  type CaseAmount,
  type OpenCaseInput,
  type CaseRecord,
  type CaseEvent,
  type CaseEvidence,
  type CaseNote,
  type CaseKindDefinition,
  type CaseSlaDefinition,
  type CaseDecisionDefinition,
  type CaseMoneyHandler,
  type CaseDecisionHandler,
  type CaseHandlerResult,
  type CaseActor,
  type CaseListFilter,
  type CasePage,
  type CaseRefusal,
  type CaseOutcome,
  type When,
  type DurationMs,
} from './types.ts';
export { openCase, caseLimits } from './open-case.ts';
export {
  assignCase,
  addNote,
  addEvidence,
  setWaiting,
  closeCase,
  closeResolvedElsewhere,
  getCase,
  listCases,
  caseTimeline,
  caseEvidenceOf,
  caseNotesOf,
} from './work-case.ts';
export {
  decideCase,
  proposeCaseDecision,
  caseDecisionExecutor,
  defaultApproverRoles,
  type DecideOutcome,
} from './decide-case.ts';
export { createCases, type CasesContext, type CaseKindRegistration, type CreateCasesOptions } from './context.ts';
export {
  defaultBusinessCalendar,
  businessMsBetween,
  addBusinessMs,
  checkCalendar,
  type BusinessCalendar,
} from './calendar.ts';
export { computeSla, caseSla, sweepCaseSla, type CaseSla, type SlaClock, type SlaSweepOptions } from './sla.ts';
export { actorIdOf, caseAuditEvent } from './audit.ts';
export { asCaseWorker, caseDetail, listQueue, type CaseDetail } from './operator-work.ts';
export { caseCounts } from './store.ts';
