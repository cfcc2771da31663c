// The `sanctions_hit` case kind: what the compliance queue may decide about a blocked party. Both
// outcomes are recorded on the case; clearing a hit as a false positive takes two people, because it
// is what lets a matched party through when the party tries again and is matched again.
import { actorIdOf, type CaseDecisionHandler, type CaseKindRegistration } from '../cases/index.ts';
import { insertClearance } from './store.ts';

const hourMs = 3600_000;

/** A false positive clears the list entry for this name and birth date (by hash); a confirmed match changes nothing. */
const clearOnFalsePositive: CaseDecisionHandler = async (tx, record, decision, actor) => {
  if (decision !== 'false_positive') return { ok: true };
  const { entryId, nameKey } = record.details as { entryId?: unknown; nameKey?: unknown };
  if (typeof entryId !== 'string' || typeof nameKey !== 'string') return { ok: false, code: 'case_status_invalid' };
  await insertClearance(tx, { entryId, nameKey, caseId: record.id, clearedBy: actorIdOf(actor), now: Date.now() });
  return { ok: true };
};

export const sanctionsHitKind: CaseKindRegistration = {
  handler: clearOnFalsePositive,
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
