// Identity events decided by the running rule set, on both stores: a card binding from a new device is
// denied, a factor change by a young account is sent to review (a risk_review case opens on the
// subject), and each decision is stored with its snapshot, score and rules hit and audited; with the
// default set the same events are allowed and stored too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { testStoreKinds, withTestStore } from '../store/testing.ts';
import { defaultRuleSet } from './default-ruleset.ts';
import { RiskEngine } from './engine.ts';
import { assessIdentityEvent, recordIdentityDecision, type IdentityEventInput } from './identity-decision.ts';
import { ruleSetExecutor } from './ruleset-proposal.ts';
import { decisionById } from './store.ts';

const hour = 3_600_000;
const rules = [
  {
    id: 'bind_new_device', on: ['card_binding'], when: 'device.age < 1h', action: 'deny', score: 90, reason: 'new',
  },
  {
    id: 'young_factor', on: ['factor_change'], when: 'customer.age < 1d', action: 'review', score: 60, reason: 'young',
  },
];

for (const kind of testStoreKinds()) {
  test(`${kind}: card binding and factor change decisions are stored, audited, and a review opens a case`, async () => {
    const { store, release } = await withTestStore(kind);
    const engine = new RiskEngine({ store });
    try {
      const now = Date.now();
      const input = (event: IdentityEventInput['event'], known: IdentityEventInput['known'], age: number) => ({
        event, customerId: 'cus_1', deviceId: 'dev_1', subject: { type: 'customer', id: 'cus_1' },
        customer: { createdAt: now - age, accountClass: 'II' }, known,
      });
      const binding = input('card_binding', { 'device.age': 10 * 60_000 }, 30 * 24 * hour);
      const factor = input('factor_change', { 'device.age': 30 * 24 * hour }, 2 * hour);
      assert.equal(assessIdentityEvent(engine, binding, now).decision.decision, 'allow', 'the default set allows');

      const base = defaultRuleSet();
      const payload = ruleSetExecutor.parse({ document: { ...base, rules: [...base.rules, ...rules] }, basedOn: 0 });
      const activate = ruleSetExecutor.inside;
      assert.ok(payload !== undefined && activate !== undefined);
      const proposal = { id: 'prp_id', decidedBy: 'op_b' } as Parameters<typeof activate>[2];
      await store.transaction((tx) => activate(tx, payload, proposal, now, {} as never));
      await engine.refresh();

      const denied = assessIdentityEvent(engine, binding, now);
      const reviewed = assessIdentityEvent(engine, factor, now);
      const allowed = assessIdentityEvent(engine, { ...binding, known: { 'device.age': 2 * hour } }, now);
      assert.deepEqual(
        [denied.decision.decision, reviewed.decision.decision, allowed.decision.decision],
        ['deny', 'review', 'allow'],
      );
      for (const a of [denied, reviewed, allowed]) {
        await store.transaction((tx) => recordIdentityDecision(tx, a, { ip: '203.0.113.9' }, now));
      }
      const stored = await decisionById(store, denied.record.id);
      assert.deepEqual(
        [stored?.event, stored?.decision, stored?.score, stored?.hits.map((h) => h.rule), stored?.version],
        ['card_binding', 'deny', 90, ['bind_new_device'], 1],
      );
      assert.equal(stored?.features['device.age'], 10 * 60_000, 'the snapshot keeps what was decided on');
      const audit = await store.all<{ outcome: string; target: string }>(
        "SELECT outcome, target FROM audit_entries WHERE action = 'risk.decision' ORDER BY seq",
      );
      assert.deepEqual(audit.map((r) => r.outcome), ['denied', 'success', 'success'], 'every outcome is audited');
      const cases = await store.all<{ subject_type: string; subject_id: string; details: string }>(
        "SELECT subject_type, subject_id, details FROM cases WHERE kind = 'risk_review'",
      );
      assert.equal(cases.length, 1, 'only the review opens a case');
      const [opened] = cases;
      assert.deepEqual([opened?.subject_type, opened?.subject_id], ['customer', 'cus_1']);
      assert.equal((JSON.parse(opened?.details ?? '{}') as { decisionId?: string }).decisionId, reviewed.record.id);
    } finally {
      engine.stop();
      await release();
    }
  });
}
