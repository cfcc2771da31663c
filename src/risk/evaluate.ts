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
