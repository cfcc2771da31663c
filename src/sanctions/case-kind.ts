// The `sanctions_hit` case kind: what the compliance queue may decide about a blocked party. Both
// outcomes are recorded on the case; clearing a hit as a false positive takes two people, because it
// is what lets a matched party through when the party tries again and is matched again.
import type { CaseKindRegistration } from '../cases/index.ts';

const hourMs = 3600_000;

export const sanctionsHitKind: CaseKindRegistration = {
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
