// The AML operator API through the real app on both stores: a day's large-value report produced once,
// a monitor run opening a case, its suspicious-transaction report; closed to roles without `aml.report`
// and refusing a malformed date without a 500.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { testStoreKinds } from '../store/testing.ts';
import { createTestApp, type TestApp } from '../wiring/test-app.ts';
import { insertSettledPayment } from './testing.ts';

for (const kind of testStoreKinds()) {
  describe(`AML API on ${kind}`, () => {
    let t: TestApp;
    before(async () => (t = await createTestApp(kind)));
    after(() => t.close());

    test('report, monitor run, suspicious-transaction report', async () => {
      const analyst = { authorization: `Bearer ${await t.tokenFor('risk_analyst')}` };
      const now = Date.now();
      await t.store.transaction(async (tx) => {
        for (let i = 0; i < 3; i += 1) {
          await insertSettledPayment(tx, {
            payer: 'cus_api',
            payee: `cus_p${i}`,
            amount: 4_900_000n,
            at: now - 60_000 * (i + 1),
          });
        }
      });
      const date = '2026-11-30';
      const report = await t.app.inject({
        method: 'POST',
        url: '/v1/aml/large-value-reports',
        headers: analyst,
        payload: { date },
      });
      assert.equal(report.statusCode, 200, report.body);
      assert.equal(report.json().csvFile, `large-value-${date}.csv`);
      assert.equal(report.json().produced, true);
      const again = await t.app.inject({
        method: 'POST',
        url: '/v1/aml/large-value-reports',
        headers: analyst,
        payload: { date },
      });
      assert.equal(again.json().produced, false);
      const bad = await t.app.inject({
        method: 'POST',
        url: '/v1/aml/large-value-reports',
        headers: analyst,
        payload: { date: '2026-02-30' },
      });
      assert.equal(bad.statusCode, 422);
      assert.equal(bad.json().code, 'aml_report_date_invalid');
      const run = await t.app.inject({ method: 'POST', url: '/v1/aml/monitor-runs', headers: analyst });
      assert.equal(run.statusCode, 200, run.body);
      const opened = run.json().opened as Array<{ pattern: string; caseId: string }>;
      assert.deepEqual(
        opened.map((o) => o.pattern),
        ['structuring'],
      );
      const str = await t.app.inject({
        method: 'GET',
        url: `/v1/aml/cases/${opened[0]?.caseId}/suspicious-report`,
        headers: analyst,
      });
      assert.equal(str.statusCode, 200, str.body);
      assert.equal(str.json().transactions.length, 3);
      const support = { authorization: `Bearer ${await t.tokenFor('customer_service')}` };
      const refused = await t.app.inject({ method: 'POST', url: '/v1/aml/monitor-runs', headers: support });
      assert.equal(refused.statusCode, 403);
    });
  });
}
