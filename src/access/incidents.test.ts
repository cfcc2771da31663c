// Incident response: open with classification, severity and scope; link security events; record
// timeline entries, actions and notifications; close with a post-incident review. All audited;
// a closed incident takes no more entries; the timeline is append-only in the database.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { testStoreKinds } from '../store/testing.ts';
import { raiseSecurityEvent } from './index.ts';
import { bearer, createAccessTestApp, type AccessTestApp } from '../wiring/access-test-app.ts';

for (const kind of testStoreKinds()) {
  describe(`incidents (${kind})`, () => {
    let t: AccessTestApp;
    let analyst: string;
    before(async () => {
      t = await createAccessTestApp(kind);
      analyst = await t.login(await t.operator('risk_analyst'));
    });
    after(() => t.close());
    const post = (url: string, payload: Record<string, unknown>) => t.app.inject({ method: 'POST', url, headers: bearer(analyst), payload });

    test('an incident runs from opening to post-incident review, every step audited', async () => {
      const first = await t.store.transaction((tx) => raiseSecurityEvent(tx, { type: 'brute_force', subject: 'opr_x' }, t.now()));
      const second = await t.store.transaction((tx) => raiseSecurityEvent(tx, { type: 'credential_stuffing', source: '198.51.100.7' }, t.now()));
      const opened = await post('/v1/incidents', { title: 'Password spraying against operators', classification: 'unauthorised_access', severity: 'high', scope: 'operator console', securityEventIds: [first] });
      assert.equal(opened.statusCode, 201);
      const id = opened.json().id as string;
      assert.equal(opened.json().state, 'open');
      assert.ok((opened.json().playbook as string[]).length > 0);
      const linked = (await post(`/v1/incidents/${id}/security-events`, { securityEventId: second as string })).json().securityEventIds as string[];
      assert.deepEqual([...linked].sort(), [first, second].sort());
      await post(`/v1/incidents/${id}/entries`, { kind: 'timeline', text: 'Spike of failed logins detected' });
      await post(`/v1/incidents/${id}/entries`, { kind: 'action', text: 'Blocked 198.51.100.7 at the edge' });
      await post(`/v1/incidents/${id}/entries`, { kind: 'notification', text: 'Informed the regulator', details: { recipient: 'PBOC branch', channel: 'official letter' } });
      const review = { summary: 'Spraying stopped by lockout', rootCause: 'Leaked operator list', impact: 'None', lessonsLearned: 'Alert sooner', followUpActions: ['Lower the stuffing threshold'] };
      const closed = await post(`/v1/incidents/${id}/close`, { review });
      assert.equal(closed.statusCode, 200);
      assert.equal(closed.json().state, 'closed');
      assert.deepEqual(closed.json().review, review);
      assert.deepEqual((closed.json().entries as { kind: string }[]).map((e) => e.kind), ['timeline', 'action', 'notification']);
      const late = await post(`/v1/incidents/${id}/entries`, { kind: 'note', text: 'too late' });
      assert.equal(late.statusCode, 409);
      assert.equal(late.json().code, 'incident_closed');
      for (const action of ['incident.open', 'incident.link_event', 'incident.timeline', 'incident.action', 'incident.notification', 'incident.close']) {
        assert.equal((await t.auditRows(action)).filter((r) => r.target === id && r.outcome === 'success').length, 1, action);
      }
      assert.equal((await t.auditRows('incident.note')).at(-1)?.details.reason, 'incident_closed');
      const read = await t.app.inject({ url: `/v1/incidents/${id}`, headers: bearer(await t.apiToken('auditor')) });
      assert.equal(read.json().entries.length, 3);
      await assert.rejects(t.store.run('DELETE FROM incident_entries'));
    });

    test('unknown incidents and events are refused with their codes, and audited', async () => {
      const openBefore = (await t.app.inject({ url: '/v1/incidents?state=open', headers: bearer(analyst) })).json().items.length as number;
      const missing = await post('/v1/incidents/inc_0000000000aaaaaaaaaaaaaaaa/entries', { kind: 'note', text: 'x' });
      assert.equal(missing.json().code, 'incident_not_found');
      const badEvent = await post('/v1/incidents', { title: 'x', classification: 'fraud', severity: 'low', scope: 'x', securityEventIds: ['sev_0000000000aaaaaaaaaaaaaaaa'] });
      assert.equal(badEvent.json().code, 'security_event_not_found');
      assert.equal((await t.app.inject({ url: '/v1/incidents?state=open', headers: bearer(analyst) })).json().items.length, openBefore, 'the refused opening left nothing behind');
      assert.equal((await t.auditRows('incident.open')).at(-1)?.outcome, 'failure');
      const malformed = await post('/v1/incidents', { title: 'x', classification: 'aliens', severity: 'low', scope: 'x' });
      assert.equal(malformed.json().code, 'validation_failed');
    });
  });
}
