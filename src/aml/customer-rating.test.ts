// The customer money-laundering risk rating: the pure rating of constructed facts with exact scores
// (each threshold at N and N+1); then through the real app on both stores — rated at registration by
// where the ID was issued, re-rated when a monitor opens an AML case and when the case is reported under
// four eyes, re-rated by the daily run, read through the operator API with its factors, and overridden
// only by a second operator (the maker's own approval refused, nothing changed, audited).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { OperatorRole } from '../access/index.ts';
import { testStoreKinds } from '../store/testing.ts';
import {
  createIdentityTestApp,
  operatorSession,
  registerThroughApi,
  residentIdNumber,
  type IdentityTestApp,
} from '../wiring/identity-test-app.ts';
import {
  defaultRatingSettings,
  idRegionOf,
  levelInForce,
  rateFacts,
  rerateDueCustomers,
  type CustomerRiskFacts,
} from './index.ts';
import { insertSettledPayment } from './testing.ts';

const dayMs = 86_400_000;
const quiet: CustomerRiskFacts = {
  accountClass: 'III',
  idRegion: 'mainland',
  usageCountry: 'CN',
  sanctionsNearHits: 0,
  sanctionsHits: 0,
  openAmlCases: 0,
  reportedAmlCases: 0,
  volume30dMinor: 0n,
  accountAgeMs: 400 * dayMs,
};

