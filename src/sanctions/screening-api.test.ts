// Screening through the real app on both stores: a registration whose applicant matches a listed
// person (name in Chinese script, birth date from the resident ID) is refused with `sanctions_hit`,
// audited, and leaves a `sanctions_hit` case and no customer; a namesake born on another day is let
// through as a recorded near hit; merchant onboarding of a listed bank is refused; the operator API
// shows lists, searches and screenings, and is closed to roles without the permission.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { getCase } from '../cases/index.ts';
import { testStoreKinds } from '../store/testing.ts';
import {
  browserDevice,
  createIdentityTestApp,
  phoneNumber,
  residentIdNumber,
  type IdentityTestApp,
} from '../wiring/identity-test-app.ts';
import { loadLists } from './load-lists.ts';
import { realOfacFiles, realUnFile, requireSharedLists } from './testing.ts';

async function register(t: IdentityTestApp, name: string, birth: string) {
  const phone = phoneNumber();
  const sent = await t.app.inject({
    method: 'POST',
    url: '/v1/sms-codes',
    payload: { phone, purpose: 'registration' },
  });
  assert.equal(sent.statusCode, 202, sent.body);
  const payload = {
    phone,
    smsCodeId: sent.json().codeId,
    smsCode: t.smsCode(phone),
    name,
    idNumber: residentIdNumber(birth),
    password: 'correct horse battery staple 安付',
    device: browserDevice,
  };
  return t.app.inject({ method: 'POST', url: '/v1/customers', payload });
}

for (const kind of testStoreKinds()) {
  describe(`screening through the API on ${kind}`, () => {
    let t: IdentityTestApp;
    before(async () => {
      requireSharedLists();
      t = await createIdentityTestApp(kind);
      await loadLists(
        t.store,
        { ofac: realOfacFiles, un: realUnFile },
        { type: 'operator', id: 'opr_loader' },
        Date.now(),
      );
    });
    after(() => t.close());

    test('a listed applicant is refused, audited, and a case is opened; no customer is created', async () => {
      const customersBefore = await t.store.all('SELECT id FROM customers');
      const response = await register(t, '李方伟', '19720918');
      assert.equal(response.statusCode, 403, response.body);
      assert.equal(response.json().code, 'sanctions_hit');
      assert.equal(response.body.includes('李方伟'), false, 'the refusal does not echo the name');
      assert.deepEqual(await t.store.all('SELECT id FROM customers'), customersBefore);
      const [row] = await t.store.all<{ case_id: string; entry_id: string; outcome: string }>(
        "SELECT case_id, entry_id, outcome FROM sanctions_screenings WHERE context = 'registration'",
      );
      assert.equal(row?.entry_id, 'ofac:11447');
      assert.equal(row?.outcome, 'hit');
      assert.equal((await getCase(t.store, row?.case_id ?? ''))?.kind, 'sanctions_hit');
      const denied = await t.store.all<{ details: string }>(
        "SELECT details FROM audit_entries WHERE action = 'customer.register' AND outcome = 'denied'",
      );
      assert.ok(denied.some((d) => String(d.details).includes('sanctions_hit')));
    });

    test('a namesake born on another day registers; the near hit is recorded', async () => {
      const response = await register(t, '李方伟', '19900307');
      assert.equal(response.statusCode, 201, response.body);
      const rows = await t.store.all<{ outcome: string }>(
        "SELECT outcome FROM sanctions_screenings WHERE context = 'registration' ORDER BY screened_at",
      );
      assert.deepEqual(
        rows.map((r) => r.outcome),
        ['hit', 'near_hit'],
      );
      assert.equal((await register(t, '张三', '19900307')).statusCode, 201);
    });

    test('onboarding a listed bank as a merchant is refused; an ordinary business is onboarded', async () => {
      const headers = { authorization: `Bearer ${t.token}` };
      const merchant = (name: string, businessRegistration: string) => ({
        name,
        businessRegistration,
        contactEmail: 'ops@example.com',
        settlementAccount: '6222020200112233445',
      });
      const listed = await t.app.inject({
        method: 'POST',
        url: '/v1/merchants',
        headers,
        payload: merchant('Banco Nacional de Cuba', '91110000MA01ABCDE1'),
      });
      assert.equal(listed.statusCode, 403, listed.body);
      assert.equal(listed.json().code, 'sanctions_hit');
      const ordinary = await t.app.inject({
        method: 'POST',
        url: '/v1/merchants',
        headers,
        payload: merchant('杭州绿茶贸易有限公司', '91330100MA27XYZAB2'),
      });
      assert.equal(ordinary.statusCode, 201, ordinary.body);
    });

    test('operator API: lists, search, screenings; refused to a role without the permission', async () => {
      const analyst = { authorization: `Bearer ${await t.tokenFor('risk_analyst')}` };
      const lists = await t.app.inject({ method: 'GET', url: '/v1/sanctions/lists', headers: analyst });
      assert.equal(lists.statusCode, 200, lists.body);
      assert.deepEqual(
        lists
          .json()
          .items.map((v: { source: string; entries: number }) => [v.source, v.entries])
          .sort(),
        [
          ['ofac', 7379],
          ['un', 1003],
        ],
      );
      const search = await t.app.inject({
        method: 'POST',
        url: '/v1/sanctions/searches',
        headers: analyst,
        payload: { name: 'Zawahiri, Ayman' },
      });
      assert.equal(search.statusCode, 200, search.body);
      assert.ok(search.json().matches.some((m: { entryId: string }) => m.entryId === 'ofac:2676'));
      const screenings = await t.app.inject({ method: 'GET', url: '/v1/sanctions/screenings', headers: analyst });
      assert.ok(screenings.json().items.length >= 3);
      const support = { authorization: `Bearer ${await t.tokenFor('customer_service')}` };
      const refused = await t.app.inject({
        method: 'POST',
        url: '/v1/sanctions/searches',
        headers: support,
        payload: { name: 'x' },
      });
      assert.equal(refused.statusCode, 403);
      const bad = await t.app.inject({
        method: 'POST',
        url: '/v1/sanctions/searches',
        headers: analyst,
        payload: { name: '' },
      });
      assert.equal(bad.statusCode, 400);
    });
  });
}
