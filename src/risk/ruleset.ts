// Rule sets as data (R4.2): a JSON document of rules (an expression, an action, a score, a reason,
// active or shadow) and typologies (weights over rule results with an alert and a block threshold).
// compileRuleSet validates a whole document — every expression parsed against the feature catalogue,
// ids unique, typologies over known rules, no two rules with the same condition and different actions —
// and returns it ready to run, or a RuleSetProblem list; it never throws. decide() is pure: deny wins,
// then review, then challenge; shadow rules are evaluated and reported but never change the outcome.
import { compileSlots, FeatureSlots, MissingFeature, type SlotPredicate } from './evaluate.ts';
import { riskEvents, type FeatureValues, type RiskEvent } from './features.ts';
import { costOf, parseRule, RuleError, type Node } from './language.ts';

export type RiskAction = 'allow' | 'challenge' | 'review' | 'deny';
export const riskActions: readonly RiskAction[] = ['allow', 'challenge', 'review', 'deny'];
const rank: Readonly<Record<RiskAction, number>> = { allow: 0, challenge: 1, review: 2, deny: 3 };

export interface RuleDocument {
  readonly id: string;
  readonly on: readonly RiskEvent[];
  readonly when: string;
  readonly action: RiskAction;
  readonly score: number;
  readonly reason: string;
  readonly mode?: 'active' | 'shadow';
}

export interface TypologyDocument {
  readonly id: string;
  readonly on: readonly RiskEvent[];
  /** Rule id → weight; the typology's score is the sum of the weights of the rules that hit. */
  readonly weights: Readonly<Record<string, number>>;
  readonly alert: number;
  readonly alertAction: 'challenge' | 'review';
  readonly block: number;
  /** From this score a challenge asks for a strong factor (not SMS). */
  readonly strongAt?: number;
}

export interface RuleSetDocument {
  readonly rules: readonly RuleDocument[];
  readonly typologies: readonly TypologyDocument[];
}

export interface CompiledRule extends RuleDocument {
  readonly mode: 'active' | 'shadow';
  readonly ast: Node;
  readonly cost: number;
  /** The AST compiled once at load over the set's feature slots (evaluate.ts): what decide() runs. */
  readonly holds: SlotPredicate;
}

/** A typology with its weights as a list, read per decision without Object.entries. */
export interface CompiledTypology extends TypologyDocument {
  readonly weightList: ReadonlyArray<readonly [string, number]>;
}

export interface CompiledRuleSet {
  readonly document: RuleSetDocument;
  readonly rulesByEvent: ReadonlyMap<RiskEvent, readonly CompiledRule[]>;
  readonly typologiesByEvent: ReadonlyMap<RiskEvent, readonly CompiledTypology[]>;
  /** The features the rules read, numbered, and per event the slots its rules read. */
  readonly slots: FeatureSlots;
  readonly slotsByEvent: ReadonlyMap<RiskEvent, readonly number[]>;
}

export interface RuleSetProblem {
  readonly code:
    'rule_syntax' | 'rule_unknown_feature' | 'rule_type' | 'rule_too_complex' | 'ruleset_shape' | 'ruleset_conflict';
  readonly where: string;
  readonly message: string;
}

export const ruleSetBounds = { maxRules: 300, maxTypologies: 50, maxScore: 1000 } as const;
const idPattern = /^[a-z][a-z0-9_]{0,47}$/;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isScore = (value: unknown): value is number =>
  Number.isInteger(value) && (value as number) >= 0 && (value as number) <= ruleSetBounds.maxScore;
const isEvents = (value: unknown): value is RiskEvent[] =>
  Array.isArray(value) &&
  value.length > 0 &&
  value.length <= riskEvents.length &&
  value.every((e) => riskEvents.includes(e as RiskEvent));

