// The rule language (R4.2): a hand-written tokenizer and recursive-descent parser from text such as
// `amount > 5000 CNY and device.age < 1d` to a typed AST. Nothing is ever evaluated as code; the text
// is bounded (length, tokens, nodes, nesting), every feature must be in the catalogue for every event
// the rule runs on, and operands are type-checked, so a parsed rule always evaluates in time linear in
// its (bounded) size. Every refusal is a RuleError with a stable code and a position; nothing else throws.
import { findCurrency } from '../money/index.ts';
import { featureCatalogue, type RiskEvent, type Value, type ValueType } from './features.ts';

export const languageBounds = { maxChars: 2000, maxTokens: 400, maxNodes: 128, maxDepth: 16, maxSetItems: 64 } as const;

export type RuleErrorCode = 'rule_syntax' | 'rule_unknown_feature' | 'rule_type' | 'rule_too_complex';

export class RuleError extends Error {
  readonly code: RuleErrorCode;
  readonly position: number;
  constructor(code: RuleErrorCode, message: string, position: number) {
    super(`${message} (at ${position})`);
    this.name = 'RuleError';
    this.code = code;
    this.position = position;
  }
}

export type CompareOp = '<' | '<=' | '>' | '>=' | '==' | '!=';

export type Node =
  | { readonly k: 'and' | 'or'; readonly l: Node; readonly r: Node }
  | { readonly k: 'not'; readonly e: Node }
  | { readonly k: 'cmp'; readonly op: CompareOp; readonly l: Node; readonly r: Node }
  | { readonly k: 'in'; readonly l: Node; readonly r: Node }
  | { readonly k: 'lit'; readonly t: ValueType; readonly v: Value }
  | { readonly k: 'feat'; readonly t: ValueType; readonly name: string };

type TokenKind = 'num' | 'dur' | 'str' | 'ident' | 'op' | 'punct' | 'end';
interface Token {
  readonly kind: TokenKind;
  readonly text: string;
  readonly at: number;
}

const durationUnits: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const keywords = new Set(['and', 'or', 'not', 'in', 'true', 'false']);

function readWhile(src: string, from: number, test: RegExp): number {
  let i = from;
  while (i < src.length && test.test(src.charAt(i))) i += 1;
  return i;
}

function numberToken(src: string, at: number): Token {
  let end = readWhile(src, at, /[0-9]/);
  if (src.charAt(end) === '.') end = readWhile(src, end + 1, /[0-9]/);
  const unit = /^(ms|s|m|h|d)(?![A-Za-z0-9_])/.exec(src.slice(end, end + 3));
  if (unit !== null) return { kind: 'dur', text: src.slice(at, end + unit[1]!.length), at };
  return { kind: 'num', text: src.slice(at, end), at };
}

function stringToken(src: string, at: number): Token {
  const quote = src.charAt(at);
  const end = src.indexOf(quote, at + 1);
  if (end < 0) throw new RuleError('rule_syntax', 'unterminated string', at);
  const text = src.slice(at + 1, end);
  if (/[\\\n]/.test(text) || text.length > 128)
    throw new RuleError('rule_syntax', 'strings are short, one line, no escapes', at);
  return { kind: 'str', text, at };
}

function nextToken(src: string, at: number): Token {
  const c = src.charAt(at);
  if (/[0-9]/.test(c)) return numberToken(src, at);
  if (c === "'" || c === '"') return stringToken(src, at);
  if (/[A-Za-z_]/.test(c)) {
    const end = readWhile(src, at, /[A-Za-z0-9_.]/);
    return { kind: 'ident', text: src.slice(at, end), at };
  }
  const two = src.slice(at, at + 2);
  if (two === '<=' || two === '>=' || two === '==' || two === '!=') return { kind: 'op', text: two, at };
  if (c === '<' || c === '>') return { kind: 'op', text: c, at };
  if ('()[],'.includes(c)) return { kind: 'punct', text: c, at };
  throw new RuleError('rule_syntax', `unexpected character ${JSON.stringify(c)}`, at);
}

export function tokenize(src: string): Token[] {
  if (src.length > languageBounds.maxChars) throw new RuleError('rule_too_complex', 'the rule is too long', 0);
  const tokens: Token[] = [];
  let at = 0;
  for (;;) {
    at = readWhile(src, at, /\s/);
    if (at >= src.length) break;
    if (tokens.length >= languageBounds.maxTokens) throw new RuleError('rule_too_complex', 'too many tokens', at);
    const token = nextToken(src, at);
    tokens.push(token);
    at = token.at + (token.kind === 'str' ? token.text.length + 2 : token.text.length);
  }
  tokens.push({ kind: 'end', text: '', at: src.length });
  return tokens;
}

const ordered = new Set<ValueType>(['amount', 'duration', 'count']);

