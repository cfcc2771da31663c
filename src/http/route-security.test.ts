// The security each operation declares in the OpenAPI document is the security its route enforces:
// every documented operation is called without credentials and must answer 401 exactly when it
// declares a scheme (and never when it declares none), and a credential of the wrong kind is refused
// too. New routes are covered as they are registered: the list comes from the app's own document.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestApp } from '../wiring/test-app.ts';

interface Operation {
  operationId: string;
  security: Record<string, string[]>[];
}
type Paths = Record<string, Record<string, Operation>>;

/** A concrete URL for a documented path: every `{param}` gets a value of the right shape where it can. */
const concrete = (path: string) => path.replace(/\{[^}]+\}/g, 'abc_0123456789abcdefghijklmnop');

const schemesOf = (operation: Operation) => operation.security.flatMap((requirement) => Object.keys(requirement));

test('every route answers 401 without credentials exactly when its documentation declares security', async () => {
  const t = await createTestApp('sqlite', { ANFU_LOG_LEVEL: 'silent' });
  try {
    const paths = (t.app.swagger() as unknown as { paths: Paths }).paths;
    const disagreements: string[] = [];
    let checked = 0;
    for (const [path, item] of Object.entries(paths)) {
      for (const [method, operation] of Object.entries(item)) {
        const hasBody = method !== 'get' && method !== 'delete';
        const response = await t.app.inject({
          method: method.toUpperCase() as 'GET',
          url: concrete(path),
          ...(hasBody ? { payload: {} } : {}),
        });
        checked += 1;
        const declared = operation.security.length > 0;
        if (declared !== (response.statusCode === 401)) {
          disagreements.push(`${method.toUpperCase()} ${path}: declares ${schemesOf(operation).join('+') || 'none'}, ` +
            `answered ${response.statusCode} without credentials`);
        }
      }
    }
    assert.ok(checked > 90, `only ${checked} operations documented`);
    assert.deepEqual(disagreements, []);
  } finally {
    await t.close();
  }
});

test('a credential of another kind is refused: an operator token on customer and merchant routes', async () => {
  const t = await createTestApp('sqlite', { ANFU_LOG_LEVEL: 'silent' });
  try {
    const paths = (t.app.swagger() as unknown as { paths: Paths }).paths;
    const accepted: string[] = [];
    for (const [path, item] of Object.entries(paths)) {
      for (const [method, operation] of Object.entries(item)) {
        const schemes = schemesOf(operation);
        if (schemes.length === 0) continue;
        const response = await t.app.inject({
          method: method.toUpperCase() as 'GET',
          url: concrete(path),
          headers: { authorization: `Bearer ${t.token}` },
          ...(method !== 'get' && method !== 'delete' ? { payload: {} } : {}),
        });
        const refused = response.statusCode === 401;
        const expectRefused = !schemes.includes('operatorToken');
        // Operator GETs only: a write with a valid token could change state (the body is empty, but still).
        if (expectRefused !== refused && (expectRefused || method === 'get')) {
          accepted.push(`${method.toUpperCase()} ${path} (${schemes.join('+')}): ${response.statusCode}`);
        }
      }
    }
    assert.deepEqual(accepted, []);
  } finally {
    await t.close();
  }
});

test('operationIds are present and unique, and every operation has a 4xx problem response', async () => {
  const t = await createTestApp('sqlite', { ANFU_LOG_LEVEL: 'silent' });
  try {
    type Documented = Record<string, Record<string, Operation & { responses: object }>>;
    const paths = (t.app.swagger() as unknown as { paths: Documented }).paths;
    const ids = Object.values(paths).flatMap((item) => Object.values(item).map((op) => op.operationId));
    assert.equal(new Set(ids).size, ids.length);
    assert.ok(ids.every((id) => /^[a-z][A-Za-z0-9]+$/.test(id)));
    for (const item of Object.values(paths)) {
      for (const op of Object.values(item)) assert.ok(Object.keys(op.responses).some((s) => /^4/.test(s)));
    }
  } finally {
    await t.close();
  }
});

test('a handler cannot read a customer or merchant on a route that did not declare that auth', async () => {
  const { customerOf } = await import('./customer-auth.ts');
  const { merchantOf } = await import('./merchant-auth.ts');
  const undeclared = { method: 'POST', routeOptions: { url: '/v1/new-thing', config: {} } };
  const reading = customerOf({} as never, undeclared as never);
  await assert.rejects(reading, /\/v1\/new-thing reads a customer but declares no/);
  assert.throws(() => merchantOf(undeclared as never), /\/v1\/new-thing reads a merchant but does not declare/);
});
