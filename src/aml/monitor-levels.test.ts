// The customer's money-laundering risk level tunes the AML monitors: a medium- or high-risk customer's
// structuring count, rapid in-and-out amount and fan counts are scaled down by the configured factors
// (ANFU_AML_MONITOR_LEVEL_FACTORS), low and unrated customers are watched at the plain thresholds. Pure
// tables at N and N − 1 per level; the configuration refused whole when malformed; and through the real
// app on both stores: the same activity by a low-risk and a high-risk customer opens a case for the
// high-risk one only, and an override of the low one's rating — effective only once a second operator
// approves it — changes what the next run opens.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import type { OperatorRole } from '../access/index.ts';
import { ConfigError, loadConfig } from '../config.ts';
import { testStoreKinds } from '../store/testing.ts';
import {
  createIdentityTestApp, operatorSession, registerThroughApi, type IdentityTestApp,
} from '../wiring/identity-test-app.ts';
import type { RiskLevel } from './customer-risk-rating.ts';
import { detectPatterns } from './detect-patterns.ts';
import type { SettledMovement } from './settled-money.ts';
import { insertSettledPayment } from './testing.ts';
import { defaultMonitorSettings, monitorSettingsWith, thresholdsFor } from './thresholds.ts';

const yuan = (n: number) => BigInt(n) * 100n;
let sequence = 0;
const move = (payer: string, payee: string, amount: bigint, at = 1_000 + sequence): SettledMovement => {
  sequence += 1;
  return {
    id: `pay_${sequence}`, kind: 'transfer', payerId: payer, payerType: 'natural_person', payeeId: payee,
    payeeType: 'natural_person', amount, currency: 'CNY', at, deviceId: null, crossBorder: false,
  };
};
const levels = (level: RiskLevel | undefined) =>
  new Map<string, RiskLevel>(level === undefined ? [] : [['cus_x', level]]);
const patternsOf = (movements: SettledMovement[], level: RiskLevel | undefined) =>
  detectPatterns(movements, defaultMonitorSettings, levels(level))
    .filter((h) => h.subjectId === 'cus_x')
    .map((h) => h.pattern);

test('thresholds per level: low and unrated plain, medium 75 %, high 50 % (counts rounded up, at least 2)', () => {
  const base = { structuringCountMin: 3, rapidInMin: yuan(10_000), fanCounterpartiesMin: 10 };
  assert.deepEqual(thresholdsFor(defaultMonitorSettings, undefined), base);
  assert.deepEqual(thresholdsFor(defaultMonitorSettings, 'low'), base);
  assert.deepEqual(thresholdsFor(defaultMonitorSettings, 'medium'), {
    structuringCountMin: 3, rapidInMin: yuan(7_500), fanCounterpartiesMin: 8,
  });
  assert.deepEqual(thresholdsFor(defaultMonitorSettings, 'high'), {
    structuringCountMin: 2, rapidInMin: yuan(5_000), fanCounterpartiesMin: 5,
  });
  const harsh = monitorSettingsWith({
    medium: { structuring: 100, rapid_in_out: 100, fan: 100 }, high: { structuring: 1, rapid_in_out: 1, fan: 1 },
  });
  assert.deepEqual(thresholdsFor(harsh, 'medium'), base);
  assert.deepEqual(thresholdsFor(harsh, 'high'), {
    structuringCountMin: 2, rapidInMin: yuan(100), fanCounterpartiesMin: 2,
  });
});

test('each tuned monitor at its level threshold N and N − 1', () => {
  const nearLine = (count: number) => Array.from({ length: count }, () => move('cus_x', 'cus_y', yuan(45_000)));
  assert.deepEqual(patternsOf(nearLine(2), 'high'), ['structuring']);
  assert.deepEqual(patternsOf(nearLine(2), 'medium'), []);
  assert.deepEqual(patternsOf(nearLine(2), undefined), []);
  assert.deepEqual(patternsOf(nearLine(3), 'low'), ['structuring']);
  const passThrough = (inYuan: number) => [move('cus_a', 'cus_x', yuan(inYuan)), move('cus_x', 'cus_b', yuan(inYuan))];
  assert.deepEqual(patternsOf(passThrough(5_000), 'high'), ['rapid_in_out']);
  const justUnder = [move('cus_a', 'cus_x', yuan(5_000) - 1n), move('cus_x', 'cus_b', yuan(5_000))];
  assert.deepEqual(patternsOf(justUnder, 'high'), []);
  assert.deepEqual(patternsOf(passThrough(7_500), 'medium'), ['rapid_in_out']);
  assert.deepEqual(patternsOf(passThrough(7_499), 'medium'), []);
  assert.deepEqual(patternsOf(passThrough(9_999), 'low'), []);
  assert.deepEqual(patternsOf(passThrough(10_000), 'low'), ['rapid_in_out']);
  const fanOut = (payees: number) => Array.from({ length: payees }, (_, i) => move('cus_x', `cus_p${i}`, yuan(10)));
  assert.deepEqual(patternsOf(fanOut(5), 'high'), ['fan_out']);
  assert.deepEqual(patternsOf(fanOut(4), 'high'), []);
  assert.deepEqual(patternsOf(fanOut(8), 'medium'), ['fan_out']);
  assert.deepEqual(patternsOf(fanOut(7), 'medium'), []);
  assert.deepEqual(patternsOf(fanOut(9), 'low'), []);
  const fanIn = (senders: number) => Array.from({ length: senders }, (_, i) => move(`cus_s${i}`, 'cus_x', yuan(10)));
  assert.deepEqual(patternsOf(fanIn(5), 'high'), ['fan_in']);
  assert.deepEqual(patternsOf(fanIn(4), 'high'), []);
  const [hit] = detectPatterns(passThrough(5_000), defaultMonitorSettings, levels('high'));
  const shown = [hit?.details.riskLevel, hit?.details.inMin];
  assert.deepEqual(shown, ['high', '500000'], 'the case shows the level and the threshold');
});