function amountLiteral(number: Token, code: Token): Node {
  const currency = findCurrency(code.text);
  if (currency === undefined) throw new RuleError('rule_syntax', `unknown currency ${code.text}`, code.at);
  const [whole = '', fraction = ''] = number.text.split('.');
  if (fraction.length > currency.exponent)
    throw new RuleError('rule_syntax', `too many decimals for ${code.text}`, number.at);
  if (whole.length > 15) throw new RuleError('rule_syntax', 'amount too large', number.at);
  const minor = BigInt(whole + fraction.padEnd(currency.exponent, '0'));
  return { k: 'lit', t: 'amount', v: { minor, currency: currency.code } };
}

function durationLiteral(token: Token): Node {
  const unit = token.text.endsWith('ms') ? 'ms' : token.text.slice(-1);
  const digits = token.text.slice(0, -unit.length);
  const wellFormed = /^[0-9.]+$/.test(digits) && !digits.endsWith('.') && digits.split('.').length <= 2;
  const value = wellFormed ? Number(digits) * (durationUnits[unit] ?? Number.NaN) : Number.NaN;
  if (!Number.isFinite(value) || value > 10 * 365 * 86_400_000)
    throw new RuleError('rule_syntax', 'bad duration', token.at);
  return { k: 'lit', t: 'duration', v: value };
}

/** The recursive-descent parser over one rule's tokens, for the events the rule runs on. */
class Parser {
  #i = 0;
  #nodes = 0;
  readonly #tokens: readonly Token[];
  readonly #events: readonly RiskEvent[];

  constructor(tokens: readonly Token[], events: readonly RiskEvent[]) {
    this.#tokens = tokens;
    this.#events = events;
  }

  parse(): Node {
    const node = this.#or(0);
    const rest = this.#peek();
    if (rest.kind !== 'end') throw new RuleError('rule_syntax', `unexpected ${JSON.stringify(rest.text)}`, rest.at);
    return this.#expectType(node, 'bool', 0);
  }

