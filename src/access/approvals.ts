// Maker–checker (four eyes): a sensitive action is a proposal (kind + JSON payload) made by one
// operator; it takes effect only when a different operator, logged in with MFA and holding one of
// the kind's approver roles, approves it. Each kind registers an executor; the approval and its
// execution are guarded by conditional state changes, so replaying an approval can never run the
// action twice. Rejections, expiries and refused attempts are audited like everything else.
import { newId } from '../ids.ts';
import type { Queryable, Store, Tx } from '../store/index.ts';
import { audit, systemActor, type Actor } from './actor.ts';
import type { OperatorRole, Principal } from './api-tokens.ts';
import { approvedProposals, decideProposal, operatorById, expiredPendingProposals, finishProposal, insertProposal, proposalById, recordProposalResult, type ProposalRow } from './store.ts';

export type ProposalRefusal =
  | 'forbidden' | 'mfa_required' | 'proposal_not_found' | 'proposal_not_pending' | 'proposal_expired' | 'proposal_self_approval'
  | 'proposal_kind_unknown' | 'proposal_payload_invalid' | 'proposal_self_target' | 'proposal_related_approval'
  | 'proposal_conflict_of_interest';

export type ExecutionResult = { readonly ok: true; readonly result: Record<string, unknown> } | { readonly ok: false; readonly code: string; readonly detail?: string | undefined };

export interface ProposalExecutor<P = unknown> {
  readonly kind: string;
  readonly proposerRoles: readonly OperatorRole[];
  readonly approverRoles: readonly OperatorRole[];
  /** The maker, too, must be in an interactive session (password + TOTP), not an API token. */
  readonly proposerNeedsSession?: boolean;
  /** Validates and normalises the payload; undefined when it is not acceptable. */
  parse(payload: unknown): P | undefined;
  /** Rules that need the database (the target exists, nobody changes their own role …). */
  check?(q: Queryable, payload: P, proposer: Principal): Promise<ProposalRefusal | 'proposal_payload_invalid' | undefined>;
  /** Effects outside a database transaction (a ledger transfer), idempotent on the proposal id. */
  outside?(payload: P, proposal: ProposalRow): Promise<ExecutionResult>;
  /** Effects inside the transaction that marks the proposal executed; `actor` is the checker (or the sweep). */
  inside?(tx: Tx, payload: P, proposal: ProposalRow, now: number, actor: Actor): Promise<ExecutionResult>;
  /** Kind-specific rules on the checker (e.g. whoever opened a case may not check its decision). */
  checkApprover?(
    q: Queryable, payload: P, proposal: ProposalRow, checker: Principal,
  ): Promise<'proposal_conflict_of_interest' | undefined>;
}

/**
 * The payload of a proposal that replaces a whole versioned setting (a rule set, the AML level factors):
 * the new value under `key`, as `check` accepts it, and `basedOn`, the version it was written from, so an
 * execution on top of another version is refused as stale. Undefined when `basedOn` is not a version
 * number or `check` refuses the value.
 */
export function versionedPayload<T>(
  payload: unknown,
  key: string,
  check: (value: unknown) => T | undefined,
): { value: T; basedOn: number } | undefined {
  const p = payload as Record<string, unknown> | null;
  if (p === null || typeof p !== 'object' || !Number.isSafeInteger(p.basedOn) || (p.basedOn as number) < 0)
    return undefined;
  const value = check(p[key]);
  return value === undefined ? undefined : { value, basedOn: p.basedOn as number };
}

export class ProposalRegistry {
  readonly #executors = new Map<string, ProposalExecutor>();

