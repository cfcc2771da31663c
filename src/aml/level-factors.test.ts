// The AML monitors' level factors change at run time under maker–checker, through the real app on both
// stores: the start value (ANFU_AML_MONITOR_LEVEL_FACTORS) watches a high-risk customer's pass-through of
// CNY 7,000 at 80 % of CNY 10,000 (no case); a malformed table is refused at proposal with every problem
// (`aml_level_factors_invalid`), no proposal made, the factors in force unchanged; a valid one changes
// nothing while proposed, is refused to its own maker, and once a second operator approves it (audited
// with both) the next run — in this process or any other, whatever its start value — watches at 60 % and
// opens the case. A proposal written from a version no longer in force is refused at execution.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { testStoreKinds } from '../store/testing.ts';
import {
  createIdentityTestApp, operatorSession, registerThroughApi, type IdentityTestApp,
} from '../wiring/identity-test-app.ts';
import { levelFactorsInForce, monitorSettingsIn } from './level-factors.ts';
import { runMonitors } from './run-monitors.ts';
import { insertSettledPayment } from './testing.ts';

const startFactors = {
  medium: { structuring: 75, rapid_in_out: 90, fan: 75 }, high: { structuring: 50, rapid_in_out: 80, fan: 50 },
};
const approvedFactors = { ...startFactors, high: { ...startFactors.high, rapid_in_out: 60 } };
const url = '/v1/aml/monitor-level-factors';

