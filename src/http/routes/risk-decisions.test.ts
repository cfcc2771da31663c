// GET /v1/risk/decisions on both stores: the filters (action, event, customer, time range) combined,
// keyset pages newest first that neither repeat nor skip, the permission refused and audited, and bad
// input refused with problem+json before any query runs.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { newId } from '../../ids.ts';
import {
  insertDecisions,
  neutralFeatures,
  type DecisionRecord,
  type RiskAction,
  type RiskEvent,
} from '../../risk/index.ts';
import { testStoreKinds } from '../../store/testing.ts';
import { bearer, createAccessTestApp, type AccessTestApp } from '../../wiring/access-test-app.ts';

const base = Date.UTC(2026, 10, 1);
const minute = 60_000;
const customers = [newId('cus', base), newId('cus', base + 1)] as const;

// 12 decisions one minute apart: actions cycle allow, review, deny; odd ones are logins of customer 1.
function records(): DecisionRecord[] {
  const actions: RiskAction[] = ['allow', 'review', 'deny'];
  return Array.from({ length: 12 }, (_, n) => {
    const at = base + n * minute;
    const event: RiskEvent = n % 2 === 0 ? 'payment' : 'login';
    return {
      id: newId('rsk', at),
      event,
      subjectRef: `pay_${String(n).padStart(26, '0')}`,
      customerId: customers[n % 2] ?? null,
      decision: {
        decision: actions[n % 3] ?? 'allow',
        score: n * 10,
        reasons: [`reason_${n}`],
        hits: [],
        shadowHits: [],
        typologies: [],
        errors: [],
        factorStrength: 'any',
      },
      features: neutralFeatures(event, 'CNY'),
      version: 0,
      at,
    };
  });
}

for (const kind of testStoreKinds()) {
  describe(`risk decision search (${kind})`, () => {
    let t: AccessTestApp;
    let tokens: { analyst: string; service: string };
    const seeded = records();
    const get = async (query: string, token = tokens.analyst) =>
      t.app.inject({ url: `/v1/risk/decisions${query}`, headers: bearer(token) });
    const ids = (body: string) => (JSON.parse(body) as { items: Array<{ id: string }> }).items.map((d) => d.id);

    before(async () => {
      t = await createAccessTestApp(kind);
      tokens = {
        analyst: await t.login(await t.operator('risk_analyst')),
        service: await t.login(await t.operator('customer_service')),
      };
      await t.store.transaction(async (tx) => insertDecisions(tx, seeded));
    });
    after(async () => t.close());

    test('filters combine and the items come newest first with their snapshot', async () => {
      const all = await get('');
      assert.equal(all.statusCode, 200, all.body);
      assert.deepEqual(ids(all.body), seeded.map((d) => d.id).reverse());
      const denied = await get('?action=deny');
      assert.deepEqual(ids(denied.body), [seeded[11], seeded[8], seeded[5], seeded[2]].map((d) => d?.id));
      const loginsOfOne = await get(`?event=login&customer=${customers[1]}&action=allow`);
      assert.deepEqual(ids(loginsOfOne.body), [seeded[9], seeded[3]].map((d) => d?.id));
      const range = await get(`?from=${base + 2 * minute}&to=${base + 5 * minute}`);
      assert.deepEqual(ids(range.body), [seeded[4], seeded[3], seeded[2]].map((d) => d?.id));
      const first = (all.json() as { items: Array<Record<string, unknown>> }).items[0];
      assert.equal(first?.customerId, customers[1]);
      assert.equal(first?.score, 110);
      assert.deepEqual(first?.reasons, ['reason_11']);
      assert.equal(typeof first?.features, 'object');
      assert.equal((await get(`?customer=${newId('cus', base + 9)}`)).json().items.length, 0);
    });

    test('pages follow one another by cursor without repeat or gap, the last says so', async () => {
      const seen: string[] = [];
      let cursor: string | null = '';
      let pages = 0;
      while (cursor !== null) {
        const page = await get(`?limit=5${cursor === '' ? '' : `&cursor=${cursor}`}`);
        assert.equal(page.statusCode, 200, page.body);
        const body = page.json() as { items: Array<{ id: string }>; nextCursor: string | null };
        seen.push(...body.items.map((d) => d.id));
        cursor = body.nextCursor;
        pages += 1;
      }
      assert.equal(pages, 3);
      assert.deepEqual(seen, seeded.map((d) => d.id).reverse());
      assert.equal((await get('?limit=100')).json().nextCursor, null);
    });

    test('a role without risk.read is refused and audited', async () => {
      const refused = await get('', tokens.service);
      assert.equal(refused.statusCode, 403, refused.body);
      assert.equal(refused.json().code, 'forbidden');
      const audited = (await t.auditRows('operator.authorize')).filter((r) => r.target === 'GET /v1/risk/decisions');
      assert.equal(audited[0]?.outcome, 'denied');
      assert.equal(audited[0]?.details.role, 'customer_service');
    });

    test('bad input is a 400 problem, limit 100 accepted and 101 refused', async () => {
      for (const query of [
        '?limit=101',
        '?limit=0',
        '?action=block',
        '?event=wire',
        '?customer=alice',
        '?from=yesterday',
        `?from=${base + minute}&to=${base}`,
        '?cursor=rsk_x',
        '?sort=at',
      ]) {
        const refused = await get(query);
        assert.equal(refused.statusCode, 400, `${query}: ${refused.body}`);
        assert.match(String(refused.headers['content-type']), /application\/problem\+json/);
        assert.equal(refused.json().code, 'validation_failed', query);
      }
      assert.equal((await get('?limit=100')).statusCode, 200);
    });
  });
}
