// `anfu simulate` on SQLite, small and seeded: the same seed plans the same traffic; the report has a
// row for every attack type with its events labelled and decided through the real payments API, the
// normal traffic's challenge rate, and precision and recall of the rule set (with and without shadow rules);
// the default set, as it acts, stops or challenges every attack type and challenges < 2 % of normal traffic.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openSimulationApp } from '../../bench/simulate-app.ts';
import { attackTypes, planTraffic, runSimulation } from './index.ts';

test('the same seed plans the same traffic; every attack type is labelled in it', () => {
  const options = { seed: 11, customers: 8, normalEvents: 30, attacksPerType: 1 };
  const a = planTraffic(options);
  assert.deepEqual(planTraffic(options), a);
  assert.notDeepEqual(planTraffic({ ...options, seed: 12 }).events, a.events);
  const labels = new Set(a.events.map((e) => e.label));
  for (const type of attackTypes) assert.ok(labels.has(type), type);
  assert.equal(a.events.filter((e) => e.label === 'normal').length, 30);
  for (const e of a.events) assert.ok(e.amountMinor > 0n && e.from !== e.to, `${e.from} -> ${e.to} ${e.amountMinor}`);
  const few = planTraffic({ ...options, customers: 6 });
  assert.ok(few.events.every((e) => e.from !== e.to), 'nobody pays themselves, even among few customers');
});

test('a small seeded simulation on SQLite reports every attack type, decided through the API', async () => {
  const open = (clock: () => number) => openSimulationApp('sqlite', clock);
  // Twelve customers: fewer, and the fan-in's twelve payers would repeat (a known payee is not a new one).
  const report = await runSimulation({ open, seed: 7, customers: 12, normalEvents: 40, attacksPerType: 1 });
  if (process.env.ANFU_SIMULATE_PRINT === '1') console.error(JSON.stringify(report, null, 1));
  assert.equal(report.events.normal, 40);
  assert.ok(report.events.warmup > 50);
  for (const type of attackTypes) {
    const row = report.attacks[type];
    assert.equal(row.instances, 1, type);
    assert.ok(row.events >= 1, type);
    assert.equal(row.stopped + row.challenged + row.passed + row.errors, row.events, type);
  }
  assert.equal(report.events.attack, attackTypes.reduce((n, type) => n + report.attacks[type].events, 0));
  const n = report.normal;
  assert.equal(n.stopped + n.challenged + n.passed + n.errors, 40);
  assert.equal(n.errors, 0, JSON.stringify(report.otherRefusals));
  assert.ok(n.passed >= 30, 'most normal payments go through');
  assert.ok(n.challengeRate >= 0 && n.challengeRate <= 1);
  for (const s of [report.ruleSet, report.ruleSetWithShadow])
    for (const v of [s.precision, s.recall]) assert.ok(v === null || (v >= 0 && v <= 1));
  // The shipped default set as a fresh install runs it (active rules only): every attack type stopped or
  // challenged, normal traffic challenged under 2 % (issue 12).
  for (const type of attackTypes) assert.equal(report.attacks[type].instancesCaught, 1, type);
  assert.ok(n.challengeRate < 0.02, `normal traffic challenged ${n.challengeRate}`);
  assert.equal(n.stopped, 0);
  assert.ok((report.ruleSet.recall ?? 0) > 0.3, JSON.stringify(report.ruleSet));
  assert.equal(report.ruleSet.precision, 1, 'no normal payment flagged');
  // Where each rule hit, as an analyst reads it: the structuring rule on the structuring series only.
  const structuring = report.rules.structuring_below_challenge;
  assert.equal(structuring?.mode, 'active');
  assert.ok((structuring?.attacks.structuring ?? 0) >= 1 && structuring?.normal === 0, JSON.stringify(structuring));
});
