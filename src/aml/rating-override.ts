// An operator's override of a customer's risk rating is a maker–checker proposal (`aml.rating_override`):
// a compliance analyst proposes a level (or null to end an override) with the reason, a second operator
// approves, and the level is set in the transaction that executes the proposal, audited with both names.
// It is stored with the computed level it was approved against: an override that raised the level stays
// until a second operator ends it (null under four eyes; there is no expiry), one that lowered it ends when
// a re-rating computes higher than that (customer-risk-rating.ts levelInForce).
import type { ProposalExecutor } from '../access/index.ts';
import { appendAudit } from '../audit/index.ts';
import { newId } from '../ids.ts';
import { levelInForce, riskLevels, type RiskLevel } from './customer-risk-rating.ts';
import { insertRatingHistory, setRatingOverride, storedRating } from './customer-rating-store.ts';

export interface RatingOverride {
  readonly customerId: string;
  /** null ends the override: the computed level is in force again. */
  readonly level: RiskLevel | null;
  readonly reason: string;
}

export const ratingOverrideReasonMax = 500;

export function parseRatingOverride(payload: unknown): RatingOverride | undefined {
  const p = payload as Partial<Record<keyof RatingOverride, unknown>> | null;
  if (p === null || typeof p !== 'object') return undefined;
  if (typeof p.customerId !== 'string' || !/^cus_[0-9a-z]{1,40}$/u.test(p.customerId)) return undefined;
  if (p.level !== null && !riskLevels.includes(p.level as RiskLevel)) return undefined;
  if (typeof p.reason !== 'string' || p.reason.trim() === '' || p.reason.length > ratingOverrideReasonMax)
    return undefined;
  return { customerId: p.customerId, level: p.level as RiskLevel | null, reason: p.reason };
}

export const ratingOverrideExecutor: ProposalExecutor<RatingOverride> = {
  kind: 'aml.rating_override',
  proposerRoles: ['risk_analyst', 'administrator'],
  approverRoles: ['risk_analyst', 'administrator'],
  parse: parseRatingOverride,
  async check(q, payload) {
    return (await storedRating(q, payload.customerId)) === undefined ? 'proposal_payload_invalid' : undefined;
  },
  async inside(tx, payload, proposal, now) {
    const before = await storedRating(tx, payload.customerId);
    if (before === undefined) return { ok: false, code: 'aml_rating_not_found' };
    const { level: wanted, reason } = payload;
    const against = before.computedLevel;
    const override = wanted === null ? null : { level: wanted, against, proposalId: proposal.id, reason };
    const { level } = levelInForce(against, override);
    await setRatingOverride(tx, payload.customerId, { override, level }, now);
    const computed = { level: before.computedLevel, score: before.score, factors: before.factors };
    const history = { customerId: payload.customerId, level, computed, factorsJson: before.factorsJson };
    await insertRatingHistory(tx, { id: newId('rtg', now), ...history, cause: 'override', now });
    const details = {
      proposal: proposal.id,
      proposedBy: proposal.proposedBy,
      approvedBy: proposal.decidedBy,
      from: before.level,
      to: level,
      computedLevel: against,
      overrideEnded: payload.level === null,
    };
    const entry = { actorType: 'system' as const, actorId: 'aml', action: 'aml.rating_override' };
    await appendAudit(tx, [{ ...entry, target: payload.customerId, outcome: 'success', details }], now);
    return { ok: true, result: { customerId: payload.customerId, level } };
  },
};
