// Chapter 10.5 (data): data keys against the rotation policy; chapter 10.4 (application logs) and
// non-repudiation: the audit log verified against its signed checkpoints; integrity of the books.
import { latestCheckpoint, verifyAuditLog } from '../audit/index.ts';
import { dayMs, duration, fail, listed, pass, warn } from './finding.ts';
import type { CheckDefinition } from './types.ts';

export const keyAges: CheckDefinition = {
  id: 'data.key-age',
  chapter: '10.5',
  indicator: 'confidentiality',
  requirement: 'Cryptographic keys are rotated within their policy period',
  control: 'per-purpose data keys under a KEK; `anfu keys rotate` without downtime, `keys rewrap` after',
  async run({ keyring, clock, config }) {
    const now = clock();
    const active = (await keyring.versions()).filter((v) => v.state === 'active');
    const policyMs = config.keyRotationDays * dayMs;
    const aged = active.map((v) => ({ name: `${v.purpose}#v${v.version}`, age: now - v.createdAt }));
    const overdue = aged.filter((k) => k.age > policyMs).map((k) => `${k.name} (${duration(k.age)})`);
    const due = aged
      .filter((k) => k.age > policyMs * 0.9 && k.age <= policyMs)
      .map((k) => `${k.name} (${duration(k.age)})`);
    const oldest = aged.reduce((m, k) => Math.max(m, k.age), 0);
    const evidence =
      `${active.length} active data keys, oldest ${duration(oldest)}; policy ${config.keyRotationDays} d` +
      (overdue.length > 0 ? `; overdue: ${listed(overdue)}` : '') +
      (due.length > 0 ? `; due: ${listed(due)}` : '');
    if (overdue.length > 0)
      return fail(evidence, 'rotate each overdue purpose (anfu keys rotate --purpose P), then anfu keys rewrap');
    if (due.length > 0) return warn(evidence, 'schedule the rotation of the named purposes');
    return pass(evidence);
  },
};

export const auditChain: CheckDefinition = {
  id: 'application.audit-chain',
  chapter: '10.4',
  indicator: 'traceability',
  requirement: 'Operation logs are complete and cannot be altered, removed or reordered unnoticed',
  control: 'append-only audit log: hash chain + RFC 9162 Merkle tree, written in the transaction of the change',
  async run({ store, auditPublicKeyPem }) {
    const v = await verifyAuditLog(store, { publicKeyPem: await auditPublicKeyPem() });
    const evidence =
      `${v.entries} entries, ${v.checkpoints} checkpoints verified against the platform's audit key` +
      (v.firstProblem === null ? '' : `; first problem at seq ${v.firstProblem.seq}: ${v.firstProblem.kind}`) +
      (v.failedCheckpoint === null ? '' : `; ${v.checkpointsFailed} checkpoints fail`);
    if (!v.ok)
      return fail(
        evidence,
        'treat as an incident: keep the database as found, compare with the last export (anfu verify-audit)',
      );
    return pass(evidence);
  },
};

export const signedCheckpoints: CheckDefinition = {
  id: 'application.signed-checkpoints',
  chapter: '10.4',
  indicator: 'non-repudiation',
  requirement: 'Records are signed so that their origin and content cannot later be denied',
  control:
    'signed audit checkpoints (keyring audit-signing key) every ANFU_AUDIT_CHECKPOINT_INTERVAL_MS; ' +
    'signed customer instructions',
  async run({ store, clock, config }) {
    const checkpoint = await latestCheckpoint(store);
    if (checkpoint === undefined)
      return fail('no signed checkpoint exists', 'check the checkpointer runs (serve logs "audit checkpoint failed")');
    const age = clock() - checkpoint.createdAt;
    const evidence =
      `newest checkpoint covers ${checkpoint.treeSize} entries, ` +
      `signed ${duration(age)} ago (${checkpoint.algorithm})`;
    const allowed = Math.max(config.auditCheckpointIntervalMs * 10, 3600_000);
    // A quiet log is not signed again: an old checkpoint is only a problem when entries came after it.
    if (age > allowed)
      return warn(evidence, 'the checkpointer signs only when the log grew: confirm it runs (or the log was quiet)');
    return pass(evidence);
  },
};

export const ledgerIntegrity: CheckDefinition = {
  id: 'data.ledger',
  chapter: '10.5',
  indicator: 'integrity',
  requirement: 'Stored business data is complete and consistent; corruption is detected',
  control: 'double-entry ledger, append-only journal, table checks; `anfu verify` proves balances = journal',
  async run({ verifyLedger }) {
    const report = await verifyLedger();
    const evidence = report.ok
      ? 'every balance equals its journal; money conserved per currency'
      : `problems: ${listed([...report.problems], 5)}`;
    if (!report.ok) return fail(evidence, 'stop writes, keep the database as found, follow OPERATIONS.md "Respond"');
    return pass(evidence);
  },
};
