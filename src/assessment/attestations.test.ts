// Rows that rest on an operator's attestation (physical security, JR/T 0122 chapters 7–9), on both
// stores: not attested until someone vouches, attested (with who and until when) after, not attested
// again once it expires; only permitted roles may attest, bad input is refused with a stable code and
// records nothing, and every attestation is audited.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { testStoreKinds } from '../store/testing.ts';
import { createTestApp } from '../wiring/test-app.ts';
import { assessmentProbes, runAssessment, type Assessment } from './index.ts';

const dayMs = 24 * 3600_000;

for (const kind of testStoreKinds()) {
  test(`${kind}: attested rows read not attested, attested, then not attested when expired`, async () => {
    const t = await createTestApp(kind);
    try {
      let now = Date.now();
      const probes = assessmentProbes({
        store: t.store,
        config: t.config,
        clock: () => now,
        keyring: t.keyring,
        verifyLedger: () => t.ledger.verify(),
        listener: () => undefined,
        dependencyAdvisories: async () => ({
          answered: false,
          counts: { critical: 0, high: 0, moderate: 0, low: 0, info: 0 },
          note: 'not asked',
        }),
      });
      const actor = { type: 'system' as const, id: 'cli:test' };
      const rowOf = (a: Assessment, id: string) => a.rows.find((r) => r.id === id);
      const first = await runAssessment(probes(), actor);
      const physical = rowOf(first, 'physical.access');
      assert.equal(physical?.result, 'not_attested');
      assert.equal(physical?.chapter, '10.1');
      assert.equal(physical?.chapterTitle, 'Security · physical (物理安全)');
      assert.equal(physical?.evidence, 'no attestation recorded');
      assert.match(physical?.advice ?? '', /anfu assess attest physical\.access/);
      for (const [id, chapter] of [
        ['functions.acceptance', '7'],
        ['risk.monitoring-review', '8'],
        ['performance.capacity', '9'],
      ] as const)
        assert.equal(rowOf(first, id)?.chapter, chapter);

      const as = (token: string) => ({ authorization: `Bearer ${token}` });
      const statement = 'Inspected room B2, visitor log 2026-11, ref PS-114';
      const body = { controlId: 'physical.access', statement, validDays: 30 };
      const auditor = await t.app.inject({
        method: 'POST',
        url: '/v1/assessments/attestations',
        headers: as(await t.tokenFor('auditor')),
        payload: body,
      });
      assert.equal(auditor.statusCode, 403, 'an auditor reads attestations but does not make them');
      for (const bad of [
        { ...body, controlId: 'physical.nothing' },
        { ...body, statement: 'ok' },
        { ...body, statement: 'Inspected\u202eevil room B2 ref 1' },
        { ...body, validDays: 366 },
        { ...body, controlId: 'risk.monitoring-review', validDays: 91 },
      ]) {
        const refused = await t.app.inject({
          method: 'POST',
          url: '/v1/assessments/attestations',
          headers: as(t.token),
          payload: bad,
        });
        assert.equal(refused.statusCode, 400, JSON.stringify(bad));
        const code = (refused.json() as { code: string }).code;
        assert.ok(code === 'attestation_invalid' || code === 'validation_failed', code);
      }
      const listed = await t.app.inject({ method: 'GET', url: '/v1/assessments/attestations', headers: as(t.token) });
      assert.deepEqual((listed.json() as { items: unknown[] }).items, [], 'nothing recorded by refused requests');

      const made = await t.app.inject({
        method: 'POST',
        url: '/v1/assessments/attestations',
        headers: as(t.token),
        payload: body,
      });
      assert.equal(made.statusCode, 201, made.body);
      const attestation = made.json() as { id: string; attestedBy: string; expiresAt: string };
      const audit = await t.store.get(
        "SELECT actor_id, target FROM audit_entries WHERE action = 'assessment.attest' ORDER BY seq DESC LIMIT 1",
      );
      assert.equal(String(audit?.target), attestation.id);
      assert.equal(String(audit?.actor_id), attestation.attestedBy);

      const second = await runAssessment(probes(), actor);
      const attested = rowOf(second, 'physical.access');
      assert.equal(attested?.result, 'attested');
      assert.equal(attested?.previous, 'not_attested');
      assert.match(attested?.evidence ?? '', /ref PS-114/);
      assert.ok((attested?.evidence ?? '').includes(`attested by ${attestation.attestedBy}`), attested?.evidence);
      assert.equal(rowOf(second, 'physical.media')?.result, 'not_attested', 'one attestation vouches for one control');

      now += 31 * dayMs;
      const third = await runAssessment(probes(), actor);
      const expired = rowOf(third, 'physical.access');
      assert.equal(expired?.result, 'not_attested');
      assert.match(expired?.evidence ?? '', /expired on/);
      const list = await t.app.inject({
        method: 'GET',
        url: '/v1/assessments/attestations',
        headers: as(await t.tokenFor('auditor')),
      });
      const view = list.json() as { controls: Array<{ id: string }>; items: Array<{ id: string }> };
      assert.equal(view.controls.length, 6);
      assert.deepEqual(view.items.map((i) => i.id), [attestation.id]);
    } finally {
      await t.close();
    }
  });
}
