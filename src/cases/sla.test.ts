// SLA clocks: business time against the calendar (weekends, holidays, make-up working days, the
// Asia/Shanghai zone), pauses while waiting on the customer, and the breach sweep that records each
// clock once, under a lease, on both stores.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { acquireLease } from '../store/index.ts';
import { testStoreKinds } from '../store/testing.ts';
import { createAccessTestApp, type AccessTestApp } from '../wiring/access-test-app.ts';
import {
  addBusinessMs,
  businessMsBetween,
  computeSla,
  defaultBusinessCalendar,
  openCase,
  setWaiting,
  sweepCaseSla,
  type BusinessCalendar,
  type CaseRecord,
} from './index.ts';

const hour = 3_600_000;
// 2030-01-04 is a Friday; 17:00 in Shanghai is 09:00 UTC.
const friday17 = Date.UTC(2030, 0, 4, 9, 0);
const monday10 = Date.UTC(2030, 0, 7, 2, 0);

test('business time skips nights and weekends in Asia/Shanghai', () => {
  const calendar = defaultBusinessCalendar;
  assert.equal(businessMsBetween(calendar, friday17, monday10), 2 * hour);
  assert.equal(addBusinessMs(calendar, friday17, 2 * hour), monday10);
  assert.equal(addBusinessMs(calendar, friday17, hour), Date.UTC(2030, 0, 4, 10, 0), 'Friday 18:00');
  assert.equal(businessMsBetween(calendar, Date.UTC(2030, 0, 5, 3), Date.UTC(2030, 0, 6, 3)), 0, 'Saturday');
  assert.equal(
    businessMsBetween(calendar, Date.UTC(2030, 0, 7, 0), Date.UTC(2030, 0, 8, 0)),
    9 * hour,
    'one working day',
  );
});

test('holidays are skipped and make-up working days count', () => {
  const calendar: BusinessCalendar = {
    ...defaultBusinessCalendar,
    holidays: ['2030-01-07'],
    extraWorkdays: ['2030-01-05'],
  };
  assert.equal(businessMsBetween(calendar, friday17, Date.UTC(2030, 0, 8, 2, 0)), 1 * hour + 9 * hour + 1 * hour);
  assert.equal(addBusinessMs(calendar, friday17, 2 * hour), Date.UTC(2030, 0, 5, 2, 0), 'Saturday 10:00, worked');
});

test('adding business time and measuring it back agree (property)', () => {
  const calendar: BusinessCalendar = { ...defaultBusinessCalendar, holidays: ['2030-02-01', '2030-05-01'] };
  fc.assert(
    fc.property(
      fc.integer({ min: Date.UTC(2030, 0, 1), max: Date.UTC(2031, 0, 1) }),
      fc.integer({ min: 0, max: 40 * 9 * hour }),
      (from, ms) => businessMsBetween(calendar, from, addBusinessMs(calendar, from, ms)) === ms,
    ),
    { numRuns: 300 },
  );
});

test('the update clock runs from the last operator change', () => {
  const sla = { firstResponse: hour, update: 2 * hour, resolution: 10 * hour, calendar: 'continuous' as const };
  const base = { createdAt: 0, firstResponseAt: hour, decidedAt: null, status: 'assigned' } as unknown as CaseRecord;
  const events = [
    { seq: 1, caseId: 'c', type: 'opened', actor: 'system', at: 0, details: {} },
    { seq: 2, caseId: 'c', type: 'note', actor: 'opr_x', at: hour, details: {} },
    { seq: 3, caseId: 'c', type: 'note', actor: 'customer:cus_y', at: 2 * hour, details: {} },
  ];
  const within = computeSla(sla, defaultBusinessCalendar, base, events, 3 * hour - 1);
  assert.deepEqual(
    [within.update?.elapsedMs, within.update?.breached],
    [2 * hour - 1, false],
    'a customer event does not count',
  );
  const late = computeSla(sla, defaultBusinessCalendar, base, events, 3 * hour + 1);
  assert.equal(late.update?.breached, true);
});