  #peek(): Token {
    return this.#tokens[this.#i] ?? { kind: 'end', text: '', at: 0 };
  }

  #take(): Token {
    const token = this.#peek();
    if (token.kind !== 'end') this.#i += 1;
    return token;
  }

  #isWord(word: string): boolean {
    const token = this.#peek();
    return token.kind === 'ident' && token.text === word;
  }

  #node<N extends Node>(node: N, depth: number): N {
    this.#nodes += 1;
    if (this.#nodes > languageBounds.maxNodes)
      throw new RuleError('rule_too_complex', 'too many terms', this.#peek().at);
    if (depth > languageBounds.maxDepth) throw new RuleError('rule_too_complex', 'nested too deeply', this.#peek().at);
    return node;
  }

  #expectType(node: Node, type: ValueType, at: number): Node {
    if (typeOf(node) !== type) throw new RuleError('rule_type', `expected ${type}, got ${typeOf(node)}`, at);
    return node;
  }

  #or(depth: number): Node {
    let left = this.#and(depth + 1);
    while (this.#isWord('or')) {
      const at = this.#take().at;
      const right = this.#expectType(this.#and(depth + 1), 'bool', at);
      left = this.#node({ k: 'or', l: this.#expectType(left, 'bool', at), r: right }, depth);
    }
    return left;
  }

  #and(depth: number): Node {
    let left = this.#not(depth + 1);
    while (this.#isWord('and')) {
      const at = this.#take().at;
      const right = this.#expectType(this.#not(depth + 1), 'bool', at);
      left = this.#node({ k: 'and', l: this.#expectType(left, 'bool', at), r: right }, depth);
    }
    return left;
  }

  #not(depth: number): Node {
    if (depth > languageBounds.maxDepth) throw new RuleError('rule_too_complex', 'nested too deeply', this.#peek().at);
    if (!this.#isWord('not')) return this.#comparison(depth + 1);
    const at = this.#take().at;
    return this.#node({ k: 'not', e: this.#expectType(this.#not(depth + 1), 'bool', at) }, depth);
  }

  #comparison(depth: number): Node {
    const left = this.#primary(depth + 1);
    const token = this.#peek();
    if (token.kind === 'op') {
      this.#take();
      const right = this.#primary(depth + 1);
      return this.#node(checkedComparison(token, left, right), depth);
    }
    const negated = this.#isWord('not') && this.#tokens[this.#i + 1]?.text === 'in';
    if (!negated && !this.#isWord('in')) return left;
    if (negated) this.#take();
    this.#take();
    const right = this.#primary(depth + 1);
    if (typeOf(left) !== 'string' || typeOf(right) !== 'set')
      throw new RuleError('rule_type', '`in` needs a string and a set', token.at);
    const test = this.#node({ k: 'in', l: left, r: right }, depth);
    return negated ? this.#node({ k: 'not', e: test }, depth) : test;
  }

  #primary(depth: number): Node {
    if (depth > languageBounds.maxDepth) throw new RuleError('rule_too_complex', 'nested too deeply', this.#peek().at);
    const token = this.#take();
    if (token.kind === 'punct' && token.text === '(') {
      const inner = this.#or(depth + 1);
      this.#expect(')');
      return inner;
    }
    if (token.kind === 'punct' && token.text === '[') return this.#node(this.#set(token), depth);
    if (token.kind === 'num') return this.#node(this.#number(token), depth);
    if (token.kind === 'dur') return this.#node(durationLiteral(token), depth);
    if (token.kind === 'str') return this.#node({ k: 'lit', t: 'string', v: token.text }, depth);
    if (token.kind === 'ident') return this.#node(this.#word(token), depth);
    throw new RuleError(
      'rule_syntax',
      token.kind === 'end' ? 'unexpected end' : `unexpected ${JSON.stringify(token.text)}`,
      token.at,
    );
  }

  #expect(text: string): void {
    const token = this.#take();
    if (token.text !== text || token.kind === 'str') throw new RuleError('rule_syntax', `expected ${text}`, token.at);
  }

  #number(token: Token): Node {
    const next = this.#peek();
    if (next.kind === 'ident' && /^[A-Z]{3}$/.test(next.text)) return amountLiteral(token, this.#take());
    if (!/^[0-9]{1,15}$/.test(token.text)) throw new RuleError('rule_syntax', 'counts are whole numbers', token.at);
    return { k: 'lit', t: 'count', v: Number(token.text) };
  }

  #set(open: Token): Node {
    const items = new Set<string>();
    if (this.#peek().text === ']' && this.#peek().kind === 'punct') this.#take();
    else {
      for (;;) {
        const item = this.#take();
        if (item.kind !== 'str') throw new RuleError('rule_syntax', 'a set holds strings', item.at);
        items.add(item.text);
        if (items.size > languageBounds.maxSetItems) throw new RuleError('rule_too_complex', 'set too large', open.at);
        const sep = this.#take();
        if (sep.kind === 'punct' && sep.text === ']') break;
        if (sep.kind !== 'punct' || sep.text !== ',') throw new RuleError('rule_syntax', 'expected , or ]', sep.at);
      }
    }
    return { k: 'lit', t: 'set', v: items };
  }

  #word(token: Token): Node {
    if (token.text === 'true' || token.text === 'false') return { k: 'lit', t: 'bool', v: token.text === 'true' };
    if (keywords.has(token.text)) throw new RuleError('rule_syntax', `unexpected ${token.text}`, token.at);
    const feature = Object.hasOwn(featureCatalogue, token.text) ? featureCatalogue[token.text] : undefined;
    if (feature === undefined)
      throw new RuleError('rule_unknown_feature', `unknown feature ${token.text.slice(0, 64)}`, token.at);
    const missing = this.#events.find((event) => !feature.events.includes(event));
    if (missing !== undefined)
      throw new RuleError('rule_unknown_feature', `${token.text} is not known on ${missing}`, token.at);
    return { k: 'feat', t: feature.type, name: token.text };
  }
}

export function typeOf(node: Node): ValueType {
  switch (node.k) {
    case 'and':
    case 'or':
    case 'not':
    case 'cmp':
    case 'in':
      return 'bool';
    default:
      return node.t;
  }
}

function checkedComparison(token: Token, left: Node, right: Node): Node {
  const op = token.text as CompareOp;
  const [lt, rt] = [typeOf(left), typeOf(right)];
  if (lt !== rt) throw new RuleError('rule_type', `cannot compare ${lt} with ${rt}`, token.at);
  if (lt === 'set') throw new RuleError('rule_type', 'sets are compared with in', token.at);
  if (op !== '==' && op !== '!=' && !ordered.has(lt)) throw new RuleError('rule_type', `${lt} has no order`, token.at);
  if (left.k === 'lit' && right.k === 'lit') throw new RuleError('rule_type', 'comparing two constants', token.at);
  return { k: 'cmp', op, l: left, r: right };
}

/** Parses one rule for the events it runs on. Throws only RuleError. */
export function parseRule(source: string, events: readonly RiskEvent[]): Node {
  if (typeof source !== 'string') throw new RuleError('rule_syntax', 'a rule is text', 0);
  return new Parser(tokenize(source), events).parse();
}

/** The number of nodes of a parsed rule (its evaluation cost). */
export function costOf(node: Node): number {
  switch (node.k) {
    case 'and':
    case 'or':
    case 'cmp':
    case 'in':
      return 1 + costOf(node.l) + costOf(node.r);
    case 'not':
      return 1 + costOf(node.e);
    default:
      return 1;
  }
}
