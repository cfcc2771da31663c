// The operational report on both stores from real activity: signed transfers (succeeded and
// failed), request latency recorded and flushed, an incident; JSON sections and CSV agree, bad
// ranges are refused, and CSV cells cannot become spreadsheet formulas.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openIncident, systemActor } from '../access/index.ts';
import { loadConfig } from '../config.ts';
import { transferToCustomer } from '../flows/transfer-to-customer.ts';
import { Ledger } from '../ledger/index.ts';
import { paymentSettingsOf, walletOf, type PaymentsContext } from '../payments/index.ts';
import { createTestIdentity, instructionFor, signInstruction } from '../payments/testing.ts';
import { createTestDatabase, testStoreKinds } from '../store/testing.ts';
import { camt053, createPartner } from '../clearing/index.ts';
import { reconcileStatement } from '../reconciliation/index.ts';
import { openComplaint } from '../support/index.ts';
import { clearingContextFor } from '../wiring/clearing.ts';
import { createTestApp } from '../wiring/test-app.ts';
import {
  createLatencyRecorder,
  operationsReport,
  reportCsv,
  reportRangeProblem,
  type OperationsReport,
} from './index.ts';

const dayMs = 24 * 3600_000;

function valueOf(report: OperationsReport, section: string, dimension: string, metric: string) {
  const rows = report.sections[section]?.rows ?? [];
  return rows.find((r) => r.dimension === dimension && r.metric === metric)?.value;
}

for (const kind of testStoreKinds()) {
  test(`${kind}: daily and weekly reports count real payments, latency percentiles and incidents`, async () => {
    const database = await createTestDatabase(kind);
    const store = database.open();
    const ledger = new Ledger({ store });
    try {
      const identity = await createTestIdentity();
      const config = loadConfig({ ANFU_ENV: 'test' });
      const ctx: PaymentsContext = { store, ledger, identity, settings: paymentSettingsOf(config), clock: Date.now };
      const bank = await ledger.openAccount({ kind: 'bank_settlement', currency: 'CNY', name: 'Test bank' });
      const alice = await identity.addCustomer();
      const bob = await identity.addCustomer();
      const wallet = await walletOf(ledger, alice.customer.id, 'CNY');
      const funded = await ledger.submit({
        kind: 'single',
        key: 'fund:alice',
        debitAccountId: bank.id,
        creditAccountId: wallet.id,
        amount: 5_000n,
        currency: 'CNY',
      });
      assert.ok(funded.ok);
      const outcomes: string[] = [];
      for (const [i, amount] of ['12.34', '10.00', '500.00'].entries()) {
        const instruction = instructionFor(alice, { kind: 'transfer', target: bob.customer.id, amount });
        const request = {
          instruction,
          signature: signInstruction(identity.profile, alice, instruction),
          idempotencyKey: `report-key-${i}`,
        };
        const result = await transferToCustomer(ctx, alice.principal, request).then(
          (r) => r.payment.state,
          (e: Error) => e.message,
        );
        outcomes.push(result);
      }
      const succeeded = outcomes.filter((o) => o === 'succeeded').length;
      assert.equal(succeeded, 2, outcomes.join());
      const now = Date.now();
      await openIncident(
        store,
        systemActor,
        { title: 'Test', classification: 'other', severity: 'high', scope: 'reports test' },
        now,
      );
      const latency = createLatencyRecorder();
      for (const ms of [3, 5, 8, 12, 40, 900]) latency.record('POST /v1/payments/transfers', 200, ms, now);
      latency.record('GET /v1/ledger/accounts', 404, 2, now);
      await latency.flush(store);
      latency.record('POST /v1/payments/transfers', 200, 7, now);
      await latency.flush(store);

      const from = Math.floor(now / dayMs) * dayMs;
      const daily = await operationsReport({ store, clock: Date.now }, { from, to: from + dayMs, granularity: 'day' });
      assert.deepEqual(daily.periods, [new Date(from).toISOString().slice(0, 10)]);
      const rows = await store.all('SELECT state FROM payments');
      assert.equal(valueOf(daily, 'volumes', 'transfer.CNY', 'count'), rows.length);
      assert.equal(valueOf(daily, 'outcomes', 'transfer', 'succeeded'), 2);
      const final = rows.filter((r) => r.state === 'succeeded' || r.state === 'failed').length;
      assert.equal(valueOf(daily, 'outcomes', 'transfer', 'success_rate'), Math.round((2 / final) * 10_000) / 10_000);
      assert.equal(valueOf(daily, 'latency', 'all', 'requests'), 8);
      assert.equal(valueOf(daily, 'latency', 'POST /v1/payments/transfers', 'requests'), 7);
      const p50 = valueOf(daily, 'latency', 'POST /v1/payments/transfers', 'p50_ms') as number;
      assert.ok(p50 >= 8 && p50 <= 8 * 1.2, `p50 ${p50}`);
      const p99 = valueOf(daily, 'latency', 'POST /v1/payments/transfers', 'p99_ms') as number;
      assert.ok(p99 >= 900 && p99 <= 900 * 1.2, `p99 ${p99}`);
      assert.equal(valueOf(daily, 'incidents', 'high', 'opened'), 1);
      assert.equal(valueOf(daily, 'incidents', 'all', 'open_at_end'), 1);
      // Without the wiring's sections, the capability-owned ones stay extension points.
      assert.equal(daily.sections.reconciliation?.available, false);
      assert.equal(daily.sections.complaints?.available, false);

      const weekly = await operationsReport(
        { store, clock: Date.now },
        { from: now - 20 * dayMs, to: now + dayMs, granularity: 'week' },
      );
      assert.ok(weekly.periods.length >= 3 && weekly.periods.length <= 5);
      const monday = new Date(`${weekly.periods[0]}T00:00:00Z`).getUTCDay();
      assert.equal(monday, 1);
      const counts = weekly.sections.volumes?.rows.filter((r) => r.metric === 'count') ?? [];
      assert.equal(
        counts.reduce((s, r) => s + Number(r.value), 0),
        rows.length,
      );

      const csv = reportCsv(daily).split('\n');
      assert.equal(csv[0], 'period,section,dimension,metric,value');
      assert.ok(csv.includes(`${daily.periods[0]},outcomes,transfer,succeeded,2`));
    } finally {
      await ledger.close();
      await store.close();
      await database.drop();
    }
  });
}