test('waiting pauses the clocks; the decision stops them', () => {
  const sla = { firstResponse: hour, resolution: 10 * hour, calendar: 'continuous' as const };
  const base = { createdAt: 0, firstResponseAt: null, decidedAt: null, status: 'waiting' } as unknown as CaseRecord;
  const events = [
    { seq: 1, caseId: 'c', type: 'opened', actor: 's', at: 0, details: {} },
    { seq: 2, caseId: 'c', type: 'waiting', actor: 's', at: 30 * 60_000, details: {} },
  ];
  const paused = computeSla(sla, defaultBusinessCalendar, base, events, 5 * hour);
  assert.equal(paused.paused, true);
  assert.equal(paused.firstResponse.elapsedMs, 30 * 60_000);
  assert.equal(paused.firstResponse.breached, false);
  assert.equal(paused.firstResponse.dueAt, null, 'no due time while paused');
  const resumed = [...events, { seq: 3, caseId: 'c', type: 'resumed', actor: 's', at: 5 * hour, details: {} }];
  const running = computeSla(
    sla,
    defaultBusinessCalendar,
    { ...base, status: 'open' },
    resumed,
    5 * hour + 40 * 60_000,
  );
  assert.equal(running.firstResponse.elapsedMs, 70 * 60_000);
  assert.equal(running.firstResponse.breached, true);
  assert.equal(running.resolution.dueAt, 5 * hour + 40 * 60_000 + 10 * hour - 70 * 60_000);
});

for (const kind of testStoreKinds()) {
  describe(`SLA breach sweep (${kind})`, () => {
    let t: AccessTestApp;
    const breaches: string[] = [];
    before(async () => {
      t = await createAccessTestApp(
        kind,
        {},
        {
          caseKinds: [
            {
              definition: {
                kind: 'sla_test',
                queue: 'sla',
                decisions: { clear: { fourEyes: false } },
                sla: { firstResponse: hour, resolution: 4 * hour, calendar: 'continuous' },
              },
            },
          ],
        },
      );
    });
    after(() => t.close());

    test('each clock that runs out is recorded once, by the lease holder; waiting cases do not breach', async () => {
      const cases = t.app.context.cases;
      const open = (key: string) =>
        openCase(
          t.store,
          {
            kind: 'sla_test',
            dedupeKey: key,
            title: key,
            subject: { type: 'customer', id: key },
            severity: 'low',
            openedBy: 'system:test',
          },
          t.now(),
        );
      const late = await open('late');
      const parked = await open('parked');
      assert.ok((await setWaiting(t.store, parked.id, true, { type: 'customer', id: 'cus_y' }, t.now())).ok);
      t.advance(2 * hour);
      const onBreach = (record: CaseRecord, clock: string) => breaches.push(`${record.dedupeKey}:${clock}`);
      assert.ok(
        await acquireLease(t.store, { name: 'sweep:case-sla', holder: 'someone-else', ttlMs: 60_000, now: t.now() }),
      );
      assert.equal(await sweepCaseSla(cases, { holder: 'me', onBreach }), undefined, 'no lease, no sweep');
      t.advance(61_000);
      const first = await sweepCaseSla(cases, { holder: 'me', onBreach });
      assert.equal(first?.breaches, 1);
      assert.deepEqual(breaches, ['late:first_response']);
      const again = await sweepCaseSla(cases, { holder: 'me', onBreach });
      assert.equal(again?.breaches, 0, 'recorded once');
      t.advance(3 * hour);
      await sweepCaseSla(cases, { holder: 'me', onBreach });
      assert.deepEqual(breaches, ['late:first_response', 'late:resolution']);
      const auditor = { authorization: `Bearer ${await t.apiToken('auditor')}` };
      const view = (await t.app.inject({ url: `/v1/cases/${late.id}`, headers: auditor })).json();
      assert.deepEqual(view.breached, ['first_response', 'resolution']);
      assert.equal(view.sla.resolution.breached, true);
      const audited = (await t.auditRows('case.sla_breached'))
        .filter((r) => r.target === late.id)
        .map((r) => r.details.clock);
      assert.deepEqual(audited, ['first_response', 'resolution']);
      const metrics = await t.app.context.metrics.registry.getSingleMetricAsString('anfu_cases');
      assert.match(metrics, /anfu_cases\{kind="sla_test",status="open",breached="true"\} 1/);
      assert.match(metrics, /anfu_cases\{kind="sla_test",status="waiting",breached="false"\} 1/);
    });
  });
}
