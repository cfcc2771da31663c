// Assessing a money event (payment, top-up, withdrawal) with the running engine: the caller's own
// features (amount, device age, payee history), the stored ones (counters, first-seen marks, lists:
// ONE read), the customer's age and class and the hour, with every other catalogue feature at its
// neutral value; then the decision and the record to store. Counting the event and storing the
// decision are done by recordAssessments inside the caller's transaction (the payment batch), so the
// hot path adds one read per payment and a constant number of statements per batch.
import { newId } from '../ids.ts';
import type { Queryable, Store, Tx } from '../store/index.ts';
import type { CounterRow } from './counters.ts';
import type { EngineDecision, RiskEngine } from './engine.ts';
import { neutralRecord, nonNeutral, type Value } from './features.ts';
import { localHourOf } from './login-risk.ts';
import { countInto, moneyFeatureValues, type MoneyEvent, type StoredRows } from './money-features.ts';
import type { PaymentRiskDecision } from './payment-risk.ts';
import { profileAfter } from './profile.ts';
import { openReviewCases } from './review-case.ts';
import type { RiskSignal } from './ruleset.ts';
import { insertDecisions, loadStoredRows, recordMoneyEvents, type DecisionRecord } from './store.ts';

export interface MoneyAssessment {
  readonly decision: EngineDecision;
  readonly record: DecisionRecord;
  readonly event: MoneyEvent;
  /** The rows assessBatch read inside the caller's transaction, before the batch counted anything. */
  readonly readInTransaction?: StoredRows;
  /** The batch's working counters once every one of its events was counted (assessBatch), with them. */
  readonly countedInTransaction?: CountedBatch;
  /** The customer's AML risk level in force as read for this event ('' unrated): it also cuts day limits. */
  readonly customerLevel: string;
}

/** The counter rows after a whole batch, as its decisions counted them event by event (countInto). */
export interface CountedBatch {
  readonly counters: ReadonlyMap<string, CounterRow>;
  readonly events: readonly MoneyEvent[];
  readonly now: number;
}

export interface MoneyAssessmentInput {
  readonly event: MoneyEvent;
  /** Features the caller already knows (payment-risk.ts's record as paymentFeatureValues). */
  readonly known: Readonly<Record<string, Value>>;
  readonly customer: { readonly createdAt: number; readonly accountClass: string };
  readonly subjectRef: string | null;
  readonly signals?: readonly RiskSignal[];
}

function assessmentOf(engine: RiskEngine, input: MoneyAssessmentInput, rows: StoredRows, now: number): MoneyAssessment {
  const { event } = input;
  // One record, filled in place in the order the spread it replaces had (neutral, stored, known).
  const features = neutralRecord(event.event, event.amount.currency);
  moneyFeatureValues(event, rows, now, features);
  features['customer.age'] = Math.max(0, now - input.customer.createdAt);
  features['customer.class'] = input.customer.accountClass;
  const customerLevel = rows.mlRisk?.get(event.customerId) ?? '';
  features['customer.ml_risk'] = customerLevel;
  features.hour = localHourOf(now);
  Object.assign(features, input.known);
  const decision = engine.decide(event.event, features, input.signals ?? []);
  const record: DecisionRecord = {
    id: newId('rsk', now),
    event: event.event,
    subjectRef: input.subjectRef,
    customerId: event.customerId,
    decision,
    features: nonNeutral(features, event.event, event.amount.currency),
    version: decision.version,
    at: now,
  };
  return { decision, record, event, customerLevel };
}

/** One event assessed on its own: its stored features read in one statement (outside any batch). */
export async function assessMoneyEvent(
  engine: RiskEngine,
  q: Queryable,
  input: MoneyAssessmentInput,
  now: number,
): Promise<MoneyAssessment> {
  return assessmentOf(engine, input, await loadStoredRows(q, [input.event]), now);
}

/**
 * The events of a batch assessed inside its transaction: one read for all of them, then each decided
 * in order against a working copy that counts the ones before it, so a burst inside one batch (card
 * testing, fan-out) is seen by its own later events. `undefined` inputs are passed through.
 */
export async function assessBatch(
  tx: Tx,
  engine: RiskEngine,
  inputs: ReadonlyArray<MoneyAssessmentInput | undefined>,
  now: number,
): Promise<Array<MoneyAssessment | undefined>> {
  const events = inputs.flatMap((input) => (input === undefined ? [] : [input.event]));
  if (events.length === 0) return inputs.map(() => undefined);
  const stored = await loadStoredRows(tx, events);
  const counters = new Map(stored.counters);
  const seen = new Set(stored.seen);
  const profiles = new Map(stored.profiles);
  const counted: CountedBatch = { counters, events, now };
  return inputs.map((input) => {
    if (input === undefined) return undefined;
    const assessment: MoneyAssessment = {
      ...assessmentOf(engine, input, { counters, seen, lists: stored.lists, profiles, mlRisk: stored.mlRisk }, now),
      readInTransaction: stored,
      countedInTransaction: counted,
    };
    const { customerId, ip } = input.event;
    profiles.set(customerId, profileAfter(profiles.get(customerId), ip, localHourOf(now), now));
    countInto(counters, seen, input.event, now);
    return assessment;
  });
}

/** Stores the decisions and counts their events, inside the caller's transaction. */
export async function recordAssessments(
  tx: Tx,
  dialect: Store['dialect'],
  assessments: readonly MoneyAssessment[],
  now: number,
): Promise<void> {
  if (assessments.length === 0) return;
  await insertDecisions(
    tx,
    assessments.map((a) => a.record),
  );
  await openReviewCases(tx, assessments, now);
  const read = assessments[0]?.readInTransaction;
  const events = assessments.map((a) => a.event);
  await recordMoneyEvents(
    tx,
    dialect,
    events,
    now,
    assessments.every((a) => a.readInTransaction === read) ? read : undefined,
    wholeBatchCounted(assessments, events, now),
  );
}

/**
 * The batch's working counters when these are all its events, in its order, recorded at the time they
 * were decided: then they are the rows counting the events gives (counters.test.ts), not counted twice.
 */
function wholeBatchCounted(
  assessments: readonly MoneyAssessment[],
  events: readonly MoneyEvent[],
  now: number,
): ReadonlyMap<string, CounterRow> | undefined {
  const counted = assessments[0]?.countedInTransaction;
  if (counted === undefined || counted.now !== now || counted.events.length !== events.length) return undefined;
  for (let i = 0; i < events.length; i++)
    if (counted.events[i] !== events[i] || assessments[i]?.countedInTransaction !== counted) return undefined;
  return counted.counters;
}

/**
 * The engine's decision as the payment flows take it: a `review` holds the payment (its money under a
 * ledger hold; a top-up or withdrawal before it reaches the bank) for an analyst.
 */
export function paymentRiskOf(decision: EngineDecision): PaymentRiskDecision {
  return { decision: decision.decision, reasons: decision.decision === 'allow' ? [] : decision.reasons };
}

/** The audit entry of a decision that did not simply allow (allowed ones are in risk_decisions). */
export function decisionAuditEvent(record: DecisionRecord): {
  actorType: 'system';
  actorId: string;
  action: string;
  target: string | null;
  outcome: 'success' | 'denied';
  details: Record<string, unknown>;
} {
  return {
    actorType: 'system',
    actorId: 'risk',
    action: 'risk.decision',
    target: record.subjectRef,
    outcome: record.decision.decision === 'deny' ? 'denied' : 'success',
    details: {
      decision: record.decision.decision,
      id: record.id,
      score: record.decision.score,
      reasons: record.decision.reasons,
      version: record.version,
    },
  };
}
