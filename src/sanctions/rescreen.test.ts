// Re-screening when the lists change, with the real published lists, on both stores: a customer and a
// merchant let in while no list was loaded are found by a run started from the operator API; the run
// is resumable (page by page, continued by another "process"), held back while another holder has the
// `sanctions:rescreen` lease, and opens one case per party and list entry however often it runs.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { getCase } from '../cases/index.ts';
import { acquireLease, releaseLease } from '../store/index.ts';
import { testStoreKinds } from '../store/testing.ts';
import {
  browserDevice,
  createIdentityTestApp,
  phoneNumber,
  residentIdNumber,
  type IdentityTestApp,
} from '../wiring/identity-test-app.ts';
import { rescreenSourcesOf } from '../wiring/sanctions-screening.ts';
import { loadLists } from './load-lists.ts';
import { rescreenLease, rescreenRun, rescreenStep } from './rescreen.ts';
import { createSanctions } from './sanctions.ts';
import { realOfacFiles, realUnFile, requireSharedLists } from './testing.ts';

async function register(t: IdentityTestApp, name: string, birth: string): Promise<string> {
  const phone = phoneNumber();
  const codes = { phone, purpose: 'registration' };
  const sent = await t.app.inject({ method: 'POST', url: '/v1/sms-codes', payload: codes });
  const payload = {
    phone,
    smsCodeId: sent.json().codeId,
    smsCode: t.smsCode(phone),
    name,
    idNumber: residentIdNumber(birth),
    password: 'correct horse battery staple 安付',
    device: browserDevice,
  };
  const response = await t.app.inject({ method: 'POST', url: '/v1/customers', payload });
  assert.equal(response.statusCode, 201, response.body);
  return (response.json() as { customerId: string }).customerId;
}

