// The self-assessment on both stores: real weaknesses turn the right row red — an operator who can act
// without a second factor, a backup grown stale, a failed restore test, an audit entry altered behind
// the append-only trigger, a key past its rotation policy — and each run keeps the previous result.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createOperator, systemActor } from '../access/index.ts';
import { appendAudit, createCheckpoint, keyringAuditSigner } from '../audit/index.ts';
import type { Store } from '../store/index.ts';
import { testStoreKinds } from '../store/testing.ts';
import { createTestApp, type TestApp } from '../wiring/test-app.ts';
import { assessmentProbes, runAssessment, type AdvisoryReport, type Assessment } from './index.ts';

const dayMs = 24 * 3600_000;
const notAnswered: AdvisoryReport = {
  answered: false,
  counts: { critical: 0, high: 0, moderate: 0, low: 0, info: 0 },
  note: 'the registry did not answer: 405',
};

function rowOf(assessment: Assessment, id: string) {
  const row = assessment.rows.find((r) => r.id === id);
  assert.ok(row, `row ${id}`);
  return row;
}

async function recordBackup(store: Store, action: string, outcome: 'success' | 'failure', at: number): Promise<void> {
  await store.transaction((tx) =>
    appendAudit(
      tx,
      [{ actorType: 'system', actorId: 'node:test', action, target: 'bk_test', outcome, details: { job: 'test' } }],
      at,
    ),
  );
}

function probesFor(t: TestApp, clock: () => number, advisories: AdvisoryReport = notAnswered) {
  return assessmentProbes({
    store: t.store,
    config: t.config,
    clock,
    keyring: t.keyring,
    verifyLedger: () => t.ledger.verify(),
    listener: () => undefined,
    dependencyAdvisories: async () => advisories,
  });
}

async function dropAuditAppendOnly(store: Store): Promise<void> {
  if (store.dialect === 'sqlite') await store.run('DROP TRIGGER audit_entries_no_update');
  else await store.run('ALTER TABLE audit_entries DISABLE TRIGGER audit_entries_append_only');
}

for (const kind of testStoreKinds()) {
  test(`${kind}: real weaknesses turn the right rows red; each run shows the previous result`, async () => {
    const t = await createTestApp(kind);
    try {
      let now = Date.now();
      const clock = () => now;
      const probes = probesFor(t, clock);
      const actor = { type: 'system' as const, id: 'cli:test' };
      const signer = await keyringAuditSigner(t.keyring, {
        dataDir: t.config.dataDir,
        profile: t.config.cryptoProfile,
      });
      await recordBackup(t.store, 'backup.full', 'success', now - 3600_000);
      await recordBackup(t.store, 'backup.test', 'success', now - 3600_000);
      await createCheckpoint(t.store, signer, now);

      const first = await runAssessment(probes(), actor);
      assert.equal(first.previousRunId, null);
      for (const id of [
        'hosts.operator-mfa',
        'continuity.backup-fresh',
        'continuity.restore-test',
        'application.audit-chain',
        'data.ledger',
        'data.key-age',
        'application.signed-checkpoints',
        'operations.incidents',
      ]) {
        assert.equal(rowOf(first, id).result, 'pass', `${id}: ${rowOf(first, id).evidence}`);
      }
      // No registry: unknown, never pass. No listener: unknown.
      assert.equal(rowOf(first, 'application.dependencies').result, 'unknown');
      assert.equal(rowOf(first, 'network.tls').result, 'unknown');
      // The test app's generous rate limits are themselves a weakness the report names.
      assert.equal(rowOf(first, 'network.rate-limits').result, 'fail');
      assert.equal(rowOf(first, 'hosts.settings').result, 'warn');
      assert.ok(first.rows.every((r) => r.previous === null));

      // An operator who can act (role granted at creation) but never enrolled a second factor.
      const created = await createOperator(
        t.store,
        systemActor,
        { name: 'no-mfa-admin', role: 'administrator' },
        t.app.context.access.enrolmentPolicy,
        now,
      );
      assert.ok(created.ok);
      // The backup grows stale, and the last restore test failed.
      now += 30 * 3600_000;
      await recordBackup(t.store, 'backup.test', 'failure', now - 60_000);
      const second = await runAssessment(probes(), actor);
      assert.equal(second.previousRunId, first.id);
      const mfa = rowOf(second, 'hosts.operator-mfa');
      assert.equal(mfa.result, 'fail');
      assert.equal(mfa.previous, 'pass');
      assert.match(mfa.evidence, /no-mfa-admin \(administrator\)/);
      assert.equal(rowOf(second, 'continuity.backup-fresh').result, 'fail');
      assert.match(rowOf(second, 'continuity.backup-fresh').evidence, /31\.0 h ago|30\.\d h ago|1\.3 d ago/);
      assert.equal(rowOf(second, 'continuity.restore-test').result, 'fail');
      assert.equal(second.summary.security, 'fail');
      assert.equal(second.summary.availability, 'fail');

      // An audit entry altered behind the append-only trigger: traceability turns red.
      await dropAuditAppendOnly(t.store);
      await t.store.run("UPDATE audit_entries SET target = 'forged' WHERE seq = 2");
      const third = await runAssessment(probes(), actor);
      const chain = rowOf(third, 'application.audit-chain');
      assert.equal(chain.result, 'fail', chain.evidence);
      assert.equal(chain.previous, 'pass');
      assert.match(chain.evidence, /first problem at seq 2/);
      assert.equal(third.summary.traceability, 'fail');

      // Keys past the rotation policy (time passes beyond 365 days).
      now += 400 * dayMs;
      const fourth = await runAssessment(probes(), actor);
      assert.equal(rowOf(fourth, 'data.key-age').result, 'fail');
      assert.match(rowOf(fourth, 'data.key-age').advice, /anfu keys rotate/);

      // Every run is stored and audited.
      const runs = await t.store.all("SELECT target FROM audit_entries WHERE action = 'assessment.run'");
      assert.equal(runs.length, 4);
    } finally {
      await t.close();
    }
  });

  test(`${kind}: dependency advisories with a high finding fail; a clean answer passes`, async () => {
    const t = await createTestApp(kind);
    try {
      const actor = { type: 'system' as const, id: 'cli:test' };
      const high = {
        answered: true,
        counts: { critical: 0, high: 2, moderate: 1, low: 0, info: 0 },
        note: 'npm audit',
      };
      const a = await runAssessment(probesFor(t, Date.now, high)(), actor);
      assert.equal(a.rows.find((r) => r.id === 'application.dependencies')?.result, 'fail');
      const clean = { ...high, counts: { critical: 0, high: 0, moderate: 0, low: 3, info: 0 } };
      const b = await runAssessment(probesFor(t, Date.now, clean)(), actor);
      const row = b.rows.find((r) => r.id === 'application.dependencies');
      assert.equal(row?.result, 'pass');
      assert.equal(row?.previous, 'fail');
    } finally {
      await t.close();
    }
  });
}
