// Self-attack with Debian's sqlmap: the real app on each store, listening on loopback, attacked on
// representative parameterised endpoints — path parameters, query strings and JSON bodies — as an
// anonymous caller, a customer and an operator. Any injection point found, or any 5xx provoked, fails.
// Bounded for CI: boolean, error and UNION techniques at level 1 (time-based tests take minutes each
// and add nothing where every query is parameterised).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { testStoreKinds } from '../store/testing.ts';
import { createIdentityTestApp, registerThroughApi, type IdentityTestApp } from '../wiring/identity-test-app.ts';
import { hasTool, skipUnless } from '../testing/required-tools.ts';

const run = promisify(execFile);

interface Target {
  readonly name: string;
  readonly path: string;
  readonly body?: string;
  readonly caller: 'anonymous' | 'customer' | 'operator';
}

const targets: readonly Target[] = [
  { name: 'account by id (path)', path: '/v1/accounts/acc_1*', caller: 'operator' },
  { name: 'journal page (query)', path: '/v1/accounts/acc_1/journal?limit=10*&cursor=a*', caller: 'operator' },
  { name: 'audit entries (query)', path: '/v1/audit/entries?after=1*&limit=5*', caller: 'operator' },
  {
    name: 'transfer (JSON body)',
    path: '/v1/transfers',
    body: '{"debitAccountId":"acc_1*","creditAccountId":"acc_2*","amount":"1.00","currency":"CNY"}',
    caller: 'operator',
  },
  {
    name: 'customer login (JSON body)',
    path: '/v1/customer-sessions',
    body: '{"phone":"13800000000*","password":"x*"}',
    caller: 'anonymous',
  },
  { name: 'payee lookup (query)', path: '/v1/payees/lookup?phone=13800000000*', caller: 'customer' },
  { name: 'payment by id (path)', path: '/v1/payments/pay_1*', caller: 'customer' },
  { name: 'payment history (query)', path: '/v1/payments?limit=5*&cursor=x*', caller: 'customer' },
  // issue 14: the operational report's range and a backup job by id
  {
    name: 'operations report (query)',
    path: '/v1/reports/operations?from=2026-12-01*&to=2026-12-02*',
    caller: 'operator',
  },
  { name: 'backup job by id (path)', path: '/v1/backups/jobs/bkj_1*', caller: 'operator' },
];

/** What sqlmap reported: injection points found, and the HTTP error codes it provoked. */
function findings(output: string): { injectable: boolean; serverErrors: string[] } {
  const injectable = /identified the following injection point|is vulnerable/i.test(output);
  const codes = /HTTP error codes detected during run:\s*\n([^\n]*)/.exec(output)?.[1] ?? '';
  return { injectable, serverErrors: [...codes.matchAll(/\b(5\d\d) \(/g)].map((m) => m[1] ?? '') };
}

for (const kind of testStoreKinds()) {
  describe(`sqlmap against the API on ${kind}`, { skip: skipUnless(hasTool('sqlmap'), 'sqlmap') }, () => {
    let t: IdentityTestApp;
    let base = '';
    let customerToken = '';
    const outputDir = mkdtempSync(join(tmpdir(), 'anfu-sqlmap-'));

    before(async () => {
      t = await createIdentityTestApp(kind, {
        env: { ANFU_RATE_LIMIT_PER_MINUTE: '10000000', ANFU_LOG_LEVEL: 'silent' },
      });
      customerToken = (await registerThroughApi(t)).accessToken;
      base = await t.app.listen({ host: '127.0.0.1', port: 0 });
    });
    after(async () => {
      await t.close();
      rmSync(outputDir, { recursive: true, force: true });
    });

    for (const target of targets) {
      it(`${target.name} as ${target.caller}: nothing injectable, no 5xx`, { timeout: 300_000 }, async () => {
        const token = target.caller === 'operator' ? t.token : target.caller === 'customer' ? customerToken : undefined;
        const args = [
          '-u',
          `${base}${target.path}`,
          '--batch',
          '--level=1',
          '--risk=1',
          '--technique=BEU',
          '--timeout=10',
          '--retries=0',
          '--threads=2',
          '--disable-coloring',
          '--flush-session',
          `--output-dir=${outputDir}`,
          ...(token === undefined ? [] : ['-H', `Authorization: Bearer ${token}`]),
          ...(target.body === undefined ? [] : ['--data', target.body, '-H', 'Content-Type: application/json']),
        ];
        const { stdout, stderr } = await run('sqlmap', args, { timeout: 280_000, maxBuffer: 32 * 1024 * 1024 });
        const output = `${stdout}\n${stderr}`;
        assert.match(output, /testing|tested/i, 'sqlmap ran no test');
        const found = findings(output);
        assert.equal(found.injectable, false, `sqlmap found an injection point:\n${output.slice(-3000)}`);
        assert.deepEqual(found.serverErrors, [], `sqlmap provoked server errors:\n${output.slice(-3000)}`);
      });
    }
  });
}
