// Decisions: each kind declares its decisions at wiring. A decision without four eyes runs the owning
// capability's handler and marks the case decided in one transaction. A decision with four eyes is a
// maker–checker proposal (`case.decide`) opened in the same transaction as the case's event; when a
// different operator (not the maker, not whoever opened the case) approves with an MFA session, the
// executor runs the handler and marks the case decided, once.
import {
  findProposal,
  openProposalWithin,
  type Actor,
  type ExecutionResult,
  type OperatorRole,
  type ProposalExecutor,
} from '../access/index.ts';
import type { Queryable, Tx } from '../store/index.ts';
import { recordChange, recordRefusal } from './audit.ts';
import type { CasesContext } from './context.ts';
import { within } from './open-case.ts';
import { caseById, insertNote, updateCase } from './store.ts';
import { msOf, type CaseActor, type CaseRecord, type CaseStatus, type When } from './types.ts';

const undecided: readonly CaseStatus[] = ['open', 'assigned', 'waiting'];
export const defaultApproverRoles: readonly OperatorRole[] = ['administrator', 'operations', 'risk_analyst'];
const reasonMax = 2000;

export type DecideOutcome =
  | { readonly ok: true; readonly value: CaseRecord; readonly proposalId?: string }
  | { readonly ok: false; readonly code: string };

class HandlerRefused extends Error {
  constructor(readonly code: string) {
    super(code);
  }
}

/** Pure: may `actor` make this decision on this case now? */
function decisionRefusal(cases: CasesContext, record: CaseRecord | undefined, decision: string, actor: Actor) {
  if (record === undefined) return 'case_not_found';
  const definition = cases.definition(record.kind);
  if (definition === undefined) return 'case_kind_unknown';
  const role = actor.principal?.role;
  if (role === undefined) return 'forbidden';
  const deciders = definition.roles?.decide;
  if (deciders !== undefined && !deciders.includes(role)) return 'forbidden';
  if (record.status === 'closed') return 'case_closed';
  if (!undecided.includes(record.status)) return 'case_already_decided';
  if (!Object.hasOwn(definition.decisions, decision)) return 'case_decision_unknown';
  return undefined;
}

/** Runs the handler and marks the case decided; throws HandlerRefused so the caller's transaction rolls back. */
async function applyDecision(
  cases: CasesContext,
  tx: Tx,
  record: CaseRecord,
  decision: string,
  actor: CaseActor,
  decidedBy: string,
  extra: Record<string, unknown>,
  now: number,
): Promise<CaseRecord> {
  const handler = cases.handler(record.kind);
  const result = handler === undefined ? undefined : await handler(tx, record, decision, actor, now);
  if (result !== undefined && !result.ok) throw new HandlerRefused(result.code);
  const change = {
    status: 'decided' as const,
    decision,
    decidedBy,
    decidedAt: now,
    pendingProposalId: null,
    waitingSince: null,
  };
  const paused =
    record.waitingSince === null ? {} : { pausedMs: record.pausedMs + Math.max(0, now - record.waitingSince) };
  const first = record.firstResponseAt === null ? { firstResponseAt: now } : {};
  if (!(await updateCase(tx, record.id, undecided, { ...change, ...paused, ...first }, now))) {
    throw new HandlerRefused('case_status_invalid');
  }
  await recordChange(tx, actor, record.id, 'decided', { decision, ...extra }, now);
  return (await caseById(tx, record.id)) as CaseRecord;
}

/** A pending or approved `case.decide` proposal blocks another; a rejected or expired one does not. */
async function proposalPending(q: Queryable, record: CaseRecord): Promise<boolean> {
  if (record.pendingProposalId === null) return false;
  const proposal = await findProposal(q, record.pendingProposalId);
  return proposal !== undefined && (proposal.state === 'pending' || proposal.state === 'approved');
}

async function proposeDecision(
  cases: CasesContext,
  tx: Tx,
  record: CaseRecord,
  decision: string,
  actor: CaseActor,
  maker: string,
  reason: string,
  now: number,
): Promise<DecideOutcome> {
  const approverRoles = cases.definition(record.kind)?.roles?.approve ?? defaultApproverRoles;
  const payload = { caseId: record.id, decision, reason };
  const proposalId = await openProposalWithin(
    tx,
    { kind: 'case.decide', payload, proposedBy: maker, approverRoles, reason, ttlMs: cases.proposalTtlMs },
    now,
  );
  const first = record.firstResponseAt === null ? { firstResponseAt: now } : {};
  if (!(await updateCase(tx, record.id, undecided, { pendingProposalId: proposalId, ...first }, now))) {
    throw new HandlerRefused('case_status_invalid');
  }
  await recordChange(tx, actor, record.id, 'decision_proposed', { decision, proposalId }, now);
  return { ok: true, value: (await caseById(tx, record.id)) as CaseRecord, proposalId };
}

/**
 * Decides a case, or (four eyes) proposes the decision for a checker. Refusals are audited and
 * change nothing; the reason is kept as a note on the case (never in the audit log).
 */
