// The report of a simulation: per attack type, the events and instances stopped (denied), challenged
// (step-up or review) or passed; the normal traffic's challenge rate (goal < 2 %); precision and recall
// of "not allowed" for "attack" over the measured day — as the rule set acts, and as it would act with
// its shadow rules made active (from the shadow hits each decision recorded). Pure.
import { attackTypes, type AttackType, type Label, type SimEvent, type TrafficOptions } from './traffic.ts';

export type Outcome = 'stopped' | 'challenged' | 'passed' | 'error';

interface Tally {
  events: number;
  stopped: number;
  challenged: number;
  passed: number;
  errors: number;
}

export interface AttackReport extends Tally {
  readonly instances: number;
  /** Instances with at least one event stopped or challenged. */
  readonly instancesCaught: number;
  /** The same with the shadow rules made active. */
  readonly withShadow: {
    readonly stopped: number;
    readonly challenged: number;
    readonly passed: number;
    readonly instancesCaught: number;
  };
}

/** One rule's hits over the measured day: on normal payments and on each attack type's (active or shadow). */
export interface RuleTally {
  readonly mode: 'active' | 'shadow';
  normal: number;
  readonly attacks: Partial<Record<AttackType, number>>;
}

/** A stored payment decision as the report reads it (hits and shadow hits as stored, JSON). */
export type DecisionRow = {
  readonly subject_ref: string | null;
  readonly decision: string;
  readonly hits: string;
  readonly shadow_hits: string;
};

export interface Scores {
  readonly precision: number | null;
  readonly recall: number | null;
}

export interface SimulationReport {
  readonly seed: number;
  readonly options: TrafficOptions;
  readonly events: { readonly warmup: number; readonly normal: number; readonly attack: number };
  readonly attacks: Readonly<Record<AttackType, AttackReport>>;
  readonly normal: Tally & { readonly challengeRate: number; readonly challengeRateWithShadow: number };
  readonly ruleSet: Scores;
  readonly ruleSetWithShadow: Scores;
  /** Per rule that hit on the measured day: where it hit (what an analyst tunes). */
  readonly rules: Readonly<Record<string, RuleTally>>;
  /** Refusals that were not risk decisions (limits, balance), by code. */
  readonly otherRefusals: Readonly<Record<string, number>>;
  readonly notes: readonly string[];
}

interface Result {
  readonly event: SimEvent;
  readonly outcome: Outcome;
  readonly paymentId: string | null;
  readonly code: string | null;
}

const rank = { allow: 0, challenge: 1, review: 2, deny: 3 } as const;
type Action = keyof typeof rank;

function shadowOutcome(outcome: Outcome, decision: DecisionRow | undefined): Outcome {
  if (decision === undefined || outcome === 'error') return outcome;
  let best: Action = decision.decision in rank ? (decision.decision as Action) : 'allow';
  for (const hit of JSON.parse(decision.shadow_hits) as Array<{ action: string }>)
    if (hit.action in rank && rank[hit.action as Action] > rank[best]) best = hit.action as Action;
  return best === 'deny' ? 'stopped' : best === 'allow' ? 'passed' : 'challenged';
}

const emptyTally = (): Tally => ({ events: 0, stopped: 0, challenged: 0, passed: 0, errors: 0 });
function count(t: Tally, o: Outcome): void {
  t.events += 1;
  if (o === 'stopped') t.stopped += 1;
  else if (o === 'challenged') t.challenged += 1;
  else if (o === 'passed') t.passed += 1;
  else t.errors += 1;
}

function scores(rows: ReadonlyArray<{ attack: boolean; flagged: boolean }>): Scores {
  const tp = rows.filter((r) => r.attack && r.flagged).length;
  const flagged = rows.filter((r) => r.flagged).length;
  const attacks = rows.filter((r) => r.attack).length;
  return { precision: flagged === 0 ? null : tp / flagged, recall: attacks === 0 ? null : tp / attacks };
}