test('report ranges: reversed, unparsable or too long are refused; CSV cells never start a formula', () => {
  assert.match(reportRangeProblem({ from: 10, to: 5, granularity: 'day' }) ?? '', /before/);
  assert.match(reportRangeProblem({ from: Number.NaN, to: 5, granularity: 'day' }) ?? '', /ISO/);
  assert.match(reportRangeProblem({ from: 0, to: 500 * dayMs, granularity: 'week' }) ?? '', /400 days/);
  assert.equal(reportRangeProblem({ from: 0, to: dayMs, granularity: 'day' }), null);
  const report: OperationsReport = {
    from: '',
    to: '',
    granularity: 'day',
    generatedAt: '',
    periods: ['2026-12-01'],
    sections: {
      latency: {
        available: true,
        note: '',
        rows: [{ period: '2026-12-01', dimension: '=HYPERLINK("x")', metric: 'a,b', value: -3 }],
      },
    },
  };
  assert.equal(reportCsv(report).split('\n')[1], `2026-12-01,latency,"'=HYPERLINK(""x"")","a,b",-3`);
});

for (const kind of testStoreKinds()) {
  test(`${kind}: latency recorded by the app; the report API answers JSON and CSV, refuses bad ranges`, async () => {
    const t = await createTestApp(kind);
    try {
      const headers = { authorization: `Bearer ${t.token}` };
      for (let i = 0; i < 5; i += 1)
        assert.equal((await t.app.inject({ method: 'GET', url: '/health' })).statusCode, 200);
      await t.app.context.latency.flush(t.store);
      const day = new Date().toISOString().slice(0, 10);
      const next = new Date(Date.now() + dayMs).toISOString().slice(0, 10);
      const json = await t.app.inject({ method: 'GET', url: `/v1/reports/operations?from=${day}&to=${next}`, headers });
      assert.equal(json.statusCode, 200, json.body);
      const report = json.json() as OperationsReport;
      assert.equal(valueOf(report, 'latency', 'GET /health', 'requests'), 5);
      const csv = await t.app.inject({
        method: 'GET',
        url: `/v1/reports/operations.csv?from=${day}&to=${next}&granularity=week`,
        headers,
      });
      assert.equal(csv.statusCode, 200);
      assert.match(String(csv.headers['content-type']), /^text\/csv/);
      assert.match(csv.body, /^period,section,dimension,metric,value\n/);
      assert.match(csv.body, /,latency,GET \/health,requests,5\n/);
      const reversed = await t.app.inject({
        method: 'GET',
        url: `/v1/reports/operations?from=${next}&to=${day}`,
        headers,
      });
      assert.equal(reversed.statusCode, 400);
      assert.equal((reversed.json() as { code: string }).code, 'report_range_invalid');
      const garbage = await t.app.inject({
        method: 'GET',
        url: '/v1/reports/operations?from=yesterday&to=%27%20OR%201=1',
        headers,
      });
      assert.equal((garbage.json() as { code: string }).code, 'report_range_invalid');
      const service = { authorization: `Bearer ${await t.tokenFor('customer_service')}` };
      const refused = await t.app.inject({
        method: 'GET',
        url: `/v1/reports/operations?from=${day}&to=${next}`,
        headers: service,
      });
      assert.equal(refused.statusCode, 403);
    } finally {
      await t.close();
    }
  });
}

