// Evaluates a parsed rule over an event's feature values. The AST was type-checked at parse time and
// is bounded, so evaluation is a walk over at most languageBounds.maxNodes nodes: no loops, no calls.
// Amounts in different currencies are never equal, less or greater: such a comparison is false.
import type { AmountValue, FeatureValues, Value } from './features.ts';
import type { CompareOp, Node } from './language.ts';

/** A feature the caller did not provide: the rule is recorded as an error, never as a hit. */
export class MissingFeature extends Error {
  constructor(readonly feature: string) {
    super(`feature ${feature} was not provided`);
    this.name = 'MissingFeature';
  }
}

function compareNumbers(op: CompareOp, a: number | bigint, b: number | bigint): boolean {
  switch (op) {
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '>':
      return a > b;
    case '>=':
      return a >= b;
    case '==':
      return a === b;
    case '!=':
      return a !== b;
  }
}

function compare(op: CompareOp, a: Value, b: Value): boolean {
  if (typeof a === 'object' && typeof b === 'object' && 'minor' in a && 'minor' in b) {
    const [x, y] = [a, b] as [AmountValue, AmountValue];
    return x.currency === y.currency && compareNumbers(op, x.minor, y.minor);
  }
  if (typeof a === 'number' && typeof b === 'number') return compareNumbers(op, a, b);
  if (op === '==') return a === b;
  if (op === '!=') return a !== b;
  return false;
}

function valueOf(node: Node, features: FeatureValues): Value {
  switch (node.k) {
    case 'lit':
      return node.v;
    case 'feat': {
      const value = Object.hasOwn(features, node.name) ? features[node.name] : undefined;
      if (value === undefined) throw new MissingFeature(node.name);
      return value;
    }
    default:
      return test(node, features);
  }
}

/** True when the rule holds for these features. Throws MissingFeature for a feature not provided. */
export function test(node: Node, features: FeatureValues): boolean {
  switch (node.k) {
    case 'and':
      return test(node.l, features) && test(node.r, features);
    case 'or':
      return test(node.l, features) || test(node.r, features);
    case 'not':
      return !test(node.e, features);
    case 'cmp':
      return compare(node.op, valueOf(node.l, features), valueOf(node.r, features));
    case 'in': {
      const set = valueOf(node.r, features);
      const item = valueOf(node.l, features);
      return set instanceof Set && typeof item === 'string' && set.has(item);
    }
    default:
      return valueOf(node, features) === true;
  }
}

/**
 * A rule compiled once at load: the same semantics as test(), as nested closures (no eval) over feature
 * slots: a rule set numbers the features its rules read (FeatureSlots), the record is read into those
 * slots once per decision, and a rule reads a slot by index instead of looking a name up in the record.
 */
export type SlotPredicate = (slots: ReadonlyArray<Value | undefined>) => boolean;
type Getter = (slots: ReadonlyArray<Value | undefined>) => Value;

/** The feature names a rule set reads, numbered; filled from a record once per decision. */
export class FeatureSlots {
  readonly names: string[] = [];
  readonly #index = new Map<string, number>();

  slotOf(name: string): number {
    let index = this.#index.get(name);
    if (index === undefined) {
      index = this.names.length;
      this.names.push(name);
      this.#index.set(name, index);
    }
    return index;
  }

  /** The record's values in slot order; a feature it does not hold (as own property) is undefined. */
  read(features: FeatureValues, only: readonly number[]): Array<Value | undefined> {
    const slots = new Array<Value | undefined>(this.names.length);
    for (const index of only) {
      const name = this.names[index] as string;
      const value = features[name];
      slots[index] = value !== undefined && Object.hasOwn(features, name) ? value : undefined;
    }
    return slots;
  }
}

function getterOf(node: Node, slots: FeatureSlots): Getter {
  if (node.k === 'lit') {
    const value = node.v;
    return () => value;
  }
  if (node.k !== 'feat') return compileSlots(node, slots);
  const { name } = node;
  const index = slots.slotOf(name);
  return (values) => {
    const value = values[index];
    if (value === undefined) throw new MissingFeature(name);
    return value;
  };
}

type Relational = Exclude<CompareOp, '==' | '!='>;
const relational: Readonly<Record<Relational, (a: number | bigint, b: number | bigint) => boolean>> = {
  '<': (a, b) => a < b,
  '<=': (a, b) => a <= b,
  '>': (a, b) => a > b,
  '>=': (a, b) => a >= b,
};

/** `feature <op> literal`, the common shape, without the generic type dispatch of compare(). */
function literalComparison(op: Relational, left: Getter, literal: Value): SlotPredicate | undefined {
  const holds = relational[op];
  if (typeof literal === 'number') return (v) => {
    const a = left(v);
    return typeof a === 'number' && holds(a, literal);
  };
  if (typeof literal !== 'object' || !('minor' in literal)) return undefined;
  const { minor, currency } = literal as AmountValue;
  return (v) => {
    const a = left(v);
    return typeof a === 'object' && 'minor' in a && a.currency === currency && holds(a.minor, minor);
  };
}

function compileComparison(node: Extract<Node, { k: 'cmp' }>, slots: FeatureSlots): SlotPredicate {
  const left = getterOf(node.l, slots);
  const op = node.op;
  if (node.r.k === 'lit' && op !== '==' && op !== '!=') {
    const fast = literalComparison(op, left, node.r.v);
    if (fast !== undefined) return fast;
  }
  const right = getterOf(node.r, slots);
  return (v) => compare(op, left(v), right(v));
}

function compileIn(node: Extract<Node, { k: 'in' }>, slots: FeatureSlots): SlotPredicate {
  const item = getterOf(node.l, slots);
  const set = getterOf(node.r, slots);
  return (v) => {
    const values = set(v);
    const value = item(v);
    return values instanceof Set && typeof value === 'string' && values.has(value);
  };
}

/** Compiles a parsed rule over `slots` (numbering the features it reads there). Answers as test() does. */
export function compileSlots(node: Node, slots: FeatureSlots): SlotPredicate {
  switch (node.k) {
    case 'and': {
      const [l, r] = [compileSlots(node.l, slots), compileSlots(node.r, slots)];
      return (v) => l(v) && r(v);
    }
    case 'or': {
      const [l, r] = [compileSlots(node.l, slots), compileSlots(node.r, slots)];
      return (v) => l(v) || r(v);
    }
    case 'not': {
      const e = compileSlots(node.e, slots);
      return (v) => !e(v);
    }
    case 'cmp':
      return compileComparison(node, slots);
    case 'in':
      return compileIn(node, slots);
    default: {
      const value = getterOf(node, slots);
      return (v) => value(v) === true;
    }
  }
}

/** One rule compiled on its own, over a record: what the tests hold against test(). */
export function compileTest(node: Node): (features: FeatureValues) => boolean {
  const slots = new FeatureSlots();
  const predicate = compileSlots(node, slots);
  const all = slots.names.map((_, index) => index);
  return (features) => predicate(slots.read(features, all));
}