export async function decideCase(
  cases: CasesContext,
  caseId: string,
  decision: string,
  actor: Actor,
  reason: string,
  now: When = cases.clock(),
): Promise<DecideOutcome> {
  const at = msOf(now);
  const text = reason.slice(0, reasonMax);
  try {
    return await within(cases.store, async (tx) => {
      const record = await caseById(tx, caseId);
      const refusal = decisionRefusal(cases, record, decision, actor);
      if (refusal === undefined && record !== undefined && (await proposalPending(tx, record))) {
        throw new HandlerRefused('case_decision_pending');
      }
      if (refusal !== undefined || record === undefined) throw new HandlerRefused(refusal ?? 'case_not_found');
      if (text.length > 0) await insertNote(tx, caseId, actor.principal?.id ?? 'system', text, at);
      if (cases.definition(record.kind)?.decisions[decision]?.fourEyes === true) {
        return proposeDecision(cases, tx, record, decision, actor, actor.principal?.id as string, text, at);
      }
      const decided = await applyDecision(cases, tx, record, decision, actor, actor.principal?.id ?? 'system', {}, at);
      return { ok: true, value: decided };
    });
  } catch (error) {
    if (!(error instanceof HandlerRefused)) throw error;
    const exists = await caseById(cases.store, caseId);
    await within(cases.store, (tx) =>
      recordRefusal(tx, actor, exists === undefined ? null : caseId, 'decided', error.code, at, {
        decision: decision.slice(0, 64),
      }),
    );
    return { ok: false, code: error.code };
  }
}

/**
 * A four-eyes decision proposed by a capability itself (e.g. support's automatic full compensation
 * of a claim), inside the caller's transaction; `proposedBy` is 'system:<capability>'. A checker
 * approves it like any other.
 */
export async function proposeCaseDecision(
  tx: Tx,
  cases: CasesContext,
  caseId: string,
  decision: string,
  proposedBy: string,
  reason: string,
  now: When,
): Promise<DecideOutcome> {
  const at = msOf(now);
  const record = await caseById(tx, caseId);
  if (record === undefined) return { ok: false, code: 'case_not_found' };
  if (cases.definition(record.kind)?.decisions[decision]?.fourEyes !== true)
    return { ok: false, code: 'case_decision_unknown' };
  if (!undecided.includes(record.status)) return { ok: false, code: 'case_already_decided' };
  if (await proposalPending(tx, record)) return { ok: false, code: 'case_decision_pending' };
  const actor = { type: 'system', principal: undefined, ip: null, device: null } as const;
  try {
    return await proposeDecision(cases, tx, record, decision, actor, proposedBy, reason.slice(0, reasonMax), at);
  } catch (error) {
    if (error instanceof HandlerRefused) return { ok: false, code: error.code };
    throw error;
  }
}

/** The kind's money movement for an approved decision, before the transaction that decides the case. */
async function moveMoney(
  cases: CasesContext,
  payload: CaseDecidePayload,
  proposalId: string,
): Promise<ExecutionResult> {
  const record = await caseById(cases.store, payload.caseId);
  const money = record === undefined ? undefined : cases.money(record.kind);
  if (record === undefined || money === undefined) return { ok: true, result: {} };
  if (record.pendingProposalId !== proposalId || !undecided.includes(record.status)) {
    return { ok: false, code: 'case_status_invalid' };
  }
  const moved = await money(record, payload.decision, `proposal:${proposalId}`);
  return moved.ok ? { ok: true, result: moved.result ?? {} } : { ok: false, code: moved.code };
}

interface CaseDecidePayload {
  readonly caseId: string;
  readonly decision: string;
  readonly reason: string;
}

function parsePayload(payload: unknown): CaseDecidePayload | undefined {
  if (typeof payload !== 'object' || payload === null) return undefined;
  const { caseId, decision, reason } = payload as Record<string, unknown>;
  if (typeof caseId !== 'string' || !/^cas_[0-9a-z]{26}$/.test(caseId)) return undefined;
  if (typeof decision !== 'string' || decision.length === 0 || decision.length > 64) return undefined;
  if (typeof reason !== 'string' || reason.length > reasonMax) return undefined;
  return { caseId, decision, reason };
}

async function executeDecision(
  cases: CasesContext,
  tx: Tx,
  payload: CaseDecidePayload,
  proposalId: string,
  proposedBy: string,
  actor: Actor,
  now: number,
): Promise<ExecutionResult> {
  const record = await caseById(tx, payload.caseId);
  if (record === undefined) return { ok: false, code: 'case_not_found' };
  if (record.pendingProposalId !== proposalId || !undecided.includes(record.status)) {
    return { ok: false, code: 'case_status_invalid' };
  }
  const checker = actor.principal?.id ?? 'system';
  const extra = { proposalId, proposedBy, approvedBy: checker };
  try {
    await applyDecision(cases, tx, record, payload.decision, actor, checker, extra, now);
  } catch (error) {
    if (!(error instanceof HandlerRefused)) throw error;
    // The proposal fails with the handler's code; the case stays undecided and may be decided again.
    await updateCase(tx, record.id, undecided, { pendingProposalId: null }, now);
    await recordChange(
      tx,
      actor,
      record.id,
      'decision_failed',
      { decision: payload.decision, proposalId, code: error.code },
      now,
    );
    return { ok: false, code: error.code };
  }
  return { ok: true, result: { caseId: record.id, decision: payload.decision } };
}

/**
 * The `case.decide` executor. Proposals come only from decideCase (opened inside its transaction);
 * one made through the generic proposals route is refused, so the case's own rules cannot be skipped.
 */
export function caseDecisionExecutor(cases: CasesContext): ProposalExecutor<CaseDecidePayload> {
  return {
    kind: 'case.decide',
    proposerRoles: ['administrator', 'operations', 'risk_analyst', 'customer_service'],
    approverRoles: defaultApproverRoles,
    parse: parsePayload,
    check: async () => 'proposal_payload_invalid',
    async checkApprover(q, payload, _proposal, checker) {
      const record = await caseById(q, payload.caseId);
      return record !== undefined && record.openedBy === checker.id ? 'proposal_conflict_of_interest' : undefined;
    },
    outside: (payload, proposal) => moveMoney(cases, payload, proposal.id),
    inside: (tx, payload, proposal, now, actor) =>
      executeDecision(cases, tx, payload, proposal.id, proposal.proposedBy, actor, now),
  };
}
