// The `reconciliation_break` case kind, given to the case system at wiring: its queue, its SLA (a
// first look within 4 business hours, resolved within 3 business days; severity from the amount and
// escalation by age are the break's own, breaks.ts), and its decisions. Correcting by adjustment and
// closing without money both need four eyes; the handler approves the break inside the case's
// transaction, and postApprovedBreaks posts the adjustment after it commits.
import type { CaseDecisionHandler, CaseKindRegistration } from '../cases/index.ts';
import { approveBreak, breakById } from './breaks.ts';

const hour = 3_600_000;

export const reconciliationBreakDecisions = {
  post_adjustment: { fourEyes: true },
  accept_difference: { fourEyes: true },
  claim_from_bank: { fourEyes: false },
} as const;

export const reconciliationBreakHandler: CaseDecisionHandler = async (tx, caseRecord, decision) => {
  const breakId = caseRecord.details?.breakId;
  if (typeof breakId !== 'string') return { ok: false, code: 'break_not_found' };
  const b = await breakById(tx, breakId);
  if (b === undefined) return { ok: false, code: 'break_not_found' };
  if (decision === 'claim_from_bank') return { ok: true };
  if (decision === 'accept_difference' && b.balanceEffect !== 0n) return { ok: false, code: 'adjustment_required' };
  if (!(await approveBreak(tx, breakId, Date.now()))) return { ok: false, code: 'break_resolved' };
  return { ok: true };
};

export function reconciliationCaseKind(): CaseKindRegistration {
  return {
    definition: {
      kind: 'reconciliation_break',
      queue: 'reconciliation',
      sla: { firstResponse: 4 * hour, resolution: 27 * hour, calendar: 'business' },
      decisions: reconciliationBreakDecisions,
    },
    handler: reconciliationBreakHandler,
  };
}
