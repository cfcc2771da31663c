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

/** A rule compiled once at load: the same semantics as test(), as nested closures (no eval). */
export type Predicate = (features: FeatureValues) => boolean;
type Getter = (features: FeatureValues) => Value;

function featureGetter(name: string): Getter {
  return (features) => {
    const value = features[name];
    if (value === undefined || !Object.hasOwn(features, name)) throw new MissingFeature(name);
    return value;
  };
}

function getterOf(node: Node): Getter {
  if (node.k === 'lit') {
    const value = node.v;
    return () => value;
  }
  return node.k === 'feat' ? featureGetter(node.name) : compileTest(node);
}

type Relational = Exclude<CompareOp, '==' | '!='>;
const relational: Readonly<Record<Relational, (a: number | bigint, b: number | bigint) => boolean>> = {
  '<': (a, b) => a < b,
  '<=': (a, b) => a <= b,
  '>': (a, b) => a > b,
  '>=': (a, b) => a >= b,
};

/** `feature <op> literal`, the common shape, without the generic type dispatch of compare(). */
function literalComparison(op: Relational, left: Getter, literal: Value): Predicate | undefined {
  const holds = relational[op];
  if (typeof literal === 'number') return (f) => {
    const a = left(f);
    return typeof a === 'number' && holds(a, literal);
  };
  if (typeof literal !== 'object' || !('minor' in literal)) return undefined;
  const { minor, currency } = literal as AmountValue;
  return (f) => {
    const a = left(f);
    return typeof a === 'object' && 'minor' in a && a.currency === currency && holds(a.minor, minor);
  };
}

function compileComparison(node: Extract<Node, { k: 'cmp' }>): Predicate {
  const left = getterOf(node.l);
  const op = node.op;
  if (node.r.k === 'lit' && op !== '==' && op !== '!=') {
    const fast = literalComparison(op, left, node.r.v);
    if (fast !== undefined) return fast;
  }
  const right = getterOf(node.r);
  return (f) => compare(op, left(f), right(f));
}

function compileIn(node: Extract<Node, { k: 'in' }>): Predicate {
  const item = getterOf(node.l);
  const set = getterOf(node.r);
  return (f) => {
    const values = set(f);
    const value = item(f);
    return values instanceof Set && typeof value === 'string' && values.has(value);
  };
}

/** Compiles a parsed rule to a predicate that answers as test(node, features) does, throws included. */
export function compileTest(node: Node): Predicate {
  switch (node.k) {
    case 'and': {
      const [l, r] = [compileTest(node.l), compileTest(node.r)];
      return (f) => l(f) && r(f);
    }
    case 'or': {
      const [l, r] = [compileTest(node.l), compileTest(node.r)];
      return (f) => l(f) || r(f);
    }
    case 'not': {
      const e = compileTest(node.e);
      return (f) => !e(f);
    }
    case 'cmp':
      return compileComparison(node);
    case 'in':
      return compileIn(node);
    default: {
      const value = getterOf(node);
      return (f) => value(f) === true;
    }
  }
}
