// Back-testing (R4.2): replays a rule set over the feature snapshots of stored decisions and reports,
// per rule, how often it hits (and how often on labelled fraud), which decisions would change, and —
// where analysts labelled outcomes — precision and recall of "not allowed" against "fraud". Pure
// over the decisions it is given; the caller pages them out of the store (decisionsBetween).
import { appendAudit } from '../audit/index.ts';
import type { Store } from '../store/index.ts';
import type { RiskEvent } from './features.ts';
import { decide, type CompiledRuleSet, type RiskAction } from './ruleset.ts';
import { labelDecision, type StoredDecision } from './store.ts';

export interface RuleStats {
  hits: number;
  shadowHits: number;
  fraudHits: number;
  legitimateHits: number;
}

export interface BacktestReport {
  readonly decisions: number;
  readonly changed: number;
  readonly changes: ReadonlyArray<{ id: string; from: RiskAction; to: RiskAction }>;
  readonly outcomes: Readonly<Record<RiskAction, number>>;
  readonly rules: Readonly<Record<string, RuleStats>>;
  readonly labelled: number;
  readonly precision: number | null;
  readonly recall: number | null;
}

const maxListedChanges = 200;

export function backtest(set: CompiledRuleSet, decisions: readonly StoredDecision[]): BacktestReport {
  const rules: Record<string, RuleStats> = {};
  const outcomes: Record<RiskAction, number> = { allow: 0, challenge: 0, review: 0, deny: 0 };
  const changes: Array<{ id: string; from: RiskAction; to: RiskAction }> = [];
  let changed = 0;
  const confusion = { tp: 0, fp: 0, fn: 0, labelled: 0 };
  for (const stored of decisions) {
    const replay = decide(set, stored.event as RiskEvent, stored.features);
    outcomes[replay.decision] += 1;
    if (replay.decision !== stored.decision) {
      changed += 1;
      if (changes.length < maxListedChanges)
        changes.push({ id: stored.id, from: stored.decision, to: replay.decision });
    }
    const tally = (id: string): RuleStats =>
      (rules[id] ??= { hits: 0, shadowHits: 0, fraudHits: 0, legitimateHits: 0 });
    for (const hit of replay.hits) {
      const stats = tally(hit.rule);
      stats.hits += 1;
      if (stored.label === 'fraud') stats.fraudHits += 1;
      if (stored.label === 'legitimate') stats.legitimateHits += 1;
    }
    for (const hit of replay.shadowHits) tally(hit.rule).shadowHits += 1;
    if (stored.label === null) continue;
    confusion.labelled += 1;
    const flagged = replay.decision !== 'allow';
    if (flagged && stored.label === 'fraud') confusion.tp += 1;
    else if (flagged) confusion.fp += 1;
    else if (stored.label === 'fraud') confusion.fn += 1;
  }
  const ratio = (a: number, b: number): number | null => (b === 0 ? null : Math.round((a / b) * 10_000) / 10_000);
  return {
    decisions: decisions.length,
    changed,
    changes,
    outcomes,
    rules,
    labelled: confusion.labelled,
    precision: ratio(confusion.tp, confusion.tp + confusion.fp),
    recall: ratio(confusion.tp, confusion.tp + confusion.fn),
  };
}

/** Labels a decision's outcome (an analyst's finding) and audits who did; false when there is no such decision. */
export async function labelOutcome(
  store: Store,
  id: string,
  label: 'fraud' | 'legitimate',
  operatorId: string,
  now: number,
): Promise<boolean> {
  return store.transaction(async (tx) => {
    if (!(await labelDecision(tx, id, label))) return false;
    await appendAudit(
      tx,
      [
        {
          actorType: 'operator',
          actorId: operatorId,
          action: 'risk.decision_label',
          target: id,
          outcome: 'success',
          details: { label },
        },
      ],
      now,
    );
    return true;
  });
}