test('constructed customers rate exactly: each factor its weight, levels at the thresholds', () => {
  const cases: Array<[Partial<CustomerRiskFacts>, number, string]> = [
    [{}, 0, 'low'],
    [{ accountClass: 'I', accountAgeMs: 5 * dayMs }, 20, 'low'],
    [{ accountClass: 'I', idRegion: 'hk_mo_tw', usageCountry: 'HK', accountAgeMs: 0 }, 30, 'medium'],
    [{ sanctionsNearHits: 2 }, 25, 'medium'],
    [{ sanctionsHits: 1 }, 50, 'high'],
    [{ reportedAmlCases: 1 }, 50, 'high'],
    [{ openAmlCases: 1 }, 20, 'low'],
    [{ openAmlCases: 5 }, 40, 'medium'],
    [{ usageCountry: 'IR' }, 40, 'medium'],
    [{ usageCountry: 'IR', accountClass: 'II', volume30dMinor: 20_000_000n }, 60, 'high'],
    [{ usageCountry: 'US', idRegion: 'foreign' }, 25, 'medium'],
    [{ usageCountry: 'ZZ' }, 0, 'low'],
    [{ volume30dMinor: 19_999_999n }, 0, 'low'],
    [{ volume30dMinor: 100_000_000n }, 30, 'medium'],
    [{ accountAgeMs: 30 * dayMs - 1 }, 10, 'low'],
    [{ accountAgeMs: 30 * dayMs }, 0, 'low'],
  ];
  for (const [change, score, level] of cases) {
    const rating = rateFacts({ ...quiet, ...change });
    const label = JSON.stringify(change, (_, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
    assert.equal(rating.score, score, label);
    assert.equal(rating.level, level, label);
    assert.equal(rating.score, rating.factors.reduce((sum, f) => sum + f.points, 0));
  }
  // The thresholds at N - 1 and N, through a weight a deployment changed.
  const weighted = (nearHit: number) => ({
    ...defaultRatingSettings,
    weights: { ...defaultRatingSettings.weights, sanctionsNearHit: nearHit },
  });
  const near = { ...quiet, sanctionsNearHits: 1 };
  assert.equal(rateFacts(near, weighted(24)).level, 'low');
  assert.equal(rateFacts(near, weighted(25)).level, 'medium');
  assert.equal(rateFacts(near, weighted(49)).level, 'medium');
  assert.equal(rateFacts(near, weighted(50)).level, 'high');
  assert.deepEqual(rateFacts(quiet).factors.map((f) => f.factor), [
    'account_class', 'id_region', 'usage_country', 'sanctions_near_hits', 'sanctions_hits', 'open_aml_cases',
    'reported_aml_cases', 'volume_30d', 'account_age_days',
  ]);
});

test('an override in force: a raised one is a floor, a lowered one a ceiling until the evidence rates higher', () => {
  type L = 'low' | 'medium' | 'high';
  const cases: Array<[computed: L, override: L, against: L, level: L, holds: boolean]> = [
    ['low', 'high', 'low', 'high', true],
    ['medium', 'high', 'low', 'high', true],
    ['high', 'medium', 'low', 'high', true], // raised to medium, computed above it: the higher counts
    ['low', 'medium', 'medium', 'medium', true], // confirmed at medium: a floor too
    ['medium', 'low', 'medium', 'low', true],
    ['high', 'low', 'medium', 'high', false], // new evidence above what it was approved against
    ['medium', 'low', 'high', 'low', true], // the evidence fell: still lowered, never raised
    ['high', 'low', 'high', 'low', true],
    ['low', 'medium', 'high', 'low', true], // a lowering override never raises
  ];
  for (const [computed, level, against, inForce, holds] of cases) {
    const result = levelInForce(computed, { level, against });
    const label = `${computed} under ${level} approved against ${against}`;
    assert.deepEqual([result.level, result.overrideHolds], [inForce, holds], label);
    assert.equal(result.overrideEnded, holds ? undefined : 'computed_above_approved', label);
  }
  assert.deepEqual(levelInForce('medium', null), { level: 'medium', overrideHolds: false });
});

test('where an ID was issued, from the number', () => {
  assert.equal(idRegionOf('11010119900307001X'), 'mainland');
  assert.equal(idRegionOf('810101199003070012'), 'hk_mo_tw');
  assert.equal(idRegionOf('710101199003070012'), 'hk_mo_tw');
  assert.equal(idRegionOf('931101199003070012'), 'foreign');
  assert.equal(idRegionOf('000000199003070012'), 'unknown');
  assert.equal(idRegionOf('1101011990030700'), 'unknown');
});

type Factor = { factor: string; value: string; points: number };

for (const kind of testStoreKinds()) {
  describe(`customer risk rating through the app (${kind})`, () => {
    let t: IdentityTestApp;
    before(async () => (t = await createIdentityTestApp(kind)));
    after(() => t.close());

    const login = (role: OperatorRole) => operatorSession(t, role);
    const call = (method: 'GET' | 'POST', url: string, headers: Record<string, string>, payload?: object) =>
      t.app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload }) });
    const ratingOf = async (customerId: string, headers: Record<string, string>) => {
      const response = await call('GET', `/v1/aml/customers/${customerId}/risk-rating`, headers);
      assert.equal(response.statusCode, 200, response.body);
      return response.json() as { level: string; computedLevel: string; score: number; cause: string;
        factors: Factor[]; override: { level: string } | null; history: Array<{ level: string; cause: string }> };
    };
    const points = (factors: Factor[]) =>
      Object.fromEntries(factors.filter((f) => f.points > 0).map((f) => [f.factor, f.points]));
    const auditOf = async (action: string, target: string) => {
      const sql = 'SELECT details FROM audit_entries WHERE action = ? AND target = ? ORDER BY seq';
      const rows = await t.store.all<{ details: string }>(sql, [action, target]);
      return rows.map((r) => JSON.parse(r.details) as Record<string, unknown>);
    };

    test('rated at registration, re-rated by an alert, its report and the daily run', async () => {
      const analyst = await login('risk_analyst');
      const mainland = await registerThroughApi(t);
      const hk = await registerThroughApi(t, { idNumber: residentIdNumber('19900307', '810101') });
      const first = await ratingOf(mainland.customerId, analyst);
      assert.deepEqual([first.level, first.score, first.cause], ['low', 20, 'registration']);
      assert.deepEqual(points(first.factors), { account_class: 10, account_age_days: 10 });
      assert.equal(first.factors.find((f) => f.factor === 'id_region')?.value, 'mainland');
      const second = await ratingOf(hk.customerId, analyst);
      assert.deepEqual([second.level, second.score], ['medium', 25]);
      assert.deepEqual(points(second.factors), { account_class: 10, id_region: 5, account_age_days: 10 });
      assert.deepEqual((await auditOf('aml.customer_rating', hk.customerId)).map((d) => [d.from, d.to, d.cause]), [
        [null, 'medium', 'registration'],
      ]);

      // Three payments just under the cash line: the monitor opens a structuring case; the customer is re-rated.
      const now = t.identity.clock();
      await t.store.transaction(async (tx) => {
        for (let i = 0; i < 3; i += 1)
          await insertSettledPayment(tx, {
            payer: mainland.customerId,
            payee: `cus_p${i}`,
            amount: 4_900_000n,
            at: now - 60_000 * (i + 1),
          });
      });
      const run = await call('POST', '/v1/aml/monitor-runs', analyst);
      const opened = (run.json() as { opened: Array<{ pattern: string; caseId: string }> }).opened;
      assert.deepEqual(opened.map((o) => o.pattern), ['structuring']);
      const alerted = await ratingOf(mainland.customerId, analyst);
      assert.deepEqual([alerted.level, alerted.score, alerted.cause], ['medium', 40, 'aml_case_opened']);
      assert.equal(alerted.factors.find((f) => f.factor === 'volume_30d')?.value, '147000.00 CNY');

      // Reported under four eyes: the checker's approval re-rates in the decision's transaction.
      const caseId = opened[0]?.caseId ?? '';
      const decision = { decision: 'report_suspicious', reason: 'structuring' };
      const decided = await call('POST', `/v1/cases/${caseId}/decisions`, analyst, decision);
      assert.equal(decided.statusCode, 200, decided.body);
      assert.equal((await ratingOf(mainland.customerId, analyst)).level, 'medium', 'not re-rated before the checker');
      const checker = await login('risk_analyst');
      const proposalId = (decided.json() as { proposalId: string }).proposalId;
      const approved = await call('POST', `/v1/proposals/${proposalId}/approve`, checker);
      assert.equal(approved.json().state, 'executed', approved.body);
      const reported = await ratingOf(mainland.customerId, analyst);
      assert.deepEqual([reported.level, reported.score, reported.cause], ['high', 70, 'aml_case_decided']);
      assert.deepEqual(points(reported.factors), { account_class: 10, reported_aml_cases: 50, account_age_days: 10 });
      const str = await call('GET', `/v1/aml/cases/${caseId}/suspicious-report`, analyst);
      assert.deepEqual([str.json().customerRiskRating.level, str.json().customerRiskRating.score], ['high', 70]);
      assert.deepEqual(reported.history.map((h) => [h.level, h.cause]), [
        ['high', 'aml_case_decided'], ['medium', 'aml_case_opened'], ['low', 'registration'],
      ]);

      // The daily run: a month later the accounts are no longer new (10 points fewer each).
      t.advance(31 * dayMs);
      const daily = await rerateDueCustomers(t.store, t.identity.clock());
      assert.equal(daily.rated, 2);
      const reader = { authorization: `Bearer ${await t.tokenFor('risk_analyst')}` }; // the session has ended
      const hkLater = await ratingOf(hk.customerId, reader);
      assert.deepEqual([hkLater.level, hkLater.score], ['low', 15]);
      const later = await ratingOf(mainland.customerId, reader);
      assert.deepEqual([later.level, later.score, later.cause], ['high', 60, 'daily']);
      assert.equal((await rerateDueCustomers(t.store, t.identity.clock())).rated, 0, 'rated today: not again');

      const support = { authorization: `Bearer ${await t.tokenFor('customer_service')}` };
      assert.equal((await call('GET', `/v1/aml/customers/${hk.customerId}/risk-rating`, support)).statusCode, 403);
      const missing = await call('GET', `/v1/aml/customers/cus_${'0'.repeat(26)}/risk-rating`, reader);
      assert.equal(missing.statusCode, 404);
      assert.equal(missing.json().code, 'aml_rating_not_found');
    });

    const approveOverride = async (customerId: string, level: string | null, maker: Record<string, string>) => {
      const url = `/v1/aml/customers/${customerId}/risk-rating/overrides`;
      const proposed = await call('POST', url, maker, { level, reason: 'reviewed by compliance' });
      assert.equal(proposed.statusCode, 201, proposed.body);
      const proposalId = (proposed.json() as { id: string }).id;
      const approved = await call('POST', `/v1/proposals/${proposalId}/approve`, await login('administrator'));
      assert.equal(approved.json().state, 'executed', approved.body);
      return proposalId;
    };
    /** Three payments just under the cash line: the next monitor run opens a structuring case. */
    const structure = async (customerId: string) => {
      const now = t.identity.clock();
      await t.store.transaction(async (tx) => {
        for (let i = 0; i < 3; i += 1) {
          const payment = { payer: customerId, payee: `cus_s${i}`, amount: 4_900_000n, at: now - 60_000 * (i + 1) };
          await insertSettledPayment(tx, payment);
        }
      });
      const run = await call('POST', '/v1/aml/monitor-runs', await login('risk_analyst'));
      const opened = (run.json() as { opened: Array<{ subjectId: string; caseId: string }> }).opened;
      const caseId = opened.find((o) => o.subjectId === customerId)?.caseId;
      assert.ok(caseId !== undefined, run.body);
      return caseId;
    };

    test('an override needs a second operator; one that raised the level outlives re-ratings', async () => {
      const maker = await login('risk_analyst');
      const customer = await registerThroughApi(t, { idNumber: residentIdNumber('19850101', '810101') });
      assert.equal((await ratingOf(customer.customerId, maker)).level, 'medium');
      const url = `/v1/aml/customers/${customer.customerId}/risk-rating/overrides`;
      const proposed = await call('POST', url, maker, { level: 'high', reason: 'adverse media' });
      assert.equal(proposed.statusCode, 201, proposed.body);
      const proposalId = (proposed.json() as { id: string }).id;
      const before = await ratingOf(customer.customerId, maker);
      const self = await call('POST', `/v1/proposals/${proposalId}/approve`, maker);
      assert.equal(self.statusCode, 403);
      assert.equal(self.json().code, 'proposal_self_approval');
      assert.deepEqual(await ratingOf(customer.customerId, maker), before, 'the refusal changes nothing');
      assert.equal((await auditOf('aml.rating_override', customer.customerId)).length, 0);
      const checker = await login('administrator');
      const approved = await call('POST', `/v1/proposals/${proposalId}/approve`, checker);
      assert.equal(approved.json().state, 'executed', approved.body);
      const overridden = await ratingOf(customer.customerId, maker);
      const { level, computedLevel, override } = overridden;
      assert.deepEqual([level, computedLevel, override?.level], ['high', 'medium', 'high']);
      assert.equal((override as { approvedAgainst?: string } | null)?.approvedAgainst, 'medium');
      const [entry] = await auditOf('aml.rating_override', customer.customerId);
      assert.deepEqual([entry?.from, entry?.to, entry?.proposal], ['medium', 'high', proposalId]);
      assert.notEqual(entry?.proposedBy, entry?.approvedBy);
      // The same facts keep it; a month later the computed level falls to low and the override still holds.
      await rerateDueCustomers(t.store, t.identity.clock() + dayMs + 1);
      assert.equal((await ratingOf(customer.customerId, maker)).level, 'high');
      t.advance(31 * dayMs);
      await rerateDueCustomers(t.store, t.identity.clock());
      const reader = { authorization: `Bearer ${await t.tokenFor('risk_analyst')}` }; // the session has ended
      const kept = await ratingOf(customer.customerId, reader);
      assert.deepEqual([kept.level, kept.computedLevel, kept.override?.level], ['high', 'low', 'high']);
      const daily = (await auditOf('aml.customer_rating', customer.customerId)).at(-1);
      assert.deepEqual([daily?.from, daily?.to, daily?.computedLevel, daily?.cause, daily?.overrideKept],
        ['high', 'high', 'low', 'daily', true]);
      // Withdrawn under four eyes: the computed level is in force again.
      await approveOverride(customer.customerId, null, reader);
      const withdrawn = await ratingOf(customer.customerId, reader);
      assert.deepEqual([withdrawn.level, withdrawn.override], ['low', null]);
      const bad = await call('POST', url, reader, { level: 'severe', reason: 'x' });
      assert.equal(bad.statusCode, 400);
    });

    test('a monitor\'s new case never lowers a raised override', async () => {
      const analyst = await login('risk_analyst');
      const customer = await registerThroughApi(t);
      assert.equal((await ratingOf(customer.customerId, analyst)).level, 'low');
      await approveOverride(customer.customerId, 'high', analyst);
      await structure(customer.customerId);
      // Computed 40 (an open AML case): medium, above what the override was approved against, below it.
      const rated = await ratingOf(customer.customerId, analyst);
      assert.deepEqual([rated.level, rated.computedLevel, rated.score, rated.cause, rated.override?.level],
        ['high', 'medium', 40, 'aml_case_opened', 'high']);
      const entry = (await auditOf('aml.customer_rating', customer.customerId)).at(-1);
      assert.deepEqual([entry?.from, entry?.to, entry?.computedLevel, entry?.overrideKept, entry?.overrideEnded],
        ['high', 'high', 'medium', true, undefined]);
    });

    test('an override that lowered the level yields to new evidence rating higher', async () => {
      const analyst = await login('risk_analyst');
      const customer = await registerThroughApi(t, { idNumber: residentIdNumber('19870101', '810101') });
      assert.equal((await ratingOf(customer.customerId, analyst)).level, 'medium');
      const overrideId = await approveOverride(customer.customerId, 'low', analyst);
      // A structuring case: computed 45, still medium (what the override was approved against): it holds.
      const caseId = await structure(customer.customerId);
      const held = await ratingOf(customer.customerId, analyst);
      assert.deepEqual([held.level, held.computedLevel, held.score, held.override?.level],
        ['low', 'medium', 45, 'low']);
      // Reported under four eyes: computed 75, high, above medium: the override ends, audited with why.
      const decision = { decision: 'report_suspicious', reason: 'structuring' };
      const decided = await call('POST', `/v1/cases/${caseId}/decisions`, analyst, decision);
      assert.equal(decided.statusCode, 200, decided.body);
      const proposalId = (decided.json() as { proposalId: string }).proposalId;
      const approved = await call('POST', `/v1/proposals/${proposalId}/approve`, await login('risk_analyst'));
      assert.equal(approved.json().state, 'executed', approved.body);
      const ended = await ratingOf(customer.customerId, analyst);
      assert.deepEqual([ended.level, ended.computedLevel, ended.override], ['high', 'high', null]);
      const entry = (await auditOf('aml.customer_rating', customer.customerId)).at(-1);
      assert.deepEqual(
        [entry?.from, entry?.to, entry?.cause, entry?.overrideEnded, entry?.overrideEndedReason, entry?.override],
        ['low', 'high', 'aml_case_decided', true, 'computed_above_approved',
          { level: 'low', approvedAgainst: 'medium', proposal: overrideId }],
      );
    });
  });
}
