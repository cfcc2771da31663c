// Rating a customer's money-laundering risk: load the facts (one customer, a handful of reads), decide
// with the pure rateFacts, and store the rating with its factors, the history row when it changed and
// an audit entry when the level changed — in the caller's transaction (registration, an AML case decided
// or opened) or in one of its own (the daily re-rating). An operator's override (a four-eyes proposal,
// rating-override.ts) is weighed against the new computed level by the pure levelInForce: one that raised
// the level is never lowered by a re-rating; one that lowered it ends when the evidence rates higher than
// what it was approved against (audited with the reason).
import { appendAudit } from '../audit/index.ts';
import { newId } from '../ids.ts';
import type { Queryable, Store, Tx } from '../store/index.ts';
import {
  defaultRatingSettings,
  levelInForce,
  rateFacts,
  type CustomerRating,
  type CustomerRiskFacts,
  type IdRegion,
  type RatingSettings,
  type RiskLevel,
} from './customer-risk-rating.ts';
import {
  customersDueForRating,
  insertRatingHistory,
  loadRatingFacts,
  storedRating,
  upsertRating,
  type StoredRating,
} from './customer-rating-store.ts';

/** Why a rating was computed: shown with it and in its history. */
export type RatingCause = 'registration' | 'aml_case_opened' | 'aml_case_decided' | 'daily' | 'override';

export interface RateOptions {
  readonly settings?: RatingSettings;
  /** At registration: where the ID was issued (kept for later ratings). */
  readonly idRegion?: IdRegion;
  /** A case being decided in this transaction (not yet marked decided): counted as decided so. */
  readonly decidingCase?: { readonly id: string; readonly decision: string };
}

export interface RatingResult {
  readonly customerId: string;
  readonly level: RiskLevel;
  readonly computed: CustomerRating;
  readonly changed: boolean;
}

/** Rates one customer inside `tx`; undefined when there is no such customer. */
export async function rateCustomer(
  tx: Tx,
  customerId: string,
  cause: RatingCause,
  now: number,
  options: RateOptions = {},
): Promise<RatingResult | undefined> {
  const settings = options.settings ?? defaultRatingSettings;
  const previous = await storedRating(tx, customerId);
  const idRegion = options.idRegion ?? previous?.idRegion ?? 'unknown';
  const facts = await loadRatingFacts(tx, customerId, { idRegion, now, settings, decidingCase: options.decidingCase });
  if (facts === undefined) return undefined;
  const computed = rateFacts(facts, settings);
  const before = previous?.override ?? null;
  const inForce = levelInForce(computed.level, before);
  const { level } = inForce;
  const override = inForce.overrideHolds ? before : null;
  const factors = JSON.stringify(computed.factors);
  // The history keeps changes of level or score (the account's age in days alone is not one).
  const changed = previous === undefined || previous.level !== level || previous.score !== computed.score;
  const row = { customerId, level, computed, factorsJson: factors, idRegion, cause, override, ratedAt: now };
  await upsertRating(tx, row);
  if (changed) {
    const history = { id: newId('rtg', now), customerId, level, computed, factorsJson: factors, cause, now };
    await insertRatingHistory(tx, history);
  }
  // Audited when the level in force changes, and when the computed one does under an override (kept or ended).
  const computedMoved = previous !== undefined && previous.computedLevel !== computed.level;
  if (previous === undefined || previous.level !== level || (before !== null && computedMoved)) {
    const from = previous === undefined ? null : previous.level;
    const overrideOutcome = before === null ? undefined : { override: before, ended: inForce.overrideEnded };
    await auditRating(tx, customerId, { from, to: level, computed, cause, overrideOutcome }, now);
  }
  return { customerId, level, computed, changed };
}

async function auditRating(
  tx: Tx,
  customerId: string,
  r: {
    from: RiskLevel | null;
    to: RiskLevel;
    computed: CustomerRating;
    cause: RatingCause;
    overrideOutcome: { override: NonNullable<StoredRating['override']>; ended: string | undefined } | undefined;
  },
  now: number,
): Promise<void> {
  const o = r.overrideOutcome;
  const override =
    o === undefined
      ? {}
      : {
          override: { level: o.override.level, approvedAgainst: o.override.against, proposal: o.override.proposalId },
          ...(o.ended === undefined ? { overrideKept: true } : { overrideEnded: true, overrideEndedReason: o.ended }),
        };
  const details = {
    from: r.from,
    to: r.to,
    score: r.computed.score,
    computedLevel: r.computed.level,
    cause: r.cause,
    ...override,
  };
  const entry = { actorType: 'system' as const, actorId: 'aml', action: 'aml.customer_rating', target: customerId };
  await appendAudit(tx, [{ ...entry, outcome: 'success', details }], now);
}

/** The facts as rateCustomer would read them now (for tests and the API's explanation). */
export async function ratingFactsOf(
  q: Queryable,
  customerId: string,
  now: number,
  settings: RatingSettings = defaultRatingSettings,
): Promise<CustomerRiskFacts | undefined> {
  const idRegion = (await storedRating(q, customerId))?.idRegion ?? 'unknown';
  return loadRatingFacts(q, customerId, { idRegion, now, settings });
}

/**
 * The daily re-rating: customers never rated or rated more than a day ago, oldest first, each in its
 * own short transaction, at most `budget` per call (the schedule calls again; restart-safe by design).
 */
export async function rerateDueCustomers(
  store: Store,
  now: number,
  options: { readonly budget?: number; readonly settings?: RatingSettings } = {},
): Promise<{ readonly rated: number; readonly changed: number }> {
  const due = await customersDueForRating(store, now - 86_400_000, options.budget ?? 500);
  let changed = 0;
  for (const customerId of due) {
    const result = await store.transaction((tx) =>
      rateCustomer(tx, customerId, 'daily', now, options.settings === undefined ? {} : { settings: options.settings }),
    );
    if (result?.changed === true) changed += 1;
  }
  return { rated: due.length, changed };
}

export { storedRating, ratingHistory, type StoredRating } from './customer-rating-store.ts';
