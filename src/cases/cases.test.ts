// The shared case system on both stores, through the operator API where operators act: opening is
// idempotent and joins the caller's transaction; assignment, notes, evidence, waiting and closing
// are events and audit entries; a four-eyes decision is a case.decide proposal that neither its
// maker nor whoever opened the case may check, runs the owning capability's handler once, and every
// refusal is audited with the case unchanged.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { testStoreKinds } from '../store/testing.ts';
import { bearer, createAccessTestApp, type AccessTestApp, type TestOperator } from '../wiring/access-test-app.ts';
import {
  caseTimeline,
  getCase,
  openCase,
  type CaseKindRegistration,
  type CaseRecord,
  type OpenCaseInput,
} from './index.ts';

const handled: { caseId: string; decision: string; actor: string }[] = [];
let refuseNext: string | undefined;

const kinds: CaseKindRegistration[] = [
  {
    definition: {
      kind: 'test_review',
      queue: 'test_queue',
      sla: { firstResponse: 3_600_000, resolution: 86_400_000, calendar: 'continuous' },
      decisions: { clear: { fourEyes: false }, release_hold: { fourEyes: true } },
    },
    async handler(tx, record, decision, actor) {
      if (refuseNext !== undefined) {
        const code = refuseNext;
        refuseNext = undefined;
        return { ok: false, code };
      }
      // Written in the decision's transaction: it commits exactly when the case is decided.
      await tx.run('INSERT INTO store_leases (name, holder, expires_at) VALUES (?, ?, 0)', [
        `handled:${record.id}`,
        decision,
      ]);
      handled.push({
        caseId: record.id,
        decision,
        actor: actor.type === 'operator' ? (actor.principal?.id ?? '') : actor.type,
      });
    },
  },
  {
    definition: {
      kind: 'test_restricted',
      queue: 'restricted',
      sla: { firstResponse: 3_600_000, resolution: 86_400_000, calendar: 'business' },
      decisions: { clear: { fourEyes: false } },
      roles: { work: ['risk_analyst'], decide: ['risk_analyst'] },
    },
  },
];

const input = (key: string, extra: Partial<OpenCaseInput> = {}): OpenCaseInput => ({
  kind: 'test_review',
  dedupeKey: key,
  title: `Review ${key}`,
  subject: { type: 'payment', id: `pay_${key}` },
  severity: 'high',
  openedBy: 'system:test',
  amount: { minor: 12_345n, currency: 'CNY' },
  customerId: 'cus_test',
  evidence: [{ type: 'payment', ref: `pay_${key}` }],
  ...extra,
});

