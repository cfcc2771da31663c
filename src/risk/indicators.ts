// Risk indicators (R4.3): decline (deny), challenge and review rates per event, the fraud rate among
// labelled decisions, and each rule's hit rate, over a time range of stored decisions. The /metrics
// counters (http/metrics.ts) give the same rates live; this is the operator API's view of a range.
import type { StoredDecision } from './store.ts';

export interface EventIndicators {
  decisions: number;
  allow: number;
  challenge: number;
  review: number;
  deny: number;
  denyRate: number;
  challengeRate: number;
  reviewRate: number;
}

export interface Indicators {
  readonly from: number;
  readonly to: number;
  readonly decisions: number;
  readonly events: Readonly<Record<string, EventIndicators>>;
  readonly rules: ReadonlyArray<{ rule: string; hits: number; hitRate: number; shadow: boolean }>;
  readonly labelled: number;
  readonly fraudRate: number | null;
}

const rate = (n: number, of: number): number => (of === 0 ? 0 : Math.round((n / of) * 10_000) / 10_000);

export function indicatorsOf(decisions: readonly StoredDecision[], from: number, to: number): Indicators {
  const events: Record<string, EventIndicators> = {};
  const hits = new Map<string, { hits: number; shadow: boolean }>();
  let labelled = 0;
  let fraud = 0;
  for (const d of decisions) {
    const e = (events[d.event] ??= {
      decisions: 0,
      allow: 0,
      challenge: 0,
      review: 0,
      deny: 0,
      denyRate: 0,
      challengeRate: 0,
      reviewRate: 0,
    });
    e.decisions += 1;
    e[d.decision] += 1;
    for (const h of d.hits) hits.set(h.rule, { hits: (hits.get(h.rule)?.hits ?? 0) + 1, shadow: false });
    for (const h of d.shadowHits) hits.set(h.rule, { hits: (hits.get(h.rule)?.hits ?? 0) + 1, shadow: true });
    if (d.label !== null) labelled += 1;
    if (d.label === 'fraud') fraud += 1;
  }
  for (const e of Object.values(events)) {
    e.denyRate = rate(e.deny, e.decisions);
    e.challengeRate = rate(e.challenge, e.decisions);
    e.reviewRate = rate(e.review, e.decisions);
  }
  const rules = [...hits.entries()]
    .map(([rule, h]) => ({ rule, hits: h.hits, hitRate: rate(h.hits, decisions.length), shadow: h.shadow }))
    .sort((a, b) => b.hits - a.hits);
  return {
    from,
    to,
    decisions: decisions.length,
    events,
    rules,
    labelled,
    fraudRate: labelled === 0 ? null : rate(fraud, labelled),
  };
}
