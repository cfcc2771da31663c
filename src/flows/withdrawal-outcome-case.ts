// The `withdrawal_outcome_unknown` case kind (issue 10), given to the case system at wiring: the
// withdrawal-status sweep opens one per withdrawal whose bank outcome stays unknown past
// ANFU_WITHDRAWAL_OUTCOME_UNKNOWN_AFTER_MS (queue operations). Its decisions `paid` / `not_paid` are
// four-eyes; after the checker approves, the case's money step runs the same resolution as the
// `withdrawal.resolve` proposal (post or void the hold), and the decision handler checks it took.
import type { CaseDecisionHandler, CaseKindRegistration, CaseMoneyHandler } from '../cases/index.ts';
import { fundingById, type PaymentsContext } from '../payments/index.ts';
import { resolveOutcomeUnknown } from './withdraw-to-card.ts';

const hour = 3_600_000;
const finalStateOf = { paid: 'succeeded', not_paid: 'failed' } as const;

export const withdrawalOutcomeDecisions = {
  paid: { fourEyes: true },
  not_paid: { fourEyes: true },
} as const;

const fundingIdOf = (details: Record<string, unknown> | null | undefined) =>
  typeof details?.fundingId === 'string' ? details.fundingId : undefined;

function withdrawalOutcomeMoney(ctx: PaymentsContext): CaseMoneyHandler {
  return async (caseRecord, decision, key) => {
    const fundingId = fundingIdOf(caseRecord.details);
    if (fundingId === undefined || (decision !== 'paid' && decision !== 'not_paid'))
      return { ok: false, code: 'not_found' };
    const row = await fundingById(ctx.store, fundingId);
    // A retried execution after the resolution took: nothing more to do.
    if (row?.kind === 'withdrawal' && row.state === finalStateOf[decision]) return { ok: true };
    return resolveOutcomeUnknown(ctx, { fundingId, outcome: decision }, key);
  };
}

const withdrawalOutcomeHandler: CaseDecisionHandler = async (tx, caseRecord, decision) => {
  const fundingId = fundingIdOf(caseRecord.details);
  const row = fundingId === undefined ? undefined : await fundingById(tx, fundingId);
  if (row === undefined) return { ok: false, code: 'not_found' };
  const expected = finalStateOf[decision as keyof typeof finalStateOf];
  return row.state === expected ? { ok: true } : { ok: false, code: 'payment_state_invalid' };
};

export function withdrawalOutcomeCaseKind(ctx: PaymentsContext): CaseKindRegistration {
  const roles = ['administrator', 'operations'] as const;
  return {
    definition: {
      kind: 'withdrawal_outcome_unknown',
      queue: 'operations',
      sla: { firstResponse: 4 * hour, resolution: 18 * hour, calendar: 'business' },
      decisions: withdrawalOutcomeDecisions,
      roles: { decide: roles, approve: roles },
    },
    handler: withdrawalOutcomeHandler,
    money: withdrawalOutcomeMoney(ctx),
  };
}
