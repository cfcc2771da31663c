// The `sanctions_hit` case kind: what the compliance queue may decide about a blocked party. Both
// outcomes are recorded on the case; clearing a hit as a false positive takes two people, because it
// is what lets a matched party through when the party tries again and is matched again — and, for an
// existing customer hit on re-screening, what lifts the freeze on their outgoing money.
import { actorIdOf, caseAuditEvent, type CaseDecisionHandler, type CaseKindRegistration } from '../cases/index.ts';
import { appendAudit } from '../audit/index.ts';
import { freezeActive, insertClearance, liftFreeze } from './store.ts';

const hourMs = 3600_000;

/**
 * A false positive clears the list entry for this name and birth date (by hash) and lifts the case's
 * freeze; a confirmed match keeps the freeze (audited when there is one). Both at the decision's clock.
 */
const decideHit: CaseDecisionHandler = async (tx, record, decision, actor, now) => {
  const customerId = record.subject.type === 'customer' ? record.subject.id : null;
  if (decision !== 'false_positive') {
    if (await freezeActive(tx, record.id)) {
      const details = { caseId: record.id, decision };
      await appendAudit(tx, [caseAuditEvent(actor, 'sanctions.freeze.keep', customerId, 'success', details)], now);
    }
    return { ok: true };
  }
  const { entryId, nameKey } = record.details as { entryId?: unknown; nameKey?: unknown };
  if (typeof entryId !== 'string' || typeof nameKey !== 'string') return { ok: false, code: 'case_status_invalid' };
  const clearedBy = actorIdOf(actor);
  await insertClearance(tx, { entryId, nameKey, caseId: record.id, clearedBy, now });
  if ((await liftFreeze(tx, record.id, clearedBy, now)) > 0) {
    const details = { caseId: record.id, decision };
    await appendAudit(tx, [caseAuditEvent(actor, 'sanctions.freeze.lift', customerId, 'success', details)], now);
  }
  return { ok: true };
};

export const sanctionsHitKind: CaseKindRegistration = {
  handler: decideHit,
  definition: {
    kind: 'sanctions_hit',
    queue: 'compliance',
    // Business hours: first look within 2 h, resolved within one business day (9 h).
    sla: { firstResponse: 2 * hourMs, resolution: 9 * hourMs, calendar: 'business' },
    decisions: {
      confirmed_match: { fourEyes: false },
      false_positive: { fourEyes: true },
    },
    roles: { work: ['risk_analyst', 'administrator'], decide: ['risk_analyst', 'administrator'] },
  },
};