test('property: a riskier customer is never watched less closely (any activity, any valid factors)', () => {
  const percent = fc.integer({ min: 1, max: 100 });
  const factorPair = fc.tuple(percent, percent).map(([a, b]) => ({ medium: Math.max(a, b), high: Math.min(a, b) }));
  const movement = fc.record({
    incoming: fc.boolean(),
    counterparty: fc.integer({ min: 0, max: 12 }),
    yuan: fc.integer({ min: 1, max: 60_000 }),
  });
  fc.assert(
    fc.property(fc.array(movement, { maxLength: 30 }), factorPair, factorPair, factorPair, (list, st, rapid, fan) => {
      const settings = monitorSettingsWith({
        medium: { structuring: st.medium, rapid_in_out: rapid.medium, fan: fan.medium },
        high: { structuring: st.high, rapid_in_out: rapid.high, fan: fan.high },
      });
      const movements = list.map((m, i) =>
        m.incoming
          ? move(`cus_c${m.counterparty}`, 'cus_x', yuan(m.yuan), 1_000 + i)
          : move('cus_x', `cus_c${m.counterparty}`, yuan(m.yuan), 1_000 + i));
      const at = (level: RiskLevel) =>
        new Set(detectPatterns(movements, settings, levels(level)).filter((h) => h.subjectId === 'cus_x')
          .map((h) => h.pattern));
      const [low, medium, high] = [at('low'), at('medium'), at('high')];
      for (const pattern of low) assert.ok(medium.has(pattern), `${pattern}: low but not medium`);
      for (const pattern of medium) assert.ok(high.has(pattern), `${pattern}: medium but not high`);
    }),
    { numRuns: 300 },
  );
});

test('ANFU_AML_MONITOR_LEVEL_FACTORS: read whole, refused whole when malformed', () => {
  const table = {
    medium: { structuring: 90, rapid_in_out: 80, fan: 70 }, high: { structuring: 60, rapid_in_out: 40, fan: 30 },
  };
  assert.deepEqual(loadConfig({ ANFU_AML_MONITOR_LEVEL_FACTORS: JSON.stringify(table) }).amlMonitorLevelFactors, table);
  assert.equal(loadConfig({}).amlMonitorLevelFactors, undefined, 'unset: the defaults');
  const refused = (value: string) => {
    try {
      loadConfig({ ANFU_AML_MONITOR_LEVEL_FACTORS: value });
    } catch (error) {
      if (error instanceof ConfigError) return error.problems;
      throw error;
    }
    return assert.fail(`accepted ${value}`);
  };
  const name = 'ANFU_AML_MONITOR_LEVEL_FACTORS';
  assert.deepEqual(refused('{high: 50'), [`${name} is not JSON`]);
  assert.deepEqual(refused('[50]'), [`${name} must be an object with the levels medium and high`]);
  assert.deepEqual(refused(JSON.stringify({ ...table, low: table.medium })), [`${name}: /low is not a tunable level`]);
  assert.deepEqual(refused(JSON.stringify({ medium: table.medium })), [`${name}: /high is not an object of monitors`]);
  assert.deepEqual(refused(JSON.stringify({ ...table, high: { ...table.high, fan: 0 } })), [
    `${name}: /high/fan must be a whole percentage from 1 to 100`,
  ]);
  assert.deepEqual(refused(JSON.stringify({ ...table, medium: { ...table.medium, fan: 101, dormant: 50 } })), [
    `${name}: /medium/dormant is not a tuned monitor (structuring, rapid_in_out, fan)`,
    `${name}: /medium/fan must be a whole percentage from 1 to 100`,
  ]);
  assert.deepEqual(refused(JSON.stringify({ ...table, high: { ...table.high, structuring: 50.5 } })), [
    `${name}: /high/structuring must be a whole percentage from 1 to 100`,
  ]);
  assert.deepEqual(refused(JSON.stringify({ ...table, high: { ...table.high, rapid_in_out: 81 } })), [
    `${name}: /high/rapid_in_out is above /medium/rapid_in_out`,
  ]);
});