function ruleShapeProblem(rule: unknown): string | undefined {
  if (!isRecord(rule)) return 'a rule is an object';
  const known = new Set(['id', 'on', 'when', 'action', 'score', 'reason', 'mode']);
  if (Object.keys(rule).some((key) => !known.has(key))) return 'unknown field in rule';
  if (typeof rule.id !== 'string' || !idPattern.test(rule.id)) return 'id: lower-case letters, digits, _';
  if (!isEvents(rule.on)) return `on: a list of events among ${riskEvents.join(', ')}`;
  if (typeof rule.when !== 'string') return 'when: the expression';
  if (!riskActions.includes(rule.action as RiskAction)) return `action: one of ${riskActions.join(', ')}`;
  if (!isScore(rule.score)) return `score: an integer 0–${ruleSetBounds.maxScore}`;
  if (typeof rule.reason !== 'string' || !idPattern.test(rule.reason)) return 'reason: lower-case letters, digits, _';
  if (rule.mode !== undefined && rule.mode !== 'active' && rule.mode !== 'shadow') return 'mode: active or shadow';
  return undefined;
}

function typologyShapeProblem(typology: unknown): string | undefined {
  if (!isRecord(typology)) return 'a typology is an object';
  const known = new Set(['id', 'on', 'weights', 'alert', 'alertAction', 'block', 'strongAt']);
  if (Object.keys(typology).some((key) => !known.has(key))) return 'unknown field in typology';
  if (typeof typology.id !== 'string' || !idPattern.test(typology.id)) return 'id: lower-case letters, digits, _';
  if (!isEvents(typology.on)) return 'on: a list of events';
  if (!isRecord(typology.weights) || Object.keys(typology.weights).length === 0) return 'weights: rule id → weight';
  if (!Object.values(typology.weights).every(isScore)) return 'weights are integers 0–1000';
  if (!isScore(typology.alert) || !isScore(typology.block)) return 'alert and block: integers';
  if (typology.alert > typology.block) return 'alert must not exceed block';
  if (typology.alertAction !== 'challenge' && typology.alertAction !== 'review')
    return 'alertAction: challenge or review';
  if (typology.strongAt !== undefined && !isScore(typology.strongAt)) return 'strongAt: an integer';
  return undefined;
}

function compileRule(rule: RuleDocument, slots: FeatureSlots, problems: RuleSetProblem[]): CompiledRule | undefined {
  try {
    const ast = parseRule(rule.when, rule.on);
    return { ...rule, mode: rule.mode ?? 'active', ast, cost: costOf(ast), holds: compileSlots(ast, slots) };
  } catch (error) {
    if (!(error instanceof RuleError)) throw error;
    problems.push({ code: error.code, where: `rule ${rule.id}`, message: error.message });
    return undefined;
  }
}

/** Two active rules on a shared event with the same condition but different actions contradict each other. */
function conflicts(rules: readonly CompiledRule[], problems: RuleSetProblem[]): void {
  const seen = new Map<string, CompiledRule>();
  for (const rule of rules) {
    if (rule.mode !== 'active') continue;
    for (const event of rule.on) {
      const key = `${event}\u0000${canonical(rule.ast)}`;
      const other = seen.get(key);
      if (other !== undefined && other.action !== rule.action)
        problems.push({
          code: 'ruleset_conflict',
          where: `rule ${rule.id}`,
          message: `same condition as ${other.id} with another action`,
        });
      else seen.set(key, rule);
    }
  }
}

function canonical(node: Node): string {
  return JSON.stringify(node, (_, value: unknown) =>
    typeof value === 'bigint' ? value.toString() : value instanceof Set ? [...(value as Set<string>)].sort() : value,
  );
}

function checkTypologies(
  typologies: readonly TypologyDocument[],
  rules: ReadonlyMap<string, CompiledRule>,
  problems: RuleSetProblem[],
): void {
  const ids = new Set<string>();
  for (const typology of typologies) {
    if (ids.has(typology.id))
      problems.push({ code: 'ruleset_conflict', where: `typology ${typology.id}`, message: 'duplicate id' });
    ids.add(typology.id);
    for (const ruleId of Object.keys(typology.weights)) {
      const rule = rules.get(ruleId);
      if (rule === undefined)
        problems.push({ code: 'ruleset_shape', where: `typology ${typology.id}`, message: `unknown rule ${ruleId}` });
      else if (!typology.on.every((event) => rule.on.includes(event)))
        problems.push({
          code: 'ruleset_conflict',
          where: `typology ${typology.id}`,
          message: `${ruleId} does not run on all its events`,
        });
      else if (rule.mode === 'shadow')
        problems.push({
          code: 'ruleset_conflict',
          where: `typology ${typology.id}`,
          message: `${ruleId} is a shadow rule`,
        });
    }
  }
}