for (const kind of testStoreKinds()) {
  test(`${kind}: the wired report carries reconciliation breaks and complaints from real records`, async () => {
    const t = await createTestApp(kind);
    try {
      const headers = { authorization: `Bearer ${t.token}` };
      const { store, ledger, keyring, config } = t.app.context;
      const clearing = { ctx: await clearingContextFor({ store, ledger, keyring, config }) };
      const account = '6222000011112222';
      const partner = await createPartner(
        t.store,
        t.ledger,
        {
          name: 'BOC', role: 'clearing_house', currency: 'CNY', bic: 'BKCHCNBJ', accountNumber: account,
          netDebitCap: 1_000_000n,
        },
        'opr_test',
        Date.now(),
      );
      const today = new Date().toISOString().slice(0, 10);
      const entry = {
        amount: 1_234n, currency: 'CNY', direction: 'credit' as const, bookingDate: today, valueDate: today,
        bankRef: 'UNKNOWN-1', bankCode: 'PMNT/RCDT/DMCT',
      };
      const statement = camt053({
        messageId: 'M-report', created: `${today}T18:00:00Z`, statementId: 'S', sequence: 1, date: today,
        opening: 0n, closing: 1_234n, account, currency: 'CNY', entries: [entry],
      });
      await reconcileStatement(clearing.ctx, partner.id, statement);
      const breaks = await t.store.all("SELECT class, amount FROM reconciliation_breaks WHERE state = 'open'");
      assert.ok(breaks.length >= 1, 'the unknown credit is a break');
      const opened = await openComplaint(
        t.app.context.support,
        { type: 'customer', id: 'cus_report_test' },
        { customerId: 'cus_report_test', category: 'payment_problem', paymentIds: [], text: 'My payment is late.' },
      );
      assert.ok(opened.ok, JSON.stringify(opened));

      const next = new Date(Date.now() + dayMs).toISOString().slice(0, 10);
      const query = `from=${today}&to=${next}`;
      const response = await t.app.inject({ method: 'GET', url: `/v1/reports/operations?${query}`, headers });
      assert.equal(response.statusCode, 200, response.body);
      const report = response.json() as OperationsReport;
      assert.equal(report.sections.reconciliation?.available, true);
      const byClass = new Map<string, { n: number; amount: bigint }>();
      for (const b of breaks) {
        const c = byClass.get(String(b.class)) ?? { n: 0, amount: 0n };
        const amount = BigInt(b.amount as bigint);
        byClass.set(String(b.class), { n: c.n + 1, amount: c.amount + (amount < 0n ? -amount : amount) });
      }
      for (const [cls, c] of byClass) {
        assert.equal(valueOf(report, 'reconciliation', cls, 'open'), c.n);
        assert.equal(valueOf(report, 'reconciliation', cls, 'open_amount_minor'), c.amount.toString());
        assert.equal(valueOf(report, 'reconciliation', cls, 'resolved'), 0);
      }
      assert.equal(valueOf(report, 'reconciliation', 'open_by_age', 'under_1d'), breaks.length);
      assert.equal(report.sections.complaints?.available, true);
      assert.equal(valueOf(report, 'complaints', 'payment_problem', 'received'), 1);
      assert.equal(valueOf(report, 'complaints', 'all', 'sla_compliance'), 1);
      const csv = await t.app.inject({ method: 'GET', url: `/v1/reports/operations.csv?${query}`, headers });
      assert.ok(csv.body.includes(`${today},complaints,payment_problem,received,1\n`), csv.body);
    } finally {
      await t.close();
    }
  });
}
