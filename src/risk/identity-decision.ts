// Decisions where identity moves — login (login-decider.ts), card binding and factor change — taken
// by the running rule set like money's: the caller's features (device age, factor change, the lists and
// velocity of identity-store.ts, …) with the customer's age and class and the hour, every other
// catalogue feature neutral. The decision is stored with its feature snapshot, score and rules hit, the
// event counted (velocity), audited (`risk.decision`, every outcome), and a `review` opens a
// `risk_review` case on the subject, all in the caller's transaction. What the caller does with the
// outcome is its own: `deny` refuses with its code, `challenge` asks a step-up, `review` lets the case
// decide afterwards.
import { appendAudit } from '../audit/index.ts';
import { openCase } from '../cases/index.ts';
import { newId } from '../ids.ts';
import type { Tx } from '../store/index.ts';
import type { EngineDecision, RiskEngine } from './engine.ts';
import { neutralFeatures, nonNeutral, type Value } from './features.ts';
import { countIdentityEvent, type IdentitySubjects } from './identity-store.ts';
import { localHourOf } from './login-risk.ts';
import { insertDecisions, type DecisionRecord } from './store.ts';

export type IdentityRiskEvent = 'login' | 'card_binding' | 'factor_change';

export interface IdentityEventInput {
  readonly event: IdentityRiskEvent;
  readonly customerId: string;
  readonly deviceId: string | null;
  /** What the decision is about (a card binding's id, the customer for a factor change). */
  readonly subject: { readonly type: string; readonly id: string };
  readonly customer: { readonly createdAt: number; readonly accountClass: string };
  /** Features the caller knows (`device.age`, `factor.changed_ago`, …), by catalogue name. */
  readonly known: Readonly<Record<string, Value>>;
  /** The subjects whose velocity counters this event advances when its decision is stored. */
  readonly counted?: IdentitySubjects | undefined;
}

export interface IdentityAssessment {
  readonly decision: EngineDecision;
  readonly record: DecisionRecord;
  readonly input: IdentityEventInput;
}

/** Decides the event (no database: the engine decides in memory). */
export function assessIdentityEvent(engine: RiskEngine, input: IdentityEventInput, now: number): IdentityAssessment {
  const features: Record<string, Value> = {
    ...neutralFeatures(input.event, 'CNY'),
    'customer.age': Math.max(0, now - input.customer.createdAt),
    'customer.class': input.customer.accountClass,
    hour: localHourOf(now),
    ...input.known,
  };
  const decision = engine.decide(input.event, features);
  const record: DecisionRecord = {
    id: newId('rsk', now),
    event: input.event,
    subjectRef: input.subject.id,
    customerId: input.customerId,
    decision,
    features: nonNeutral(features, input.event, 'CNY'),
    version: decision.version,
    at: now,
  };
  return { decision, record, input };
}

/** Stores the decision, audits it and opens the review case, in `tx`. */
export async function recordIdentityDecision(
  tx: Tx,
  assessment: IdentityAssessment,
  actor: { readonly ip: string | null },
  now: number,
): Promise<void> {
  const { decision, record, input } = assessment;
  await insertDecisions(tx, [record]);
  if (input.counted !== undefined) await countIdentityEvent(tx, input.counted, now);
  const details = {
    event: input.event, decision: decision.decision, id: record.id, score: decision.score,
    reasons: decision.reasons, rules: decision.hits.map((h) => h.rule), version: record.version,
  };
  await appendAudit(tx, [{
    actorType: 'system', actorId: 'risk', device: input.deviceId, ip: actor.ip, action: 'risk.decision',
    target: `${input.subject.type}:${input.subject.id}`, outcome: decision.decision === 'deny' ? 'denied' : 'success',
    details,
  }], now);
  if (decision.decision !== 'review') return;
  await openCase(tx, {
    kind: 'risk_review',
    dedupeKey: record.id,
    title: `Risk review (${input.event}): ${decision.reasons.slice(0, 3).join(', ')}`.slice(0, 200),
    subject: input.subject,
    customerId: input.customerId,
    severity: decision.score >= 80 ? 'high' : 'medium',
    evidence: [
      { type: 'decision', ref: record.id },
      ...(input.deviceId === null ? [] : [{ type: 'device', ref: input.deviceId }]),
    ],
    openedBy: 'system:risk',
    details: { decisionId: record.id, deviceId: input.deviceId, score: decision.score, event: input.event },
  }, now);
}
