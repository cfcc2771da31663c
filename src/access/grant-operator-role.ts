// Maker–checker kind `operator.role_grant`: a new operator's role counts only when an administrator
// other than their creator approves it (in an interactive session, like every approval). Until then
// the operator can enrol but can neither log in nor hold a token.
import { audit, systemActor } from './actor.ts';
import type { ProposalExecutor } from './approvals.ts';
import { operatorRoles, type OperatorRole } from './api-tokens.ts';
import { grantRole } from './credentials-store.ts';
import { operatorById } from './store.ts';

export interface RoleGrant {
  readonly operatorId: string;
  readonly role: OperatorRole;
}

function parseRoleGrant(payload: unknown): RoleGrant | undefined {
  if (typeof payload !== 'object' || payload === null) return undefined;
  const { operatorId, role, ...rest } = payload as Record<string, unknown>;
  if (Object.keys(rest).length > 0 || typeof operatorId !== 'string' || !/^opr_[0-9a-z]{26}$/.test(operatorId)) return undefined;
  if (typeof role !== 'string' || !(operatorRoles as readonly string[]).includes(role) || role === 'administrator') return undefined;
  return { operatorId, role: role as OperatorRole };
}

export const operatorRoleGrant: ProposalExecutor<RoleGrant> = {
  kind: 'operator.role_grant',
  proposerRoles: ['administrator'],
  approverRoles: ['administrator'],
  parse: parseRoleGrant,
  async check(q, grant, proposer) {
    if (grant.operatorId === proposer.id) return 'proposal_self_target';
    const target = await operatorById(q, grant.operatorId);
    if (target === undefined || target.role !== grant.role || target.roleGrantedAt !== null) return 'proposal_payload_invalid';
    return undefined;
  },
  async inside(tx, grant, proposal, now) {
    const target = await operatorById(tx, grant.operatorId);
    if (target === undefined) return { ok: false, code: 'operator_not_found' };
    if (!(await grantRole(tx, target.id, grant.role, now))) return { ok: false, code: 'proposal_payload_invalid', detail: 'the role was granted already or differs' };
    await audit(tx, systemActor, [{ action: 'operator.role_grant', target: target.id, outcome: 'success', details: { role: grant.role, proposal: proposal.id, proposedBy: proposal.proposedBy, approvedBy: proposal.decidedBy } }], now);
    return { ok: true, result: { operatorId: target.id, role: grant.role } };
  },
};
