// Backup jobs (migration 272): queued by the schedule or an operator, run by the node holding the
// backup lease, with progress written as they go (at most once a second) so the operator API and
// `anfu backup jobs --watch` show a long job while it runs. A running job whose node stopped beating
// is shown as abandoned and ended as failed when the next job starts.
import { newId } from '../ids.ts';
import { toNumber, type Queryable } from '../store/index.ts';

export const backupJobKinds = ['full', 'incremental', 'differential', 'test'] as const;
export type BackupJobKind = (typeof backupJobKinds)[number];
export type BackupJobState = 'queued' | 'running' | 'succeeded' | 'failed';

/** A running job without a heartbeat for this long is abandoned (its node died or was killed). */
export const jobHeartbeatStaleMs = 5 * 60_000;

export interface BackupJob {
  readonly id: string;
  readonly kind: BackupJobKind;
  readonly state: BackupJobState;
  readonly node: string | null;
  readonly step: string | null;
  readonly done: number;
  readonly total: number;
  readonly backupId: string | null;
  readonly detail: string | null;
  readonly requestedBy: string;
  readonly queuedAt: number;
  readonly startedAt: number | null;
  readonly heartbeatAt: number | null;
  readonly finishedAt: number | null;
}

const columns =
  'id, kind, state, node, step, done, total, backup_id, detail, requested_by, queued_at, started_at, ' +
  'heartbeat_at, finished_at';
const numberOrNull = (v: unknown) => (v === null || v === undefined ? null : toNumber(v));
const textOrNull = (v: unknown) => (v === null || v === undefined ? null : String(v));

function jobOf(row: Record<string, unknown>): BackupJob {
  return {
    id: String(row.id),
    kind: String(row.kind) as BackupJobKind,
    state: String(row.state) as BackupJobState,
    node: textOrNull(row.node),
    step: textOrNull(row.step),
    done: toNumber(row.done),
    total: toNumber(row.total),
    backupId: textOrNull(row.backup_id),
    detail: textOrNull(row.detail),
    requestedBy: String(row.requested_by),
    queuedAt: toNumber(row.queued_at),
    startedAt: numberOrNull(row.started_at),
    heartbeatAt: numberOrNull(row.heartbeat_at),
    finishedAt: numberOrNull(row.finished_at),
  };
}

export async function queueBackupJob(
  q: Queryable,
  kind: BackupJobKind,
  requestedBy: string,
  now: number,
): Promise<BackupJob> {
  const id = newId('bkj', now);
  await q.run('INSERT INTO backup_jobs (id, kind, state, requested_by, queued_at) VALUES (?, ?, ?, ?, ?)', [
    id,
    kind,
    'queued',
    requestedBy,
    now,
  ]);
  return (await backupJobById(q, id)) as BackupJob;
}

/** Moves a queued job to running on `node`; false when another node took it first. */
export async function startBackupJob(q: Queryable, id: string, node: string, now: number): Promise<boolean> {
  const changed = await q.run(
    `UPDATE backup_jobs SET state = 'running', node = ?, started_at = ?, heartbeat_at = ?
     WHERE id = ? AND state = 'queued'`,
    [node, now, now, id],
  );
  return changed === 1;
}

export async function recordBackupProgress(
  q: Queryable,
  id: string,
  step: string,
  done: number,
  total: number,
  now: number,
): Promise<void> {
  await q.run(
    "UPDATE backup_jobs SET step = ?, done = ?, total = ?, heartbeat_at = ? WHERE id = ? AND state = 'running'",
    [step, done, total, now, id],
  );
}

export async function finishBackupJob(
  q: Queryable,
  id: string,
  outcome: { ok: boolean; backupId: string | null; detail: string },
  now: number,
): Promise<void> {
  await q.run(
    `UPDATE backup_jobs SET state = ?, backup_id = ?, detail = ?, finished_at = ?, heartbeat_at = ?
     WHERE id = ? AND state = 'running'`,
    [outcome.ok ? 'succeeded' : 'failed', outcome.backupId, outcome.detail.slice(0, 2000), now, now, id],
  );
}

/** Ends running jobs whose node stopped beating: they never finish on their own. */
export async function failAbandonedJobs(q: Queryable, now: number): Promise<number> {
  return q.run(
    `UPDATE backup_jobs SET state = 'failed', detail = 'abandoned: its node stopped before finishing', finished_at = ?
     WHERE state = 'running' AND heartbeat_at < ?`,
    [now, now - jobHeartbeatStaleMs],
  );
}

export async function backupJobById(q: Queryable, id: string): Promise<BackupJob | undefined> {
  const row = await q.get(`SELECT ${columns} FROM backup_jobs WHERE id = ?`, [id]);
  return row === undefined ? undefined : jobOf(row);
}

/** Newest first. */
export async function listBackupJobs(q: Queryable, limit: number): Promise<BackupJob[]> {
  return (await q.all(`SELECT ${columns} FROM backup_jobs ORDER BY queued_at DESC, id DESC LIMIT ?`, [limit])).map(
    jobOf,
  );
}

export async function oldestQueuedJob(q: Queryable): Promise<BackupJob | undefined> {
  // Queued together, backups run before a restore test, so the test restores the newest.
  const order = "queued_at, CASE kind WHEN 'test' THEN 1 ELSE 0 END, id";
  const row = await q.get(`SELECT ${columns} FROM backup_jobs WHERE state = 'queued' ORDER BY ${order} LIMIT 1`, []);
  return row === undefined ? undefined : jobOf(row);
}

/** When a job of `kind` last started (or was queued), for the schedule; undefined if never. */
export async function lastJobOf(q: Queryable, kind: BackupJobKind): Promise<BackupJob | undefined> {
  const row = await q.get(
    `SELECT ${columns} FROM backup_jobs WHERE kind = ? ORDER BY queued_at DESC, id DESC LIMIT 1`,
    [kind],
  );
  return row === undefined ? undefined : jobOf(row);
}
