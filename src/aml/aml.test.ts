// AML on both stores: the large-value report reaches exactly the PBOC thresholds (single and the
// day's cumulative amount, per direction, at N and N−1), is produced once per day as CSV and JSON
// with masked names, and the monitors raise each suspicious pattern once with its case.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { caseEvidenceOf, getCase } from '../cases/index.ts';
import { AnfuError } from '../errors.ts';
import type { Store } from '../store/index.ts';
import { testStoreKinds, withTestStore } from '../store/testing.ts';
import { exportSuspiciousReport } from './export-suspicious-report.ts';
import { produceLargeValueReport, type LargeValueRow } from './large-value-report.ts';
import { reportDay } from './report-day.ts';
import { runMonitors } from './run-monitors.ts';
import { insertSettledFunding, insertSettledPayment } from './testing.ts';
import { defaultMonitorSettings, pbocLargeValueThresholds } from './thresholds.ts';

const day = reportDay('2026-11-30');
assert.ok(day !== undefined);
const at = (hour: number) => day.from + hour * 3600_000;
const yuan = (n: number) => BigInt(n) * 100n;
const scratch = mkdtempSync(join(tmpdir(), 'anfu-aml-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

test('report days are China Standard Time and refuse impossible dates', () => {
  assert.equal(new Date(day.from).toISOString(), '2026-11-29T16:00:00.000Z');
  assert.equal(reportDay('2026-02-30'), undefined);
  assert.equal(reportDay('2026-1-3'), undefined);
});

for (const kind of testStoreKinds()) {
  describe(`AML on ${kind}`, () => {
    let store: Store;
    let release: () => Promise<void>;
    before(async () => ({ store, release } = await withTestStore(kind)));
    after(() => release());

    test('large-value report: single and cumulative, at the threshold and just under', async () => {
      await store.transaction(async (tx) => {
        await insertSettledPayment(tx, { payer: 'cus_single', payee: 'cus_friend', amount: yuan(500_000), at: at(9) });
        await insertSettledPayment(tx, {
          payer: 'cus_under',
          payee: 'cus_friend2',
          amount: yuan(499_999) + 99n,
          at: at(10),
        });
        await insertSettledPayment(tx, { payer: 'cus_cumul', payee: 'cus_a', amount: yuan(300_000), at: at(8) });
        await insertSettledFunding(tx, {
          customer: 'cus_cumul',
          kind: 'withdrawal',
          amount: yuan(200_000),
          at: at(20),
        });
        await insertSettledPayment(tx, { payer: 'cus_shop', payee: 'mch_big', amount: yuan(1_999_999), at: at(11) });
        await insertSettledPayment(tx, { payer: 'cus_shop2', payee: 'mch_big2', amount: yuan(1_000_000), at: at(11) });
        await insertSettledPayment(tx, { payer: 'cus_shop3', payee: 'mch_big2', amount: yuan(1_000_000), at: at(12) });
        // The day before and a failed payment are not in the report.
        await insertSettledPayment(tx, { payer: 'cus_old', payee: 'cus_b', amount: yuan(900_000), at: day.from - 1 });
        await insertSettledPayment(tx, {
          payer: 'cus_fail',
          payee: 'cus_b',
          amount: yuan(900_000),
          at: at(5),
          state: 'failed',
        });
      });
      const names = async (id: string) => `*${id.slice(-1)}`;
      const options = {
        store,
        directory: scratch,
        thresholds: pbocLargeValueThresholds,
        names,
        producedBy: 'opr_x',
        now: day.to + 3600_000,
      };
      const report = await produceLargeValueReport(options, day.date);
      assert.equal(report.produced, true);
      const json = JSON.parse(readFileSync(report.jsonPath, 'utf8')) as { rows: LargeValueRow[] };
      const summary = json.rows.map((r) => [r.customerId, r.direction, r.rule, r.basis, r.amount, r.dayTotal]).sort();
      assert.deepEqual(
        summary,
        [
          ['cus_cumul', 'out', 'natural_domestic_transfer', 'cumulative', '200000.00', '500000.00'],
          ['cus_cumul', 'out', 'natural_domestic_transfer', 'cumulative', '300000.00', '500000.00'],
          ['cus_friend', 'in', 'natural_domestic_transfer', 'single', '500000.00', '500000.00'],
          ['cus_single', 'out', 'natural_domestic_transfer', 'single', '500000.00', '500000.00'],
          ['mch_big2', 'in', 'non_natural_transfer', 'cumulative', '1000000.00', '2000000.00'],
          ['mch_big2', 'in', 'non_natural_transfer', 'cumulative', '1000000.00', '2000000.00'],
          ['cus_shop', 'out', 'natural_domestic_transfer', 'single', '1999999.00', '1999999.00'],
          ['cus_shop2', 'out', 'natural_domestic_transfer', 'single', '1000000.00', '1000000.00'],
          ['cus_shop3', 'out', 'natural_domestic_transfer', 'single', '1000000.00', '1000000.00'],
        ].sort(),
      );
      assert.ok(json.rows.every((r) => r.customerName.startsWith('*') && r.article.startsWith('PBOC 2016-3')));
      const csv = readFileSync(report.csvPath, 'utf8').split('\r\n');
      assert.equal(csv[0]?.split(',')[0], 'reportDate');
      assert.equal(csv.length, json.rows.length + 2);
      const again = await produceLargeValueReport(options, day.date);
      assert.deepEqual({ ...again, produced: true }, report, 'produced once: a second run returns the recorded files');
      assert.equal(again.produced, false);
      await assert.rejects(
        produceLargeValueReport({ ...options, now: day.from - 1 }, day.date),
        (e: unknown) => e instanceof AnfuError && e.code === 'aml_report_date_invalid',
      );
      const audit = await store.all("SELECT target FROM audit_entries WHERE action = 'aml.report.large_value'");
      assert.equal(audit.length, 1);
    });

    test('monitors raise each pattern once, with its case', async () => {
      const now = Date.UTC(2026, 11, 2, 12);
      const t = (minutesAgo: number) => now - minutesAgo * 60_000;
      await store.transaction(async (tx) => {
        for (let i = 0; i < 3; i += 1)
          await insertSettledPayment(tx, {
            payer: 'cus_smurf',
            payee: `cus_s${i}`,
            amount: yuan(48_000 + i),
            at: t(300 - i),
          });
        await insertSettledPayment(tx, { payer: 'cus_nearly', payee: 'cus_s9', amount: yuan(48_000), at: t(200) });
        await insertSettledPayment(tx, { payer: 'cus_src', payee: 'cus_mule', amount: yuan(20_000), at: t(120) });
        await insertSettledFunding(tx, { customer: 'cus_mule', kind: 'withdrawal', amount: yuan(19_000), at: t(100) });
        for (let i = 0; i < 10; i += 1)
          await insertSettledPayment(tx, {
            payer: `cus_fan${i}`,
            payee: 'cus_collector',
            amount: yuan(100),
            at: t(60 - i),
          });
        for (let i = 0; i < 5; i += 1)
          await insertSettledPayment(tx, {
            payer: `cus_dev${i % 2}`,
            payee: `cus_dp${i}`,
            amount: yuan(10),
            at: t(50 - i),
            device: 'dev_shared',
          });
        await insertSettledPayment(tx, {
          payer: 'cus_sleeper',
          payee: 'cus_x',
          amount: yuan(1),
          at: now - 200 * 86_400_000,
        });
        await insertSettledPayment(tx, { payer: 'cus_sleeper', payee: 'cus_y', amount: yuan(15_000), at: t(30) });
      });
      const first = await runMonitors(store, defaultMonitorSettings, now);
      const found = first.opened.map((o) => `${o.pattern}:${o.subjectId}`).sort();
      assert.deepEqual(found, [
        'device_payees:dev_shared',
        'dormant_wake:cus_sleeper',
        'fan_in:cus_collector',
        'rapid_in_out:cus_mule',
        'structuring:cus_smurf',
      ]);
      const second = await runMonitors(store, defaultMonitorSettings, now + 60_000);
      assert.deepEqual(second.opened, [], 'a re-run opens nothing twice');
      const alerts = await store.all<{ case_id: string | null }>('SELECT case_id FROM aml_alerts');
      assert.equal(alerts.length, 5);
      assert.ok(alerts.every((a) => a.case_id !== null));
      const structuring = first.opened.find((o) => o.pattern === 'structuring');
      const opened = await getCase(store, structuring?.caseId ?? '');
      assert.equal(opened?.kind, 'aml_alert');
      assert.deepEqual(opened?.amount, { minor: yuan(48_000 + 48_001 + 48_002), currency: 'CNY' });
      assert.equal((await caseEvidenceOf(store, opened?.id ?? '')).length, 3);
      const audit = await store.all("SELECT target FROM audit_entries WHERE action = 'aml.alert'");
      assert.equal(audit.length, 5);
      const str = await exportSuspiciousReport(store, opened?.id ?? '', 'opr_analyst', now);
      assert.equal(str.caseKind, 'aml_alert');
      assert.equal(str.characteristics.pattern, 'structuring');
      assert.deepEqual(
        str.transactions.map((m) => [m.payer, m.amountMinor]),
        [
          ['cus_smurf', '4800000'],
          ['cus_smurf', '4800100'],
          ['cus_smurf', '4800200'],
        ],
      );
      await assert.rejects(
        exportSuspiciousReport(store, 'cas_nothing', 'opr_analyst', now),
        (e: unknown) => e instanceof AnfuError && e.code === 'aml_case_not_reportable',
      );
      const exported = await store.all("SELECT target FROM audit_entries WHERE action = 'aml.report.suspicious'");
      assert.deepEqual(
        exported.map((e) => e.target),
        [opened?.id],
      );
    });
  });
}
