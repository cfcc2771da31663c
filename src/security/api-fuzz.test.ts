// Self-attack: a fuzzer driven by the app's own OpenAPI document (so a new route is attacked the day
// it lands). For every operation and every kind of caller (none, a forged bearer, an operator), it
// sends hostile path parameters, query strings, headers and bodies built from the route's schema
// (wrong types, huge numbers, unicode, control characters, injection strings) and random JSON.
// Every answer must be below 500; every refusal a problem+json with a registered code; no answer
// may carry a stack trace. The seed is fixed so CI is repeatable; ANFU_FUZZ_SEED explores others.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { problems } from '../errors.ts';
import { testStoreKinds } from '../store/testing.ts';
import { createTestApp, type TestApp } from '../wiring/test-app.ts';

type JsonSchema = {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: unknown[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
};
interface Parameter { name: string; in: string; schema?: JsonSchema }
interface Operation { parameters?: Parameter[]; requestBody?: { content?: Record<string, { schema?: JsonSchema }> } }

const seed = Number(process.env.ANFU_FUZZ_SEED ?? 20261202);
const runsPerOperation = Number(process.env.ANFU_FUZZ_RUNS ?? 12);

const hostileStrings = [
  "' OR '1'='1' --", '"; DROP TABLE ledger_accounts; --', '1 UNION SELECT token_hash FROM api_tokens', '\u0000', '\u202e\u2066evil',
  '../../../../etc/passwd', '%00%0d%0a', '<script>alert(1)</script>', '${7*7}{{7*7}}', 'ＣＮＹ', '１２.３４', '-0.00', '1e309', 'NaN',
  '99999999999999999999999999999.99', '0x10', ' 12.34 ', '12,34', 'a'.repeat(9000), '😀'.repeat(500), 'acc_' + 'f'.repeat(64),
];
const hostileNumbers = [0, -1, 2 ** 53, -(2 ** 53), 1e308, -1e308, 0.1 + 0.2, 1.5, Number.MAX_SAFE_INTEGER + 2];

const hostileString = fc.oneof(fc.constantFrom(...hostileStrings), fc.string({ maxLength: 40 }), fc.string({ unit: 'grapheme', maxLength: 20 }));

/** Values shaped like the schema, with hostile leaves; sometimes of the wrong type altogether. */
function valueFor(schema: JsonSchema | undefined, depth: number): fc.Arbitrary<unknown> {
  const anything = fc.oneof(hostileString, fc.constantFrom(...hostileNumbers), fc.boolean(), fc.constant(null), fc.constant([]), fc.constant({}));
  if (schema === undefined || depth > 3) return anything;
  const variants = schema.anyOf ?? schema.oneOf;
  if (variants !== undefined && variants.length > 0) return fc.oneof(...variants.map((v) => valueFor(v, depth + 1)), anything);
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  const enumValues = schema.enum ?? [];
  const likely: fc.Arbitrary<unknown> = enumValues.length > 0 ? fc.constantFrom(...enumValues) : ((): fc.Arbitrary<unknown> => {
    switch (type) {
      case 'object': {
        const entries = Object.entries(schema.properties ?? {});
        const shape = Object.fromEntries(entries.map(([k, v]) => [k, valueFor(v, depth + 1)]));
        return fc.record(shape, { requiredKeys: entries.map(([k]) => k).filter((k) => (schema.required ?? []).includes(k)) });
      }
      case 'array': return fc.array(valueFor(schema.items, depth + 1), { maxLength: 4 });
      case 'integer': case 'number': return fc.oneof(fc.constantFrom(...hostileNumbers), fc.integer());
      case 'boolean': return fc.boolean();
      default: return hostileString;
    }
  })();
  return fc.oneof({ weight: 4, arbitrary: likely }, { weight: 1, arbitrary: anything });
}

function requestBodySchema(operation: Operation): JsonSchema | undefined {
  return operation.requestBody?.content?.['application/json']?.schema;
}

const headerSafe = fc.string({ maxLength: 60 }).map((s) => s.replace(/[^\t\x20-\x7e]/g, '?'));

interface FuzzCase { pathValues: string[]; query: Record<string, string>; body: unknown; rawBody: boolean; key: string; agent: string }

function caseFor(path: string, operation: Operation): fc.Arbitrary<FuzzCase> {
  const pathParams = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1] ?? '');
  const queryParams = (operation.parameters ?? []).filter((p) => p.in === 'query');
  return fc.record({
    pathValues: fc.tuple(...pathParams.map(() => fc.oneof(hostileString, fc.constant('1')))).map((values) => values.map(String)),
    query: fc.record(Object.fromEntries(queryParams.map((p) => [p.name, valueFor(p.schema, 2).map(String)])), { requiredKeys: [] }),
    body: fc.oneof({ weight: 3, arbitrary: valueFor(requestBodySchema(operation), 0) }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) }),
    rawBody: fc.boolean(),
    key: headerSafe,
    agent: headerSafe,
  }) as fc.Arbitrary<FuzzCase>;
}