function ruleTallies(
  measured: readonly Result[],
  bySubject: ReadonlyMap<string | null, DecisionRow>,
): Record<string, RuleTally> {
  const rules: Record<string, RuleTally> = {};
  const add = (rule: string, mode: RuleTally['mode'], label: Label) => {
    const tally = (rules[rule] ??= { mode, normal: 0, attacks: {} });
    if (label === 'normal') tally.normal += 1;
    else if (label !== 'warmup') tally.attacks[label] = (tally.attacks[label] ?? 0) + 1;
  };
  for (const r of measured) {
    const decision = r.paymentId === null ? undefined : bySubject.get(r.paymentId);
    if (decision === undefined) continue;
    const hits = (json: string) => JSON.parse(json) as Array<{ rule: string }>;
    for (const hit of hits(decision.hits)) add(hit.rule, 'active', r.event.label);
    for (const hit of hits(decision.shadow_hits)) add(hit.rule, 'shadow', r.event.label);
  }
  return rules;
}

type Measured = Result & { readonly shadow: Outcome };

function attackReports(measured: readonly Measured[]): Record<AttackType, AttackReport> {
  const attacks = {} as Record<AttackType, AttackReport>;
  for (const type of attackTypes) {
    const rows = measured.filter((r) => r.event.label === type);
    const tally = emptyTally();
    const shadow = emptyTally();
    for (const r of rows) {
      count(tally, r.outcome);
      count(shadow, r.shadow);
    }
    const instances = new Set(rows.map((r) => r.event.instance));
    const caughtRows = rows.filter((r) => r.outcome === 'stopped' || r.outcome === 'challenged');
    const caught = new Set(caughtRows.map((r) => r.event.instance));
    const caughtWithShadow = new Set(
      rows.filter((r) => r.shadow === 'stopped' || r.shadow === 'challenged').map((r) => r.event.instance),
    );
    attacks[type] = {
      ...tally,
      instances: instances.size,
      instancesCaught: caught.size,
      withShadow: {
        stopped: shadow.stopped,
        challenged: shadow.challenged,
        passed: shadow.passed,
        instancesCaught: caughtWithShadow.size,
      },
    };
  }
  return attacks;
}

export function buildReport(
  options: TrafficOptions,
  results: readonly Result[],
  decisions: readonly DecisionRow[],
): SimulationReport {
  const bySubject = new Map(decisions.map((d) => [d.subject_ref, d]));
  const measured = results
    .filter((r) => r.event.label !== 'warmup')
    .map((r) => ({ ...r, shadow: shadowOutcome(r.outcome, bySubject.get(r.paymentId)) }));
  const attacks = attackReports(measured);
  const normalRows = measured.filter((r) => r.event.label === 'normal');
  const normal = emptyTally();
  let normalShadowFlagged = 0;
  for (const r of normalRows) {
    count(normal, r.outcome);
    if (r.shadow === 'stopped' || r.shadow === 'challenged') normalShadowFlagged += 1;
  }
  const decided = measured.filter((r) => r.outcome !== 'error');
  const isAttack = (label: Label) => label !== 'normal' && label !== 'warmup';
  const flaggedOf = (o: Outcome) => o === 'stopped' || o === 'challenged';
  const otherRefusals: Record<string, number> = {};
  for (const r of results) {
    const code = r.code ?? 'unknown';
    if (r.outcome === 'error') otherRefusals[code] = (otherRefusals[code] ?? 0) + 1;
  }
  const rate = (x: number, of: number) => (of === 0 ? 0 : x / of);
  return {
    seed: options.seed,
    options,
    events: {
      warmup: results.length - measured.length,
      normal: normalRows.length,
      attack: measured.length - normalRows.length,
    },
    attacks,
    normal: {
      ...normal,
      challengeRate: rate(normal.stopped + normal.challenged, normal.events - normal.errors),
      challengeRateWithShadow: rate(normalShadowFlagged, normal.events - normal.errors),
    },
    ruleSet: scores(decided.map((r) => ({ attack: isAttack(r.event.label), flagged: flaggedOf(r.outcome) }))),
    ruleSetWithShadow: scores(decided.map((r) => ({ attack: isAttack(r.event.label), flagged: flaggedOf(r.shadow) }))),
    rules: ruleTallies(measured, bySubject),
    otherRefusals,
    notes: [
      'Simulated data: attackers use payees they never paid and normal customers pay three usual payees, so ' +
        'first-seen features separate them more cleanly than real traffic would; treat precision as an upper bound.',
      'card_testing is modelled as a burst of tiny wallet transfers (card top-ups need the card link).',
      'account_takeover is a device enrolled minutes before on an old account (a new device of the victim).',
      'Challenged payments are not completed in the simulation (nobody answers the step-up).',
    ],
  };
}