function shapeOf(document: unknown, problems: RuleSetProblem[]): RuleSetDocument | undefined {
  if (!isRecord(document) || !Array.isArray(document.rules) || !Array.isArray(document.typologies ?? [])) {
    problems.push({
      code: 'ruleset_shape',
      where: 'set',
      message: 'a rule set is { rules: [...], typologies: [...] }',
    });
    return undefined;
  }
  const typologies = (document.typologies ?? []) as unknown[];
  if (document.rules.length > ruleSetBounds.maxRules || typologies.length > ruleSetBounds.maxTypologies) {
    problems.push({ code: 'rule_too_complex', where: 'set', message: 'too many rules or typologies' });
    return undefined;
  }
  document.rules.forEach((rule: unknown, index) => {
    const problem = ruleShapeProblem(rule);
    if (problem !== undefined) problems.push({ code: 'ruleset_shape', where: `rules[${index}]`, message: problem });
  });
  typologies.forEach((typology, index) => {
    const problem = typologyShapeProblem(typology);
    if (problem !== undefined)
      problems.push({ code: 'ruleset_shape', where: `typologies[${index}]`, message: problem });
  });
  if (problems.length > 0) return undefined;
  return { rules: document.rules as RuleDocument[], typologies: typologies as TypologyDocument[] };
}

export type Compiled =
  | { readonly ok: true; readonly set: CompiledRuleSet }
  | { readonly ok: false; readonly problems: readonly RuleSetProblem[] };

/** Validates and compiles a rule set document; never throws. */
export function compileRuleSet(document: unknown): Compiled {
  const problems: RuleSetProblem[] = [];
  const shaped = shapeOf(document, problems);
  if (shaped === undefined) return { ok: false, problems };
  const byId = new Map<string, CompiledRule>();
  const slots = new FeatureSlots();
  for (const rule of shaped.rules) {
    if (byId.has(rule.id))
      problems.push({ code: 'ruleset_conflict', where: `rule ${rule.id}`, message: 'duplicate id' });
    const compiled = compileRule(rule, slots, problems);
    if (compiled !== undefined) byId.set(rule.id, compiled);
  }
  const compiled = [...byId.values()];
  conflicts(compiled, problems);
  checkTypologies(shaped.typologies, byId, problems);
  if (problems.length > 0) return { ok: false, problems: problems.slice(0, 50) };
  const rulesByEvent = new Map<RiskEvent, CompiledRule[]>();
  const typologiesByEvent = new Map<RiskEvent, CompiledTypology[]>();
  const typologies = shaped.typologies.map((t) => ({ ...t, weightList: Object.entries(t.weights) }));
  for (const event of riskEvents) {
    rulesByEvent.set(
      event,
      compiled.filter((rule) => rule.on.includes(event)),
    );
    typologiesByEvent.set(
      event,
      typologies.filter((typology) => typology.on.includes(event)),
    );
  }
  const slotsByEvent = slotsOf(rulesByEvent, slots);
  return { ok: true, set: { document: shaped, rulesByEvent, typologiesByEvent, slots, slotsByEvent } };
}

/** Per event, the slots its rules read (each once). */
function slotsOf(rulesByEvent: ReadonlyMap<RiskEvent, readonly CompiledRule[]>, slots: FeatureSlots) {
  const out = new Map<RiskEvent, number[]>();
  for (const [event, rules] of rulesByEvent) {
    const names = new Set(rules.flatMap((rule) => featuresOf(rule.ast)));
    out.set(event, [...names].map((name) => slots.slotOf(name)).sort((a, b) => a - b));
  }
  return out;
}

function featuresOf(node: Node): string[] {
  switch (node.k) {
    case 'and':
    case 'or':
    case 'cmp':
    case 'in':
      return [...featuresOf(node.l), ...featuresOf(node.r)];
    case 'not':
      return featuresOf(node.e);
    case 'lit':
      return [];
    case 'feat':
      return [node.name];
  }
}

