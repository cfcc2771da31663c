// Maker–checker kind `operator.role_change`: an administrator proposes, a different administrator
// approves. Nobody may propose a change of their own role (the classic self-escalation).
import { audit, systemActor } from './actor.ts';
import type { ProposalExecutor } from './approvals.ts';
import { operatorRoles, type OperatorRole } from './api-tokens.ts';
import { operatorById, updateOperatorRole } from './store.ts';

export interface RoleChange {
  readonly operatorId: string;
  readonly role: OperatorRole;
}

function parseRoleChange(payload: unknown): RoleChange | undefined {
  if (typeof payload !== 'object' || payload === null) return undefined;
  const { operatorId, role, ...rest } = payload as Record<string, unknown>;
  if (Object.keys(rest).length > 0 || typeof operatorId !== 'string' || !/^opr_[0-9a-z]{26}$/.test(operatorId)) return undefined;
  if (typeof role !== 'string' || !(operatorRoles as readonly string[]).includes(role)) return undefined;
  return { operatorId, role: role as OperatorRole };
}

export const operatorRoleChange: ProposalExecutor<RoleChange> = {
  kind: 'operator.role_change',
  proposerRoles: ['administrator'],
  approverRoles: ['administrator'],
  parse: parseRoleChange,
  async check(q, change, proposer) {
    if (change.operatorId === proposer.id) return 'proposal_self_target';
    const target = await operatorById(q, change.operatorId);
    if (target === undefined || target.role === change.role) return 'proposal_payload_invalid';
    return undefined;
  },
  async inside(tx, change, proposal, now) {
    const target = await operatorById(tx, change.operatorId);
    if (target === undefined) return { ok: false, code: 'operator_not_found' };
    await updateOperatorRole(tx, target.id, change.role);
    await audit(tx, systemActor, [{ action: 'operator.role_change', target: target.id, outcome: 'success', details: { from: target.role, to: change.role, proposal: proposal.id } }], now);
    return { ok: true, result: { operatorId: target.id, from: target.role, to: change.role } };
  },
};
