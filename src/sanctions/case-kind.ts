// The `sanctions_hit` case kind: what the compliance queue may decide about a blocked party. Both
// outcomes are recorded on the case; clearing a hit as a false positive takes two people, because it
// is what lets a matched party through when the party tries again and is matched again — and, for an
// existing customer or merchant hit after the fact, what lifts the freeze on them.
import { actorIdOf, caseAuditEvent, type CaseDecisionHandler, type CaseKindRegistration } from '../cases/index.ts';
import { appendAudit } from '../audit/index.ts';
import { freezeActive, insertClearance, liftFreeze, liftMerchantFreeze, merchantFreezeActive } from './store.ts';

const hourMs = 3600_000;

/** The frozen party a decision speaks of (the audit target): the customer or merchant, else none. */
function frozenPartyOf(subject: { type: string; id: string }): string | null {
  return subject.type === 'customer' || subject.type === 'merchant' ? subject.id : null;
}

/**
 * A false positive clears the list entry for this name and birth date (by hash) and lifts the case's
 * freeze (a customer's or a merchant's); a confirmed match keeps the freeze (audited when there is
 * one). Both at the decision's clock; the false positive is the checker's approval (four eyes).
 */
const decideHit: CaseDecisionHandler = async (tx, record, decision, actor, now) => {
  const party = frozenPartyOf(record.subject);
  const details = { caseId: record.id, decision };
  if (decision !== 'false_positive') {
    if ((await freezeActive(tx, record.id)) || (await merchantFreezeActive(tx, record.id)))
      await appendAudit(tx, [caseAuditEvent(actor, 'sanctions.freeze.keep', party, 'success', details)], now);
    return { ok: true };
  }
  const { entryId, nameKey } = record.details as { entryId?: unknown; nameKey?: unknown };
  if (typeof entryId !== 'string' || typeof nameKey !== 'string') return { ok: false, code: 'case_status_invalid' };
  const clearedBy = actorIdOf(actor);
  await insertClearance(tx, { entryId, nameKey, caseId: record.id, clearedBy, now });
  const lifted =
    (await liftFreeze(tx, record.id, clearedBy, now)) + (await liftMerchantFreeze(tx, record.id, clearedBy, now));
  if (lifted > 0)
    await appendAudit(tx, [caseAuditEvent(actor, 'sanctions.freeze.lift', party, 'success', details)], now);
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
