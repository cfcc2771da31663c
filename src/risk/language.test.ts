// The rule language: what parses, what is refused with which code, how values compare, and two
// properties — the parser only ever throws RuleError (arbitrary text), and evaluation is bounded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compileTest, MissingFeature, test as holds } from './evaluate.ts';
import { costOf, languageBounds, parseRule, RuleError, tokenize, type RuleErrorCode } from './language.ts';
import type { FeatureValues } from './features.ts';

/** A generated rule, parsed; undefined when it is refused as too complex (the only refusal allowed). */
function parsedUnlessTooComplex(source: string): ReturnType<typeof parseRule> | undefined {
  try {
    return parseRule(source, ['payment']);
  } catch (error) {
    assert.ok(error instanceof RuleError && error.code === 'rule_too_complex');
    return undefined;
  }
}

const day = 86_400_000;
const base: FeatureValues = {
  amount: { minor: 600_000n, currency: 'CNY' },
  'device.age': 3_600_000,
  'device.new': true,
  'payee.new': false,
  'address.country': 'CN',
  'payer.recent_payments': 3,
  'factor.changed_ago': Number.POSITIVE_INFINITY,
};

function refusal(source: string, events: Parameters<typeof parseRule>[1] = ['payment']): RuleErrorCode | 'parsed' {
  try {
    parseRule(source, events);
    return 'parsed';
  } catch (error) {
    assert.ok(error instanceof RuleError, `not a RuleError: ${String(error)}`);
    return error.code;
  }
}

test('the example of the brief parses and evaluates over typed values', () => {
  const rule = parseRule('amount > 5000 CNY and device.age < 1d', ['payment']);
  assert.equal(holds(rule, base), true);
  assert.equal(holds(rule, { ...base, 'device.age': day }), false);
  assert.equal(holds(rule, { ...base, amount: { minor: 500_000n, currency: 'CNY' } }), false);
});

test('amounts in another currency never compare', () => {
  const usd = { ...base, amount: { minor: 600_000n, currency: 'USD' } };
  for (const op of ['>', '<', '>=', '<=', '==', '!='])
    assert.equal(holds(parseRule(`amount ${op} 5000 CNY`, ['payment']), usd), false, op);
  assert.equal(holds(parseRule('amount >= 6000.01 USD', ['payment']), usd), false);
  assert.equal(holds(parseRule('amount >= 6000.00 USD', ['payment']), usd), true);
});

test('sets, strings, not in, booleans, durations in every unit, never-happened durations', () => {
  const cases: Array<[string, boolean]> = [
    ["address.country in ['CN', 'HK']", true],
    ["address.country not in ['CN', 'HK']", false],
    ["address.country == 'US'", false],
    ['device.new and not payee.new', true],
    ['device.age < 61m and device.age > 3599s and device.age >= 3600000ms and device.age <= 1h', true],
    ['factor.changed_ago < 3650d', false],
    ['payer.recent_payments >= 3 and (payer.recent_payments < 2 or true)', true],
    ['device.new == false', false],
  ];
  for (const [source, expected] of cases) assert.equal(holds(parseRule(source, ['payment']), base), expected, source);
});

test('malformed, unknown, ill-typed and unbounded rules are refused with their codes', () => {
  const cases: Array<[string, RuleErrorCode]> = [
    ['', 'rule_syntax'],
    ['amount >', 'rule_syntax'],
    ['amount > 5000 XYZ', 'rule_syntax'],
    ['amount > 50.001 CNY', 'rule_syntax'],
    ['(device.new', 'rule_syntax'],
    ["address.country == 'CN", 'rule_syntax'],
    ['device.new; drop table payments', 'rule_syntax'],
    ['process.exit', 'rule_unknown_feature'],
    ['constructor', 'rule_unknown_feature'],
    ['__proto__ == 1', 'rule_unknown_feature'],
    ['amount > 5000', 'rule_type'],
    ['device.age < 5000 CNY', 'rule_type'],
    ['amount', 'rule_type'],
    ["address.country < 'CN'", 'rule_type'],
    ['1 < 2', 'rule_type'],
    ["payer.recent_payments in ['a']", 'rule_type'],
    [`${'('.repeat(40)}device.new${')'.repeat(40)}`, 'rule_too_complex'],
    [Array.from({ length: 130 }, () => 'device.new').join(' or '), 'rule_too_complex'],
    ['device.new or '.repeat(400) + 'device.new', 'rule_too_complex'],
  ];
  for (const [source, code] of cases) assert.equal(refusal(source), code, source.slice(0, 60));
});

test('a feature not provided on one of the rule’s events is refused at parse time', () => {
  assert.equal(refusal('amount > 1 CNY', ['payment', 'login']), 'rule_unknown_feature');
  assert.equal(refusal('login.failures_24h >= 3', ['login']), 'parsed');
  assert.equal(refusal('login.failures_24h >= 3', ['payment']), 'rule_unknown_feature');
});