  register<P>(executor: ProposalExecutor<P>): void {
    if (this.#executors.has(executor.kind)) throw new Error(`proposal kind ${executor.kind} registered twice`);
    this.#executors.set(executor.kind, executor as ProposalExecutor);
  }

  get(kind: string): ProposalExecutor | undefined {
    return this.#executors.get(kind);
  }

  kinds(): string[] {
    return [...this.#executors.keys()].sort();
  }
}

export type ProposalOutcome = { readonly ok: true; readonly proposal: ProposalRow } | { readonly ok: false; readonly code: ProposalRefusal; readonly proposal?: ProposalRow };

export interface ApprovalsContext {
  readonly store: Store;
  readonly registry: ProposalRegistry;
  readonly ttlMs: number;
}

/** Pure: may this principal propose this kind with this payload? */
function proposalRefusal(executor: ProposalExecutor | undefined, principal: Principal | undefined, parsed: unknown): ProposalRefusal | undefined {
  if (principal === undefined) return 'forbidden';
  if (executor === undefined) return 'proposal_kind_unknown';
  if (!executor.proposerRoles.includes(principal.role)) return 'forbidden';
  if (executor.proposerNeedsSession === true && principal.sessionId === undefined) return 'mfa_required';
  if (parsed === undefined) return 'proposal_payload_invalid';
  return undefined;
}

export async function proposeAction(ctx: ApprovalsContext, actor: Actor, input: { kind: string; payload: unknown; reason?: string | undefined }, now: number): Promise<ProposalOutcome> {
  const executor = ctx.registry.get(input.kind);
  const principal = actor.principal;
  const parsed = executor?.parse(input.payload);
  // Checks that read other capabilities run before the transaction (SQLite has one connection).
  let refusal = proposalRefusal(executor, principal, parsed);
  if (refusal === undefined && executor?.check !== undefined && principal !== undefined) refusal = await executor.check(ctx.store, parsed, principal);
  return ctx.store.transaction(async (tx) => {
    if (refusal !== undefined || executor === undefined || principal === undefined) {
      const code = refusal ?? 'forbidden';
      await audit(tx, actor, [{ action: 'proposal.create', target: null, outcome: 'denied', details: { kind: input.kind.slice(0, 64), reason: code } }], now);
      return { ok: false, code };
    }
    const id = newId('prp', now);
    await insertProposal(tx, { id, kind: executor.kind, payload: parsed, proposedBy: principal.id, approverRoles: executor.approverRoles, reason: input.reason ?? null, now, expiresAt: now + ctx.ttlMs });
    await audit(tx, actor, [{ action: 'proposal.create', target: id, outcome: 'success', details: { kind: executor.kind } }], now);
    return { ok: true, proposal: (await proposalById(tx, id)) as ProposalRow };
  });
}

/**
 * Pure: may this principal decide (approve or reject) this proposal now? `proposerCreatedBy` is who
 * created the maker: an operator and the one who created them (and so once held their enrolment
 * code) count as one pair of eyes, never two.
 */
export function decisionRefusal(proposal: ProposalRow | undefined, principal: Principal | undefined, now: number, proposerCreatedBy?: string | null): ProposalRefusal | 'expire' | undefined {
  if (proposal === undefined) return 'proposal_not_found';
  if (proposal.state === 'pending' && proposal.expiresAt <= now) return 'expire';
  if (proposal.state !== 'pending') return 'proposal_not_pending';
  if (principal === undefined) return 'forbidden';
  if (principal.id === proposal.proposedBy) return 'proposal_self_approval';
  if (principal.createdBy === proposal.proposedBy || (proposerCreatedBy != null && proposerCreatedBy === principal.id)) return 'proposal_related_approval';
  if (!proposal.approverRoles.includes(principal.role)) return 'forbidden';
  // The checker must be a person who passed MFA, not an API token (which anyone holding it can use).
  if (principal.sessionId === undefined) return 'mfa_required';
  return undefined;
}

/** The kind's own rules on the checker, when its executor has any. */
async function approverRefusal(
  ctx: ApprovalsContext, q: Queryable, proposal: ProposalRow | undefined, principal: Principal | undefined,
) {
  const executor = proposal === undefined ? undefined : ctx.registry.get(proposal.kind);
  if (executor?.checkApprover === undefined || proposal === undefined || principal === undefined) return undefined;
  const payload = executor.parse(proposal.payload);
  return payload === undefined ? undefined : executor.checkApprover(q, payload, proposal, principal);
}

async function decide(ctx: ApprovalsContext, actor: Actor, id: string, to: 'approved' | 'rejected', now: number): Promise<ProposalOutcome> {
  const action = to === 'approved' ? 'proposal.approve' : 'proposal.reject';
  return ctx.store.transaction(async (tx) => {
    const proposal = await proposalById(tx, id);
    const proposer = proposal === undefined ? undefined : await operatorById(tx, proposal.proposedBy);
    let refusal = decisionRefusal(proposal, actor.principal, now, proposer?.createdBy);
    if (refusal === undefined && to === 'approved') refusal = await approverRefusal(ctx, tx, proposal, actor.principal);
    if (refusal === 'expire' && proposal !== undefined) {
      await decideProposal(tx, id, 'pending', 'expired', null, now);
      await audit(tx, actor, [{ action, target: id, outcome: 'denied', details: { reason: 'proposal_expired' } }, { action: 'proposal.expire', target: id, outcome: 'success' }], now);
      return { ok: false, code: 'proposal_expired', proposal: (await proposalById(tx, id)) as ProposalRow };
    }
    if (refusal !== undefined && refusal !== 'expire') {
      await audit(tx, actor, [{ action, target: proposal === undefined ? null : id, outcome: 'denied', details: { reason: refusal } }], now);
      return { ok: false, code: refusal };
    }
    // The conditional update is what makes a concurrent or replayed approval lose.
    if (!(await decideProposal(tx, id, 'pending', to, actor.principal?.id ?? null, now))) {
      await audit(tx, actor, [{ action, target: id, outcome: 'denied', details: { reason: 'proposal_not_pending' } }], now);
      return { ok: false, code: 'proposal_not_pending' };
    }
    await audit(tx, actor, [{ action, target: id, outcome: 'success', details: { kind: proposal?.kind } }], now);
    return { ok: true, proposal: (await proposalById(tx, id)) as ProposalRow };
  });
}

export async function approveProposal(ctx: ApprovalsContext, actor: Actor, id: string, clock: () => number): Promise<ProposalOutcome> {
  const decided = await decide(ctx, actor, id, 'approved', clock());
  if (!decided.ok) return decided;
  return { ok: true, proposal: await executeApprovedProposal(ctx, id, clock, actor) };
}

export async function rejectProposal(ctx: ApprovalsContext, actor: Actor, id: string, now: number): Promise<ProposalOutcome> {
  return decide(ctx, actor, id, 'rejected', now);
}

/**
 * Runs an approved proposal's executor once; safe to call again after a crash (the effect is keyed by
 * the proposal id). The execution entry names the checker (operator, session, address) when run by
 * their approval, and both maker and checker always.
 */
export async function executeApprovedProposal(ctx: ApprovalsContext, id: string, clock: () => number, actor: Actor = systemActor): Promise<ProposalRow> {
  const proposal = await proposalById(ctx.store, id);
  if (proposal === undefined || proposal.state !== 'approved') return proposal as ProposalRow;
  const executor = ctx.registry.get(proposal.kind);
  const payload = executor?.parse(proposal.payload);
  const first: ExecutionResult = executor === undefined || payload === undefined
    ? { ok: false, code: 'proposal_kind_unknown' }
    : executor.outside === undefined ? { ok: true, result: {} } : await executor.outside(payload, proposal);
  const now = clock();
  await ctx.store.transaction(async (tx) => {
    // Claim first: the conditional update takes the row, so a concurrent executor finds nothing to do.
    if (!(await finishProposal(tx, id, 'executed', null, now))) return;
    const second = first.ok && executor?.inside !== undefined && payload !== undefined ? await executor.inside(tx, payload, proposal, now, actor) : first;
    const result = second.ok ? { ...(first.ok ? first.result : {}), ...second.result } : { code: second.code, ...(second.detail === undefined ? {} : { detail: second.detail }) };
    await recordProposalResult(tx, id, second.ok ? 'executed' : 'failed', result);
    const details = { kind: proposal.kind, proposedBy: proposal.proposedBy, approvedBy: proposal.decidedBy, ...result };
    await audit(tx, actor, [{ action: 'proposal.execute', target: id, outcome: second.ok ? 'success' : 'failure', details }], now);
  });
  return (await proposalById(ctx.store, id)) as ProposalRow;
}

/** Sweeps: expire what waited too long, and finish approvals a crash interrupted. */
export async function sweepProposals(ctx: ApprovalsContext, clock: () => number): Promise<{ expired: number; executed: number }> {
  const now = clock();
  const expired = await ctx.store.transaction(async (tx) => {
    const ids = await expiredPendingProposals(tx, now, 500);
    for (const id of ids) {
      if (await decideProposal(tx, id, 'pending', 'expired', null, now)) await audit(tx, systemActor, [{ action: 'proposal.expire', target: id, outcome: 'success' }], now);
    }
    return ids.length;
  });
  const pending = await approvedProposals(ctx.store, 100);
  for (const id of pending) await executeApprovedProposal(ctx, id, clock);
  return { expired, executed: pending.length };
}

/**
 * Opens a proposal inside the caller's transaction, for a proposal another capability's use case
 * makes on someone's behalf (a merchant's large refund): the proposal exists exactly when the thing
 * it decides does. The proposer is recorded as given (e.g. `merchant:<id>`), so no operator is
 * taken for its maker and any operator holding an approver role may check it.
 */
export async function openProposalWithin(tx: Tx, input: { kind: string; payload: unknown; proposedBy: string; approverRoles: readonly OperatorRole[]; reason: string | null; ttlMs: number }, now: number): Promise<string> {
  const id = newId('prp', now);
  await insertProposal(tx, { id, kind: input.kind, payload: input.payload, proposedBy: input.proposedBy, approverRoles: input.approverRoles, reason: input.reason, now, expiresAt: now + input.ttlMs });
  await audit(tx, systemActor, [{ action: 'proposal.create', target: id, outcome: 'success', details: { kind: input.kind, proposedBy: input.proposedBy } }], now);
  return id;
}