function urlOf(path: string, c: FuzzCase): string {
  let i = 0;
  const filled = path.replace(/\{\w+\}/g, () => encodeURIComponent(c.pathValues[i++] ?? 'x'));
  const query = new URLSearchParams(c.query).toString();
  return query === '' ? filled : `${filled}?${query}`;
}

function assertAnswer(status: number, contentType: string, body: string, what: string): void {
  assert.ok(status < 500, `${what} → ${status}: ${body.slice(0, 300)}`);
  assert.doesNotMatch(body, /\bat [^\n]*\.(?:ts|js|mjs):\d+|node_modules/, `${what} leaked a stack trace`);
  if (status >= 400) {
    assert.match(contentType, /^application\/problem\+json/, `${what} → ${status} is not problem+json`);
    const code = (JSON.parse(body) as { code?: string }).code ?? '';
    assert.ok(Object.hasOwn(problems, code), `${what} → unregistered code ${JSON.stringify(code)}`);
  }
}

for (const kind of testStoreKinds()) {
  describe(`the API under a schema-driven fuzzer on ${kind}`, () => {
    let t: TestApp;
    before(async () => {
      t = await createTestApp(kind, { ANFU_RATE_LIMIT_PER_MINUTE: '10000000', ANFU_LOG_LEVEL: 'silent' });
    });
    after(async () => t.close());

    it('every operation, every kind of caller: no 5xx, only registered problems, no stack traces', { timeout: 600_000 }, async () => {
      const spec = t.app.swagger() as { paths: Record<string, Record<string, Operation>> };
      const callers: Array<[string, string | undefined]> = [['anonymous', undefined], ['forged', 'anfu_op_forged0000000000000000'], ['operator', t.token]];
      let sent = 0;
      for (const [path, methods] of Object.entries(spec.paths)) {
        for (const [method, operation] of Object.entries(methods)) {
          if (!['get', 'post', 'put', 'patch', 'delete'].some((m) => m === method)) continue;
          for (const [caller, bearer] of callers) {
            await fc.assert(fc.asyncProperty(caseFor(path, operation), async (c) => {
              const headers: Record<string, string> = { 'idempotency-key': c.key, 'user-agent': c.agent };
              if (bearer !== undefined) headers.authorization = `Bearer ${bearer}`;
              const withBody = method !== 'get' && method !== 'delete';
              if (withBody) headers['content-type'] = 'application/json';
              const payload = !withBody ? undefined : c.rawBody && typeof c.body === 'string' ? c.body : JSON.stringify(c.body);
              const response = await t.app.inject({ method: method.toUpperCase() as 'GET', url: urlOf(path, c), headers, ...(payload === undefined ? {} : { payload }) });
              sent += 1;
              assertAnswer(response.statusCode, String(response.headers['content-type'] ?? ''), response.body, `${caller} ${method.toUpperCase()} ${path}`);
            }), { seed, numRuns: runsPerOperation, endOnFailure: true });
          }
        }
      }
      assert.ok(sent > 500, `only ${sent} requests were sent`);
    });

    it('found by the fuzzer: an anonymous caller meets 401 before the card link is looked up (was 503)', async () => {
      for (const url of ['/v1/cards', '/v1/top-ups', '/v1/withdrawals']) {
        const response = await t.app.inject({ method: 'POST', url, headers: { 'idempotency-key': 'fuzz-found-0001' }, payload: { instruction: {}, signature: 'x' } });
        assert.ok([400, 401].includes(response.statusCode), `${url} → ${response.statusCode} ${response.body}`);
        assert.notEqual((response.json() as { code?: string }).code, 'card_issuer_unavailable');
      }
    });
  });
}