const alphabet = fc.constantFrom(
  'amount',
  ' ',
  '>',
  '<',
  '=',
  '!',
  '5000',
  'CNY',
  'and',
  'or',
  'not',
  'in',
  '(',
  ')',
  '[',
  ']',
  ',',
  "'",
  '"',
  'device.age',
  '1d',
  'device.new',
  '.',
  '3',
  'payee.new',
  'true',
  'x',
  '\\',
  '\n',
  '_',
  'address.country',
  '"CN"',
);

test('property: the parser throws nothing but RuleError, on random text and on random token soup', () => {
  const anyText = fc.oneof(
    fc.string({ maxLength: 300 }),
    fc.array(alphabet, { maxLength: 80 }).map((parts) => parts.join(' ')),
  );
  fc.assert(
    fc.property(anyText, (source) => {
      try {
        parseRule(source, ['payment']);
      } catch (error) {
        if (!(error instanceof RuleError)) throw error;
      }
    }),
    { numRuns: 3000 },
  );
});

test('property: a parsed rule is within the bounds and evaluates to a boolean quickly', () => {
  const grammar = fc.letrec((tie) => ({
    expr: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.constantFrom('device.new', 'payee.new', 'amount > 5000 CNY', 'device.age < 1d', "address.country in ['CN']"),
      fc
        .tuple(tie('expr'), fc.constantFrom('and', 'or'), tie('expr'))
        .map(([a, op, b]) => `(${String(a)} ${op} ${String(b)})`),
      tie('expr').map((a) => `not ${String(a)}`),
    ),
  }));
  fc.assert(
    fc.property(grammar.expr, (source) => {
      const rule = parsedUnlessTooComplex(source);
      if (rule === undefined) return;
      assert.ok(costOf(rule) <= languageBounds.maxNodes);
      assert.equal(typeof holds(rule, base), 'boolean');
    }),
    { numRuns: 1000 },
  );
});

/** What a rule answers over features: a boolean, or the feature it found missing. */
function answerOf(run: () => boolean): boolean | string {
  try {
    return run();
  } catch (error) {
    assert.ok(error instanceof MissingFeature);
    return `missing ${error.feature}`;
  }
}

test('property: a compiled rule answers exactly as the interpreter, missing features and currencies included', () => {
  const atom = fc.constantFrom(
    'device.new', 'payee.new', 'amount > 5000 CNY', 'amount <= 6000 CNY', 'amount == 6000 CNY', 'amount != 1 USD',
    'device.age < 1d', 'device.age >= 3600s', "address.country in ['CN', 'HK']", "address.country != 'US'",
    'payer.recent_payments >= 3', 'payer.recent_payments == 2', 'factor.changed_ago < 3650d', 'device.new == false',
    'card.count_1h > 2', 'customer.sum_24h >= 10 CNY', 'hour < 6',
  );
  const grammar = fc.letrec((tie) => ({
    expr: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      atom,
      fc
        .tuple(tie('expr'), fc.constantFrom('and', 'or'), tie('expr'))
        .map(([a, op, b]) => `(${String(a)} ${op} ${String(b)})`),
      tie('expr').map((a) => `not ${String(a)}`),
    ),
  }));
  const features = fc.record(
    {
      amount: fc.record({ minor: fc.bigInt({ min: 0n, max: 10_000_000n }), currency: fc.constantFrom('CNY', 'USD') }),
      'device.age': fc.oneof(fc.nat(), fc.constant(Number.POSITIVE_INFINITY)),
      'device.new': fc.boolean(),
      'payee.new': fc.boolean(),
      'address.country': fc.constantFrom('CN', 'HK', 'US', ''),
      'payer.recent_payments': fc.nat(5),
      'factor.changed_ago': fc.oneof(fc.nat(), fc.constant(Number.POSITIVE_INFINITY)),
      'card.count_1h': fc.nat(5),
      'customer.sum_24h': fc.record({ minor: fc.bigInt({ min: 0n, max: 5000n }), currency: fc.constantFrom('CNY') }),
      hour: fc.nat(23),
    },
    { requiredKeys: [] },
  );
  fc.assert(
    fc.property(grammar.expr, features, (source, values) => {
      const rule = parsedUnlessTooComplex(source);
      if (rule === undefined) return;
      const compiled = compileTest(rule);
      assert.deepEqual(answerOf(() => compiled(values)), answerOf(() => holds(rule, values)), source);
    }),
    { numRuns: 2000 },
  );
});

test('the tokenizer refuses over-long text before reading it', () => {
  assert.throws(
    () => tokenize('x'.repeat(languageBounds.maxChars + 1)),
    (e: unknown) => e instanceof RuleError && e.code === 'rule_too_complex',
  );
});
