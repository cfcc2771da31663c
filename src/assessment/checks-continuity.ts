// Chapter 10.7 (business continuity): backups fresh, recovery tested; chapter 10.6 (operations):
// incidents open and their age.
import { listIncidents } from '../access/index.ts';
import { latestEntryOf } from '../audit/index.ts';
import { duration, fail, hourMs, dayMs, listed, pass, warn } from './finding.ts';
import type { CheckDefinition } from './types.ts';

const backupActions = ['backup.full', 'backup.incremental', 'backup.differential'];

export const backupFreshness: CheckDefinition = {
  id: 'continuity.backup-fresh',
  chapter: '10.7',
  indicator: 'availability',
  requirement: 'Data is backed up (full, incremental, differential) often enough for the recovery point objective',
  control: 'encrypted, signed backups (anfu backup; scheduled in the server), each recorded in the audit log',
  async run({ store, clock, config }) {
    const now = clock();
    const ok = await latestEntryOf(store, backupActions, 'success');
    const failed = await latestEntryOf(store, backupActions, 'failure');
    const limit = config.backupMaxAgeHours * hourMs;
    const failedLater = failed !== undefined && (ok === undefined || failed.seq > ok.seq);
    if (ok === undefined)
      return fail('no successful backup is recorded', 'take a full backup now (anfu backup full) and schedule them');
    const evidence =
      `newest successful backup ${ok.action.slice(7)} ${duration(now - ok.at)} ago ` +
      `(limit ${config.backupMaxAgeHours} h)` +
      (failedLater ? `; a later ${failed.action.slice(7)} failed ${duration(now - failed.at)} ago` : '');
    if (now - ok.at > limit) return fail(evidence, 'back up now and check the schedule (ANFU_BACKUP_*_INTERVAL_MS)');
    if (failedLater) return warn(evidence, 'read the failed run (GET /v1/backups) and fix its cause');
    return pass(evidence);
  },
};

export const restoreTested: CheckDefinition = {
  id: 'continuity.restore-test',
  chapter: '10.7',
  indicator: 'integrity',
  requirement: 'Recovery is tested regularly: backups restore and the result verifies',
  control: '`anfu backup test` (scheduled): restore into scratch, integrity, ledger, audit log, fingerprint',
  async run({ store, clock, config }) {
    const now = clock();
    const last = await latestEntryOf(store, ['backup.test']);
    if (last === undefined)
      return fail('no restore test is recorded', 'run anfu backup test and schedule it (ANFU_BACKUP_TEST_INTERVAL_MS)');
    const evidence =
      `last restore test ${last.outcome === 'success' ? 'passed' : 'FAILED'} ${duration(now - last.at)} ago ` +
      `(limit ${config.backupTestMaxAgeDays} d)`;
    if (last.outcome !== 'success')
      return fail(evidence, 'the newest backup chain does not restore: find the named problem, take a new full');
    if (last.details.includes('"verify":"pgbackrest verify"'))
      return warn(
        `${evidence}; pgBackRest verify only, no restore`,
        'run a restore drill into a scratch cluster (docs/OPERATIONS.md)',
      );
    if (now - last.at > config.backupTestMaxAgeDays * dayMs)
      return fail(evidence, 'run anfu backup test now; check its schedule');
    return pass(evidence);
  },
};

export const openIncidents: CheckDefinition = {
  id: 'operations.incidents',
  chapter: '10.6',
  indicator: 'availability',
  requirement: 'Security incidents are handled and closed with a review within their time limit',
  control: 'incident records with timeline, linked security events and post-incident review (/v1/incidents)',
  async run({ store, clock, config }) {
    const now = clock();
    const open = await listIncidents(store, 'open', 200);
    const limit = config.incidentOpenMaxHours * hourMs;
    const old = open
      .filter((i) => now - i.openedAt > limit)
      .map((i) => `${i.id} (${i.severity}, ${duration(now - i.openedAt)})`);
    const critical = open.filter((i) => i.severity === 'critical').map((i) => i.id);
    const oldest = open.reduce((m, i) => Math.max(m, now - i.openedAt), 0);
    const evidence =
      `${open.length} open incidents${open.length > 0 ? `, oldest ${duration(oldest)}` : ''}` +
      (old.length > 0 ? `; open beyond ${config.incidentOpenMaxHours} h: ${listed(old)}` : '') +
      (critical.length > 0 ? `; critical: ${listed(critical)}` : '');
    if (old.length > 0 || critical.length > 0)
      return fail(evidence, 'work the named incidents to closure with a review');
    if (open.length > 0) return warn(evidence, 'close the open incidents with a review when handled');
    return pass(evidence);
  },
};