for (const kind of testStoreKinds()) {
  describe(`the monitors' level factors changed at run time under four eyes (${kind})`, () => {
    let t: IdentityTestApp;
    before(async () => {
      t = await createIdentityTestApp(kind, { env: { ANFU_AML_MONITOR_LEVEL_FACTORS: JSON.stringify(startFactors) } });
    });
    after(() => t.close());

    const call = (method: 'GET' | 'POST', path: string, headers: Record<string, string>, payload?: object) =>
      t.app.inject({ method, url: path, headers, ...(payload === undefined ? {} : { payload }) });
    const approve = (proposalId: string, headers: Record<string, string>) =>
      call('POST', `/v1/proposals/${proposalId}/approve`, headers);
    const run = async (headers: Record<string, string>) => {
      const response = await call('POST', '/v1/aml/monitor-runs', headers);
      assert.equal(response.statusCode, 200, response.body);
      return (response.json() as { opened: Array<{ pattern: string; subjectId: string }> }).opened;
    };
    const inForce = async (headers: Record<string, string>) => {
      const response = await call('GET', url, headers);
      assert.equal(response.statusCode, 200, response.body);
      return response.json() as { version: number; source: string; factors: unknown; approval: unknown };
    };
    const auditOf = async (action: string) => {
      const sql = 'SELECT actor_id, target, outcome, details FROM audit_entries WHERE action = ? ORDER BY seq';
      const rows = await t.store.all<{ actor_id: string; target: string; outcome: string; details: string }>(sql, [
        action,
      ]);
      return rows.map((r) => ({ ...r, details: JSON.parse(r.details) as Record<string, unknown> }));
    };
    /** A high-risk customer (an approved override) who passes CNY 7,000 through within the hour. */
    const highRiskPassThrough = async (maker: Record<string, string>, checker: Record<string, string>) => {
      const customer = await registerThroughApi(t);
      const overrides = `/v1/aml/customers/${customer.customerId}/risk-rating/overrides`;
      const proposed = await call('POST', overrides, maker, { level: 'high', reason: 'adverse media' });
      assert.equal((await approve(proposed.json().id as string, checker)).json().state, 'executed');
      const at = t.identity.clock();
      const suffix = customer.customerId.slice(-6);
      await t.store.transaction(async (tx) => {
        await insertSettledPayment(tx, { payer: `cus_src${suffix}`, payee: customer.customerId, amount: 700_000n, at });
        const onward = { payer: customer.customerId, payee: `cus_dst${suffix}`, amount: 690_000n, at: at + 60_000 };
        await insertSettledPayment(tx, onward);
      });
      t.advance(5 * 60_000);
      return customer.customerId;
    };

    test('propose, approve, and the next run watches at the new factors; malformed refused', async () => {
      const maker = await operatorSession(t, 'risk_analyst');
      const checker = await operatorSession(t, 'administrator');
      const start = await inForce(maker);
      const { version, source, factors, approval } = start;
      assert.deepEqual([version, source, factors, approval], [0, 'configuration', startFactors, null]);
      const customerId = await highRiskPassThrough(maker, checker);
      assert.deepEqual(await run(maker), [], 'CNY 7,000 is under 80 % of CNY 10,000');

      // Malformed: refused at proposal with the configuration's own problems; nothing proposed or changed.
      const proposalsBefore = (await t.store.all('SELECT id FROM proposals')).length;
      const malformed = { ...startFactors, high: { structuring: 50, rapid_in_out: 95, fan: 0 }, low: {} };
      const refused = await call('POST', url, maker, { factors: malformed, reason: 'tighten' });
      assert.equal(refused.statusCode, 422, refused.body);
      assert.equal(refused.headers['content-type'], 'application/problem+json; charset=utf-8');
      assert.equal(refused.json().code, 'aml_level_factors_invalid');
      assert.deepEqual(refused.json().problems, [
        '/low is not a tunable level', '/high/fan must be a whole percentage from 1 to 100',
      ]);
      const notAnObject = await call('POST', url, maker, { factors: [60] });
      assert.deepEqual([notAnObject.statusCode, notAnObject.json().code], [422, 'aml_level_factors_invalid']);
      assert.equal((await t.store.all('SELECT id FROM proposals')).length, proposalsBefore, 'no proposal made');
      assert.deepEqual(await inForce(maker), start, 'the factors in force are unchanged');

      // Proposed: nothing changes until a second operator approves; the maker's own approval is refused.
      const proposed = await call('POST', url, maker, { factors: approvedFactors, reason: 'tighten high' });
      assert.equal(proposed.statusCode, 201, proposed.body);
      const proposalId = (proposed.json() as { id: string }).id;
      t.advance(60_000);
      assert.deepEqual(await run(maker), []);
      const self = await approve(proposalId, maker);
      assert.deepEqual([self.statusCode, self.json().code], [403, 'proposal_self_approval']);
      assert.deepEqual(await inForce(maker), start);
      const approved = await approve(proposalId, checker);
      assert.equal(approved.json().state, 'executed', approved.body);
      const now = await inForce(maker);
      assert.deepEqual([now.version, now.source, now.factors], [1, 'approved', approvedFactors]);
      assert.equal((now.approval as { proposalId: string }).proposalId, proposalId);

      // The next run, without restart: CNY 7,000 is over 60 % of CNY 10,000.
      t.advance(60_000);
      const opened = await run(maker);
      assert.deepEqual(opened.map((o) => [o.pattern, o.subjectId]), [['rapid_in_out', customerId]]);
      const [alert] = await t.store.all<{ details: string }>(
        "SELECT details FROM aml_alerts WHERE pattern = 'rapid_in_out' AND subject_id = ?", [customerId],
      );
      const details = JSON.parse(alert?.details ?? '{}') as { riskLevel?: string; inMin?: string };
      assert.deepEqual([details.riskLevel, details.inMin], ['high', '600000']);
      // Another process, started with no variable or another one, reads the same version at its next run.
      assert.deepEqual((await monitorSettingsIn(t.store, undefined)).levelFactorsPercent, approvedFactors);
      assert.equal((await levelFactorsInForce(t.store, startFactors)).version, 1);
      const elsewhere = await runMonitors(t.store, await monitorSettingsIn(t.store, undefined), t.identity.clock());
      assert.equal(elsewhere.hits, 1, 'the same hit, raised once');
      assert.deepEqual(elsewhere.opened, []);

      const [made] = (await auditOf('proposal.create')).filter((e) => e.target === proposalId);
      assert.equal(made?.details.kind, 'aml.monitor_level_factors');
      const [change] = await auditOf('aml.monitor_level_factors');
      assert.equal(change?.target, 'aml-level-factors:1');
      assert.deepEqual([change?.details.proposal, change?.details.version, change?.details.from, change?.details.to],
        [proposalId, 1, startFactors, approvedFactors]);
      assert.notEqual(change?.details.proposedBy, change?.details.approvedBy);
    });

    test('a proposal written from a version no longer in force is refused at execution', async () => {
      const maker = await operatorSession(t, 'risk_analyst');
      const checker = await operatorSession(t, 'administrator');
      const version = (await inForce(maker)).version;
      const propose = async (rapid: number) => {
        const factors = { ...startFactors, high: { ...startFactors.high, rapid_in_out: rapid } };
        const response = await call('POST', url, maker, { factors, basedOn: version });
        assert.equal(response.statusCode, 201, response.body);
        return (response.json() as { id: string }).id;
      };
      const [first, second] = [await propose(70), await propose(65)];
      assert.equal((await approve(first, checker)).json().state, 'executed');
      const stale = await approve(second, checker);
      assert.deepEqual([stale.json().state, stale.json().result?.code], ['failed', 'aml_level_factors_stale']);
      const now = await inForce(maker);
      assert.deepEqual([now.version, (now.factors as typeof startFactors).high.rapid_in_out], [version + 1, 70]);
      const fresh = await call('POST', url, maker, { factors: startFactors, basedOn: version });
      assert.deepEqual([fresh.statusCode, fresh.json().code], [422, 'proposal_payload_invalid']);
    });
  });
}
