// The risk engine's indicators on /metrics (R4.3): decisions by event and outcome (so decline,
// challenge and review rates are ratios of these), and hits per rule, active and shadow.
import { Counter } from 'prom-client';
import type { Metrics } from '../http/metrics.ts';
import type { RiskDecision, RiskEvent } from '../risk/index.ts';

export function riskObserver(metrics: Metrics): (event: RiskEvent, decision: RiskDecision) => void {
  const decisions = new Counter({
    name: 'anfu_risk_decisions_total',
    help: 'Risk decisions by event and outcome (allow, challenge, review, deny)',
    labelNames: ['event', 'decision'] as const,
    registers: [metrics.registry],
  });
  const hits = new Counter({
    name: 'anfu_risk_rule_hits_total',
    help: 'Rule hits by rule id and mode (active rules act; shadow rules are only recorded)',
    labelNames: ['rule', 'mode'] as const,
    registers: [metrics.registry],
  });
  return (event, decision) => {
    decisions.inc({ event, decision: decision.decision });
    for (const hit of decision.hits) hits.inc({ rule: hit.rule, mode: 'active' });
    for (const hit of decision.shadowHits) hits.inc({ rule: hit.rule, mode: 'shadow' });
  };
}
