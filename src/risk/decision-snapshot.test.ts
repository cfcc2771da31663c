// A decision's feature snapshot as stored: the one-pass encoder writes the format earlier versions wrote
// (so every stored row stays readable and back-testing replays it) and decodes back to the same values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Value } from './features.ts';
import { decodeFeatures, featuresJson } from './store.ts';

test('the snapshot JSON keeps the stored format: exact minor units with currency, sets, never', () => {
  const json = featuresJson({
    amount: { minor: 12_345_678_901_234_567_890n, currency: 'CNY' },
    'payee.new': true,
    'customer.count_1h': 3,
    'customer.dormant': Number.POSITIVE_INFINITY,
    'address.country': 'C"N',
    'screening.lists': new Set(['un', 'ofac']),
  });
  assert.equal(
    json,
    '{"amount":{"minor":"12345678901234567890","currency":"CNY"},"payee.new":true,"customer.count_1h":3,' +
      '"customer.dormant":{"never":true},"address.country":"C\\"N","screening.lists":{"set":["un","ofac"]}}',
  );
});

const value: fc.Arbitrary<Value> = fc.oneof(
  fc
    .tuple(fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }), fc.constantFrom('CNY', 'USD'))
    .map(([minor, currency]) => ({ minor, currency })),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }).filter((n) => !Object.is(n, -0)),
  fc.constant(Number.POSITIVE_INFINITY),
  fc.string(),
  fc.boolean(),
  fc.uniqueArray(fc.string(), { maxLength: 4 }).map((items) => new Set(items)),
);

const features = fc.dictionary(fc.stringMatching(/^[a-z][a-z0-9_.]{0,24}$/), value).map((d) => ({ ...d }));

test('property: a snapshot decodes to the values it was made of', () => {
  fc.assert(
    fc.property(features, (record) => {
      const decoded = decodeFeatures(JSON.parse(featuresJson(record)) as Record<string, unknown>);
      assert.deepEqual(decoded, record);
    }),
  );
});