for (const kind of testStoreKinds()) {
  describe(`cases (${kind})`, () => {
    let t: AccessTestApp;
    let maker: TestOperator;
    let checker: TestOperator;
    let opener: TestOperator;
    const tokens = {} as Record<'maker' | 'checker' | 'opener' | 'auditor' | 'cs' | 'risk', string>;
    const post = (url: string, token: string, payload: Record<string, unknown> = {}) =>
      t.app.inject({ method: 'POST', url, headers: bearer(token), payload });
    const get = (url: string, token: string) => t.app.inject({ url, headers: bearer(token) });
    const snapshot = async (id: string) => {
      const record = (await getCase(t.store, id)) as CaseRecord;
      return { record: { ...record, updatedAt: 0 }, events: (await caseTimeline(t.store, id)).length };
    };

    before(async () => {
      t = await createAccessTestApp(kind, {}, { caseKinds: kinds });
      maker = await t.operator('operations');
      checker = await t.operator('operations');
      opener = await t.operator('administrator');
      tokens.maker = await t.login(maker);
      tokens.checker = await t.login(checker);
      tokens.opener = await t.login(opener);
      tokens.auditor = await t.apiToken('auditor');
      tokens.cs = await t.apiToken('customer_service');
      tokens.risk = await t.apiToken('risk_analyst');
    });
    after(() => t.close());

    test('opening is idempotent by kind and key, and joins the caller transaction', async () => {
      const first = await openCase(t.store, input('idem'), new Date(t.now()));
      const again = await openCase(t.store, input('idem', { title: 'something else' }), t.now());
      assert.equal(again.id, first.id);
      assert.equal(again.title, 'Review idem');
      assert.equal(first.status, 'open');
      assert.deepEqual(first.amount, { minor: 12_345n, currency: 'CNY' });
      const other = await openCase(t.store, input('idem', { kind: 'test_restricted' }), t.now());
      assert.notEqual(other.id, first.id, 'the same key of another kind is another case');
      await assert.rejects(
        t.store.transaction(async (tx) => {
          await openCase(tx, input('rolled-back'), t.now());
          throw new Error('the caller fails after opening');
        }),
      );
      assert.equal((await t.store.all("SELECT id FROM cases WHERE dedupe_key = 'rolled-back'")).length, 0);
      const opened = (await t.auditRows('case.opened')).filter((r) => r.target === first.id);
      assert.equal(opened.length, 1, 'one audit entry for two opens');
      assert.equal(opened[0]?.details.openedBy, 'system:test');
      assert.deepEqual(
        (await caseTimeline(t.store, first.id)).map((e) => e.type),
        ['opened'],
      );
    });

    test('an operator works a case: assign, note, evidence, wait, decide, close: all audited', async () => {
      const record = await openCase(t.store, input('work'), t.now());
      const url = `/v1/cases/${record.id}`;
      const assigned = await post(`${url}/assign`, tokens.maker);
      assert.equal(assigned.statusCode, 200, assigned.body);
      assert.equal(assigned.json().status, 'assigned');
      assert.equal(assigned.json().assignee, maker.id);
      assert.equal((await post(`${url}/notes`, tokens.maker, { body: 'called the customer' })).statusCode, 200);
      const evidence = await post(`${url}/evidence`, tokens.maker, {
        type: 'device',
        ref: 'dev_1',
        note: 'new device',
      });
      assert.equal(evidence.json().evidence.length, 2);
      const waiting = await post(`${url}/waiting`, tokens.maker, { waiting: true });
      assert.equal(waiting.json().status, 'waiting');
      assert.equal(waiting.json().sla.paused, true);
      t.advance(60_000);
      const resumed = await post(`${url}/waiting`, tokens.maker, { waiting: false });
      assert.equal(resumed.json().status, 'assigned');
      const decided = await post(`${url}/decisions`, tokens.maker, { decision: 'clear', reason: 'customer confirmed' });
      assert.equal(decided.statusCode, 200, decided.body);
      assert.equal(decided.json().proposalId, null);
      assert.equal(decided.json().case.status, 'decided');
      assert.equal(decided.json().case.decidedBy, maker.id);
      assert.deepEqual(handled.at(-1), { caseId: record.id, decision: 'clear', actor: maker.id });
      const closed = await post(`${url}/close`, tokens.maker);
      assert.equal(closed.json().status, 'closed');
      const view = (await get(url, tokens.auditor)).json();
      assert.deepEqual(
        view.timeline.map((e: { type: string }) => e.type),
        ['opened', 'assigned', 'note', 'evidence', 'waiting', 'resumed', 'decided', 'closed'],
      );
      assert.deepEqual(
        view.notes.map((n: { body: string }) => n.body),
        ['called the customer', 'customer confirmed'],
      );
      assert.equal(view.amount.value, '123.45');
      assert.equal(view.sla.firstResponse.stopped, true);
      for (const action of ['assigned', 'note', 'evidence', 'waiting', 'resumed', 'decided', 'closed']) {
        const rows = (await t.auditRows(`case.${action}`)).filter((r) => r.target === record.id);
        assert.equal(rows.length, 1, action);
        assert.equal(rows[0]?.actor_id, maker.id, action);
        assert.equal(rows[0]?.outcome, 'success', action);
      }
      const noteEntry = (await t.auditRows('case.note')).find((r) => r.target === record.id);
      assert.equal(JSON.stringify(noteEntry).includes('called the customer'), false, 'note text stays out of the log');
      const late = await post(`${url}/notes`, tokens.maker, { body: 'too late' });
      assert.equal(late.json().code, 'case_closed');
    });

    test('a four-eyes decision: the maker and the opener may not check it; a second operator does, once', async () => {
      const record = await openCase(t.store, input('four-eyes', { openedBy: opener.id }), t.now());
      const url = `/v1/cases/${record.id}`;
      const proposed = await post(`${url}/decisions`, tokens.maker, {
        decision: 'release_hold',
        reason: 'false positive',
      });
      assert.equal(proposed.statusCode, 200, proposed.body);
      const proposalId = proposed.json().proposalId as string;
      assert.match(proposalId, /^prp_/);
      assert.equal(proposed.json().case.status, 'open', 'not decided until checked');
      assert.equal(proposed.json().case.pendingProposalId, proposalId);
      const second = await post(`${url}/decisions`, tokens.checker, { decision: 'clear', reason: 'x' });
      assert.equal(second.json().code, 'case_decision_pending');
      const before = await snapshot(record.id);
      const refusals = [
        [tokens.maker, 403, 'proposal_self_approval'],
        [tokens.opener, 403, 'proposal_conflict_of_interest'],
        [await t.apiToken('operations'), 403, 'mfa_required'],
      ] as const;
      for (const [token, status, code] of refusals) {
        const response = await post(`/v1/proposals/${proposalId}/approve`, token);
        assert.equal(response.statusCode, status, code);
        assert.equal(response.json().code, code);
      }
      assert.deepEqual(await snapshot(record.id), before, 'refusals change nothing');
      assert.equal(handled.filter((h) => h.caseId === record.id).length, 0);
      const denied = (await t.auditRows('proposal.approve')).filter((r) => r.target === proposalId);
      assert.deepEqual(
        denied.map((r) => [r.outcome, r.details.reason]),
        refusals.map(([, , code]) => ['denied', code]),
      );
      const approved = await post(`/v1/proposals/${proposalId}/approve`, tokens.checker);
      assert.equal(approved.statusCode, 200, approved.body);
      assert.equal(approved.json().state, 'executed');
      const after = (await get(url, tokens.maker)).json();
      assert.equal(after.status, 'decided');
      assert.equal(after.decision, 'release_hold');
      assert.equal(after.decidedBy, checker.id);
      assert.deepEqual(
        handled.filter((h) => h.caseId === record.id),
        [{ caseId: record.id, decision: 'release_hold', actor: checker.id }],
      );
      const replay = await post(`/v1/proposals/${proposalId}/approve`, tokens.opener);
      assert.equal(replay.json().code, 'proposal_not_pending');
      assert.equal(handled.filter((h) => h.caseId === record.id).length, 1, 'executed once');
      const entry = (await t.auditRows('case.decided')).find((r) => r.target === record.id && r.outcome === 'success');
      assert.deepEqual(
        [entry?.actor_id, entry?.details.proposedBy, entry?.details.approvedBy],
        [checker.id, maker.id, checker.id],
      );
      assert.deepEqual(
        after.timeline.map((e: { type: string }) => e.type),
        ['opened', 'decision_proposed', 'decided'],
      );
    });

    test('bad decisions are refused with a code, audited, and change nothing', async () => {
      const record = await openCase(t.store, input('bad'), t.now());
      const url = `/v1/cases/${record.id}`;
      const before = await snapshot(record.id);
      const unknown = await post(`${url}/decisions`, tokens.maker, { decision: 'void_everything', reason: 'x' });
      assert.deepEqual([unknown.statusCode, unknown.json().code], [422, 'case_decision_unknown']);
      const generic = await post('/v1/proposals', tokens.maker, {
        kind: 'case.decide',
        payload: { caseId: record.id, decision: 'release_hold', reason: 'around the case' },
      });
      assert.equal(generic.json().code, 'proposal_payload_invalid', 'case.decide comes only from the case');
      const auditorDecides = await post(`${url}/decisions`, tokens.auditor, { decision: 'clear', reason: 'x' });
      assert.deepEqual([auditorDecides.statusCode, auditorDecides.json().code], [403, 'forbidden']);
      refuseNext = 'hold_not_pending';
      const refusedByHandler = await post(`${url}/decisions`, tokens.maker, { decision: 'clear', reason: 'x' });
      assert.deepEqual([refusedByHandler.statusCode, refusedByHandler.json().code], [409, 'hold_not_pending']);
      assert.deepEqual(await snapshot(record.id), before);
      const missing = await post('/v1/cases/cas_00000000000000000000000000/decisions', tokens.maker, {
        decision: 'clear',
        reason: 'x',
      });
      assert.deepEqual([missing.statusCode, missing.json().code], [404, 'case_not_found']);
      const reasons = (await t.auditRows('case.decided'))
        .filter((r) => r.outcome === 'denied')
        .map((r) => r.details.reason);
      assert.deepEqual(reasons.slice(-3), ['case_decision_unknown', 'hold_not_pending', 'case_not_found']);
      assert.equal((await post(`${url}/close`, tokens.maker)).json().code, 'case_not_decided');
      const malformed = await post(`${url}/notes`, tokens.maker, { body: '', extra: 1 });
      assert.equal(malformed.json().code, 'validation_failed');
    });

    test('a kind may restrict who works and decides it; refusals audited', async () => {
      const record = await openCase(t.store, input('restricted', { kind: 'test_restricted' }), t.now());
      const url = `/v1/cases/${record.id}`;
      const cs = await post(`${url}/assign`, tokens.cs);
      assert.deepEqual([cs.statusCode, cs.json().code], [403, 'forbidden']);
      const decided = await post(`${url}/decisions`, tokens.maker, { decision: 'clear', reason: 'x' });
      assert.deepEqual([decided.statusCode, decided.json().code], [403, 'forbidden']);
      assert.equal((await post(`${url}/assign`, tokens.risk)).json().status, 'assigned');
      assert.equal(
        (await post(`${url}/decisions`, tokens.risk, { decision: 'clear', reason: 'x' })).json().case.status,
        'decided',
      );
      const denied = (await t.auditRows('case.assigned')).filter(
        (r) => r.target === record.id && r.outcome === 'denied',
      );
      assert.equal(denied.length, 1);
    });

    test('listing pages through a queue with a cursor, filtered by status and customer', async () => {
      const ids: string[] = [];
      const pagedCustomer = 'cus_000000000000000000000paged';
      for (let i = 0; i < 5; i++) {
        t.advance(1);
        ids.push((await openCase(t.store, input(`page-${i}`, { customerId: pagedCustomer }), t.now())).id);
      }
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const after = cursor === null ? '' : `&cursor=${cursor}`;
        const query: string = `queue=test_queue&customerId=${pagedCustomer}&limit=2${after}`;
        const page = (await get(`/v1/cases?${query}`, tokens.cs)).json();
        assert.ok(page.items.length <= 2);
        seen.push(...page.items.map((c: { id: string }) => c.id));
        cursor = page.nextCursor;
      } while (cursor !== null);
      assert.deepEqual(seen, ids);
      const open = (await get('/v1/cases?status=decided&kind=test_restricted', tokens.auditor)).json();
      assert.ok(open.items.every((c: { status: string }) => c.status === 'decided'));
      const bad = await get('/v1/cases?status=nonsense', tokens.auditor);
      assert.deepEqual([bad.statusCode, bad.json().code], [400, 'validation_failed']);
      const auditorWorks = await post(`/v1/cases/${ids[0]}/assign`, tokens.auditor);
      assert.equal(auditorWorks.statusCode, 403, 'cases.work is not the auditor’s');
    });
  });
}
