// Least privilege, walked: every registered /v1 route × every role, through the real app, must be
// allowed or refused exactly as the permission table says; every refusal is audited. A route with
// `auth` but no permission, or a public /v1 route not on the short list below, fails here.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { testStoreKinds } from '../store/testing.ts';
import { routesOf } from '../http/operator-auth.ts';
import { isPermission, operatorRoles, permissions, roleHolds, type OperatorRole } from './index.ts';
import { bearer, createAccessTestApp, type AccessTestApp } from '../wiring/access-test-app.ts';

// Customer and merchant routes under /v1 authenticate in their own capabilities; these paths are
// the operators' alone, so a route here without operator auth is a mistake (except the login).
const operatorPaths = /^\/v1\/(accounts|fundings|transfers|holds|ledger|operators|operator-sessions|proposals|security|incidents|audit|webhooks)(\/|$)/;
const publicOperatorRoutes = new Set(['POST /v1/operator-sessions']);
const sample: Record<string, string> = { accountId: 'acc_0000000000aaaaaaaaaaaaaaaa', transferId: '1', holdId: '1', proposalId: 'prp_0000000000aaaaaaaaaaaaaaaa', incidentId: 'inc_0000000000aaaaaaaaaaaaaaaa' };

for (const kind of testStoreKinds()) {
  describe(`route × role permissions (${kind})`, () => {
    let t: AccessTestApp;
    const tokens = new Map<OperatorRole, string>();
    before(async () => {
      t = await createAccessTestApp(kind);
      for (const role of operatorRoles) tokens.set(role, await t.apiToken(role));
    });
    after(() => t.close());

    test('every operator route names a known permission; operator paths are never public', () => {
      const routes = routesOf(t.app).filter((r) => r.url.startsWith('/v1/'));
      const operatorRoutes = routes.filter((r) => r.auth === 'operator');
      assert.ok(operatorRoutes.length >= 25, `expected the whole operator API, saw ${operatorRoutes.length} routes`);
      for (const route of routes) {
        const name = `${route.method} ${route.url}`;
        if (route.auth === 'operator' || route.permission !== undefined) {
          assert.equal(route.auth, 'operator', `${name} names a permission but no operator auth`);
          assert.ok(route.permission !== undefined && isPermission(route.permission), `${name} has auth but no known permission`);
        } else if (operatorPaths.test(route.url)) {
          assert.ok(publicOperatorRoutes.has(name), `${name} is an operator path without auth: add auth and a permission`);
        }
      }
    });

    test('each role is allowed exactly what the table says, and every refusal is audited', async () => {
      const routes = routesOf(t.app).filter((r) => r.url.startsWith('/v1/') && r.auth === 'operator' && r.method !== 'HEAD');
      let refusals = 0;
      for (const route of routes) {
        const url = route.url.replace(/:([A-Za-z]+)/g, (_, name: string) => sample[name] ?? 'x');
        for (const role of operatorRoles) {
          const response = await t.app.inject({ method: route.method as 'GET', url, headers: bearer(tokens.get(role) as string) });
          const allowed = route.permission !== undefined && isPermission(route.permission) && roleHolds(role, route.permission);
          const code = response.statusCode >= 400 ? (response.json() as { code: string }).code : 'ok';
          if (allowed) assert.notEqual(code, 'forbidden', `${role} should be allowed ${route.method} ${route.url}`);
          else {
            assert.equal(code, 'forbidden', `${role} should be refused ${route.method} ${route.url} (got ${response.statusCode})`);
            refusals += 1;
          }
          assert.notEqual(code, 'unauthenticated');
        }
      }
      const audited = (await t.auditRows('operator.authorize')).filter((row) => row.outcome === 'denied');
      assert.equal(audited.length, refusals);
      assert.ok(refusals > 20);
    });

    test('the table only names real roles, and the auditor can change nothing', () => {
      // A checkpoint only signs a snapshot of the audit log; it changes no business data.
      const auditorMayAlso = new Set(['audit.checkpoint']);
      for (const [permission, roles] of Object.entries(permissions)) {
        for (const role of roles) assert.ok((operatorRoles as readonly string[]).includes(role), `${permission}: ${role}`);
        if (!/\.(read|self|verify)$/.test(permission) && !auditorMayAlso.has(permission)) assert.ok(!(roles as readonly string[]).includes('auditor'), `auditor holds ${permission}`);
      }
    });

    test('docs/SECURITY.md shows the same role table as the code', () => {
      const doc = readFileSync(new URL('../../docs/SECURITY.md', import.meta.url), 'utf8');
      const rows = new Map<string, string[]>();
      for (const match of doc.matchAll(/^\| `([a-z.]+)` \|(.*)\|$/gm)) rows.set(match[1] as string, (match[2] as string).split('|').map((cell) => cell.trim()));
      for (const [permission, roles] of Object.entries(permissions)) {
        const expected = operatorRoles.map((role) => ((roles as readonly string[]).includes(role) ? '✔' : '—'));
        assert.deepEqual(rows.get(permission), expected, `docs/SECURITY.md row for ${permission}`);
      }
    });
  });
}