for (const kind of testStoreKinds()) {
  describe(`the monitors watch a customer at its risk level (${kind})`, () => {
    let t: IdentityTestApp;
    // High-risk customers at 60 % of the rapid in-and-out amount: CNY 6,000 instead of 10,000.
    const factors = {
      medium: { structuring: 75, rapid_in_out: 80, fan: 75 }, high: { structuring: 50, rapid_in_out: 60, fan: 50 },
    };
    before(async () => {
      t = await createIdentityTestApp(kind, { env: { ANFU_AML_MONITOR_LEVEL_FACTORS: JSON.stringify(factors) } });
    });
    after(() => t.close());

    const login = (role: OperatorRole) => operatorSession(t, role);
    const call = (method: 'GET' | 'POST', url: string, headers: Record<string, string>, payload?: object) =>
      t.app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload }) });
    const levelOf = async (customerId: string, headers: Record<string, string>) =>
      (await call('GET', `/v1/aml/customers/${customerId}/risk-rating`, headers)).json().level as string;
    const run = async (headers: Record<string, string>) => {
      const response = await call('POST', '/v1/aml/monitor-runs', headers);
      assert.equal(response.statusCode, 200, response.body);
      return (response.json() as { opened: Array<{ pattern: string; subjectId: string }> }).opened;
    };
    /** CNY 7,000 received and 6,900 sent on within the hour: under the plain line, over the high-risk one. */
    const passThrough = async (customerId: string) => {
      const at = t.identity.clock();
      await t.store.transaction(async (tx) => {
        await insertSettledPayment(tx, {
          payer: `cus_src${customerId.slice(-6)}`, payee: customerId, amount: yuan(7_000), at,
        });
        await insertSettledPayment(tx, {
          payer: customerId, payee: `cus_dst${customerId.slice(-6)}`, amount: yuan(6_900), at: at + 60_000,
        });
      });
    };
    const overrideToHigh = async (customerId: string, maker: Record<string, string>) => {
      const url = `/v1/aml/customers/${customerId}/risk-rating/overrides`;
      const proposed = await call('POST', url, maker, { level: 'high', reason: 'adverse media' });
      assert.equal(proposed.statusCode, 201, proposed.body);
      return (proposed.json() as { id: string }).id;
    };

    test('one activity opens a case for the high-risk one only; an approved override changes next run', async () => {
      const maker = await login('risk_analyst');
      const checker = await login('administrator');
      const low = await registerThroughApi(t);
      const high = await registerThroughApi(t);
      const highProposal = await overrideToHigh(high.customerId, maker);
      const approvedHigh = await call('POST', `/v1/proposals/${highProposal}/approve`, checker);
      assert.equal(approvedHigh.json().state, 'executed', approvedHigh.body);
      assert.deepEqual([await levelOf(low.customerId, maker), await levelOf(high.customerId, maker)], ['low', 'high']);
      t.advance(60_000);
      await passThrough(low.customerId);
      await passThrough(high.customerId);
      t.advance(5 * 60_000);
      const first = await run(maker);
      assert.deepEqual(first.map((o) => [o.pattern, o.subjectId]), [['rapid_in_out', high.customerId]]);
      const alerts = async () =>
        (await t.store.all<{ subject_id: string; details: string }>(
          "SELECT subject_id, details FROM aml_alerts WHERE pattern = 'rapid_in_out' ORDER BY created_at",
        )).map((a) => [a.subject_id, (JSON.parse(a.details) as { riskLevel: string; inMin: string }).riskLevel]);
      assert.deepEqual(await alerts(), [[high.customerId, 'high']], 'only the high-risk customer');
      const cases = await t.store.all<{ subject_id: string }>("SELECT subject_id FROM cases WHERE kind = 'aml_alert'");
      assert.deepEqual(cases.map((c) => c.subject_id), [high.customerId]);

      // Proposed, not yet approved: the low-risk customer is still watched at the plain thresholds.
      const proposalId = await overrideToHigh(low.customerId, maker);
      t.advance(60_000);
      assert.deepEqual(await run(maker), []);
      assert.equal(await levelOf(low.customerId, maker), 'low');
      const approved = await call('POST', `/v1/proposals/${proposalId}/approve`, checker);
      assert.equal(approved.json().state, 'executed', approved.body);
      t.advance(60_000);
      const opened = await run(maker);
      assert.deepEqual(opened.map((o) => [o.pattern, o.subjectId]), [['rapid_in_out', low.customerId]]);
      assert.deepEqual(await alerts(), [[high.customerId, 'high'], [low.customerId, 'high']]);
    });
  });
}