/**
 * What screening, AML or another capability contributes to a decision: feature values (e.g.
 * `screening.hit`) and/or an action of its own with a reason (a sanctions hit denies).
 */
export interface RiskSignal {
  readonly source: string;
  readonly features?: FeatureValues;
  readonly action?: RiskAction;
  readonly reason?: string;
}

export interface RuleHit {
  readonly rule: string;
  readonly action: RiskAction;
  readonly reason: string;
}

export interface TypologyResult {
  readonly id: string;
  readonly score: number;
  readonly outcome: 'none' | 'alert' | 'block';
}

export interface RiskDecision {
  readonly decision: RiskAction;
  readonly score: number;
  readonly reasons: readonly string[];
  readonly hits: readonly RuleHit[];
  readonly shadowHits: readonly RuleHit[];
  readonly typologies: readonly TypologyResult[];
  readonly errors: readonly string[];
  readonly factorStrength: 'any' | 'strong';
}

interface Tally {
  decision: RiskAction;
  score: number;
  reasons: string[];
  strong: boolean;
}

function raise(tally: Tally, action: RiskAction, reason: string | undefined): void {
  if (rank[action] > rank[tally.decision]) tally.decision = action;
  if (reason !== undefined && action !== 'allow' && !tally.reasons.includes(reason)) tally.reasons.push(reason);
}

function runTypologies(
  typologies: readonly CompiledTypology[],
  hitIds: ReadonlySet<string>,
  tally: Tally,
): TypologyResult[] {
  return typologies.map((typology) => {
    let score = 0;
    for (const [ruleId, weight] of typology.weightList) if (hitIds.has(ruleId)) score += weight;
    const outcome =
      score >= typology.block && typology.block > 0
        ? 'block'
        : score >= typology.alert && typology.alert > 0
          ? 'alert'
          : 'none';
    if (outcome === 'block') raise(tally, 'deny', undefined);
    if (outcome === 'alert') raise(tally, typology.alertAction, undefined);
    if (typology.strongAt !== undefined && score >= typology.strongAt) tally.strong = true;
    tally.score = Math.max(tally.score, score);
    return { id: typology.id, score, outcome };
  });
}

/** Decides one event: every rule of the event, then the typologies, then the signals. Pure. */
export function decide(
  set: CompiledRuleSet,
  event: RiskEvent,
  features: FeatureValues,
  signals: readonly RiskSignal[] = [],
): RiskDecision {
  let merged = features;
  for (const signal of signals) if (signal.features !== undefined) merged = { ...merged, ...signal.features };
  const hits: RuleHit[] = [];
  const shadowHits: RuleHit[] = [];
  const errors: string[] = [];
  const tally: Tally = { decision: 'allow', score: 0, reasons: [], strong: false };
  let ruleScore = 0;
  const values = set.slots.read(merged, set.slotsByEvent.get(event) ?? []);
  for (const rule of set.rulesByEvent.get(event) ?? []) {
    let hit: boolean;
    try {
      hit = rule.holds(values);
    } catch (error) {
      if (!(error instanceof MissingFeature)) throw error;
      errors.push(rule.id);
      continue;
    }
    if (!hit) continue;
    const result = { rule: rule.id, action: rule.action, reason: rule.reason };
    if (rule.mode === 'shadow') shadowHits.push(result);
    else {
      hits.push(result);
      ruleScore += rule.score;
      raise(tally, rule.action, rule.reason);
      if (rule.action === 'allow' && !tally.reasons.includes(rule.reason)) tally.reasons.push(rule.reason);
    }
  }
  const typologies = runTypologies(set.typologiesByEvent.get(event) ?? [], new Set(hits.map((h) => h.rule)), tally);
  for (const signal of signals)
    if (signal.action !== undefined) raise(tally, signal.action, signal.reason ?? signal.source);
  const score = Math.max(tally.score, ruleScore);
  return {
    decision: tally.decision,
    score,
    reasons: tally.reasons,
    hits,
    shadowHits,
    typologies,
    errors,
    factorStrength: tally.strong ? 'strong' : 'any',
  };
}
