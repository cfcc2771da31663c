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

const operatorIdPattern = /^opr_[0-9a-z]{26}$/;

function parseRoleGrant(payload: unknown): RoleGrant | undefined {
  if (typeof payload !== 'object' || payload === null) return undefined;
  const { operatorId, role, ...rest } = payload as Record<string, unknown>;
  if (Object.keys(rest).length > 0) return undefined;
  if (typeof operatorId !== 'string' || !operatorIdPattern.test(operatorId)) return undefined;
  // Administrators are made by an approved role change, never granted at creation.
  const known = typeof role === 'string' && (operatorRoles as readonly string[]).includes(role);
  if (!known || role === 'administrator') return undefined;
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
    const grantable = target !== undefined && target.role === grant.role && target.roleGrantedAt === null;
    return grantable ? undefined : 'proposal_payload_invalid';
  },
  async inside(tx, grant, proposal, now) {
    const target = await operatorById(tx, grant.operatorId);
    if (target === undefined) return { ok: false, code: 'operator_not_found' };
    if (!(await grantRole(tx, target.id, grant.role, now))) {
      return { ok: false, code: 'proposal_payload_invalid', detail: 'the role was granted already or differs' };
    }
    const { proposedBy, decidedBy: approvedBy } = proposal;
    const details = { role: grant.role, proposal: proposal.id, proposedBy, approvedBy };
    const line = { action: 'operator.role_grant', target: target.id, outcome: 'success' as const, details };
    await audit(tx, systemActor, [line], now);
    return { ok: true, result: { operatorId: target.id, role: grant.role } };
  },
};