for (const kind of testStoreKinds()) {
  describe(`re-screening on ${kind}`, () => {
    let t: IdentityTestApp;
    let listed: string;
    let clean: string;
    let merchantId: string;
    let analyst: { authorization: string };
    before(async () => {
      requireSharedLists();
      t = await createIdentityTestApp(kind);
      // Let in while no list was loaded (development and test screen nothing then).
      listed = await register(t, '李方伟', '19720918');
      clean = await register(t, '王小明', '19900101');
      const onboarded = await t.app.inject({
        method: 'POST',
        url: '/v1/merchants',
        headers: { authorization: `Bearer ${t.token}` },
        payload: {
          name: 'Banco Nacional de Cuba',
          businessRegistration: '91310000MA1K00000Y',
          contactEmail: 'ops@bnc.example',
          settlementAccount: '6222020200112233445',
          feeBps: 60,
        },
      });
      assert.equal(onboarded.statusCode, 201, onboarded.body);
      merchantId = (onboarded.json() as { id: string }).id;
      const loader = { type: 'operator' as const, id: 'opr_loader' };
      await loadLists(t.store, { ofac: realOfacFiles, un: realUnFile }, loader, Date.now());
      analyst = { authorization: `Bearer ${await t.tokenFor('risk_analyst')}` };
    });
    after(() => t.close());

    test('a run from the API finds the listed customer and merchant, page by page, resumed elsewhere', async () => {
      const refused = await t.app.inject({
        method: 'POST',
        url: '/v1/sanctions/rescreens',
        headers: { authorization: `Bearer ${await t.tokenFor('customer_service')}` },
      });
      assert.equal(refused.statusCode, 403);
      const started = await t.app.inject({ method: 'POST', url: '/v1/sanctions/rescreens', headers: analyst });
      assert.equal(started.statusCode, 202, started.body);
      const run = started.json() as { id: string; state: string; listVersions: string };
      assert.equal(run.state, 'queued');
      assert.match(run.listVersions, /^ofac:1,un:1$/);
      const again = await t.app.inject({ method: 'POST', url: '/v1/sanctions/rescreens', headers: analyst });
      assert.equal(again.statusCode, 200);
      assert.equal(again.json().id, run.id, 'one open run at a time: a second request joins it');

      const clock = () => Date.now();
      const sources = rescreenSourcesOf(t.identity, t.store, clock);
      // One page of one party, then "another process" (its own sanctions context) continues.
      const first = await rescreenStep(createSanctions(t.store, clock), sources, { pageSize: 1, budgetMs: 0 });
      assert.equal(first.ran, true);
      assert.deepEqual([first.run?.state, first.run?.screened, first.run?.phase], ['running', 1, 0]);
      // While another holder has the lease, a step does nothing and the run stays where it was.
      await acquireLease(t.store, { name: rescreenLease, holder: 'other', ttlMs: 60_000, now: Date.now() });
      const held = await rescreenStep(createSanctions(t.store, clock), sources, { pageSize: 1 });
      assert.equal(held.ran, false);
      assert.equal((await rescreenRun(t.store, run.id))?.screened, 1);
      await releaseLease(t.store, rescreenLease, 'other');
      const other = createSanctions(t.store, clock);
      for (let i = 0; i < 10 && (await rescreenRun(t.store, run.id))?.state !== 'done'; i += 1)
        await rescreenStep(other, sources, { pageSize: 1, budgetMs: 0 });

      const shown = await t.app.inject({ method: 'GET', url: `/v1/sanctions/rescreens/${run.id}`, headers: analyst });
      assert.equal(shown.statusCode, 200, shown.body);
      const done = shown.json() as { state: string; screened: number; hits: number; phase: string };
      assert.deepEqual([done.state, done.screened, done.hits, done.phase], ['done', 3, 2, 'done']);
      const hits = await t.store.all<{ subject_id: string; case_id: string | null; entry_id: string }>(
        `SELECT subject_id, case_id, entry_id FROM sanctions_screenings
         WHERE context = 'rescreen' AND outcome = 'hit'`,
      );
      const bySubject = new Map(hits.filter((h) => h.case_id !== null).map((h) => [h.subject_id, h]));
      assert.deepEqual([...bySubject.keys()].sort(), [listed, merchantId].sort());
      assert.equal(bySubject.get(listed)?.entry_id, 'ofac:11447');
      assert.ok(!hits.some((h) => h.subject_id === clean), 'the clean customer is not hit');
      const customerCase = await getCase(t.store, bySubject.get(listed)?.case_id ?? '');
      assert.equal(customerCase?.kind, 'sanctions_hit');
      assert.deepEqual(customerCase?.subject, { type: 'customer', id: listed });
      const audit = await t.store.all("SELECT actor_id FROM audit_entries WHERE action = 'sanctions.rescreen'");
      assert.equal(audit.length, 1);
    });

    test('a second run opens no second case; a list unchanged starts no run by itself', async () => {
      const casesBefore = await t.store.all("SELECT id FROM cases WHERE kind = 'sanctions_hit'");
      const started = await t.app.inject({ method: 'POST', url: '/v1/sanctions/rescreens', headers: analyst });
      assert.equal(started.statusCode, 202, started.body);
      const sanctions = createSanctions(t.store, Date.now);
      const sources = rescreenSourcesOf(t.identity, t.store, Date.now);
      let step = await rescreenStep(sanctions, sources, { pageSize: 100 });
      // A loaded machine may spend the step's time budget before the end: the next step goes on.
      for (let i = 0; i < 10 && step.run?.state === 'running'; i += 1) step = await rescreenStep(sanctions, sources);
      assert.deepEqual([step.run?.state, step.run?.hits], ['done', 2]);
      assert.deepEqual(await t.store.all("SELECT id FROM cases WHERE kind = 'sanctions_hit'"), casesBefore);
      const idle = await rescreenStep(sanctions, sources, { auto: true });
      assert.equal(idle.run, undefined, 'the lists in force were already re-screened');
      const list = await t.app.inject({ method: 'GET', url: '/v1/sanctions/rescreens', headers: analyst });
      assert.equal(list.json().items.length, 2);
      const missing = await t.app.inject({
        method: 'GET',
        url: '/v1/sanctions/rescreens/rsc_0000000000aaaaaaaaaaaaaaaa',
        headers: analyst,
      });
      assert.equal(missing.statusCode, 404);
      assert.equal(missing.json().code, 'sanctions_rescreen_not_found');
    });
  });
}
