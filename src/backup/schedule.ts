// Backups scheduled in the server (issue 14): each node ticks; the one holding the `backup:jobs`
// lease queues what is due (per kind, by the last job of that kind in the store, so a restart or a
// new leader keeps the rhythm), then runs queued jobs one at a time — operators' requests included —
// renewing the lease and the job's heartbeat while it runs. Each run ends in its job row and in the
// audit log (`backup.<kind>`, `backup.test`), where the self-assessment reads freshness from.
import { appendAudit } from '../audit/index.ts';
import { acquireLease, type Store } from '../store/index.ts';
import {
  backupJobKinds,
  failAbandonedJobs,
  finishBackupJob,
  lastJobOf,
  oldestQueuedJob,
  queueBackupJob,
  recordBackupProgress,
  startBackupJob,
  type BackupJob,
  type BackupJobKind,
} from './jobs.ts';
import type { BackupKind } from './manifest.ts';

export type Progress = (step: string, done: number, total: number) => void;

export interface JobResult {
  readonly ok: boolean;
  readonly backupId: string | null;
  /** Counts and names only (pages, bytes, problems): it goes to the audit log and the API. */
  readonly detail: Readonly<Record<string, unknown>>;
}

/** What a store's backups are made with: the page archives (SQLite) or pgBackRest (PostgreSQL). */
export interface BackupRunner {
  backup(kind: BackupKind, progress: Progress): Promise<JobResult>;
  test(progress: Progress): Promise<JobResult>;
}

export interface ScheduleOptions {
  /** ms between jobs of each kind; 0 = not scheduled (operators may still queue one). */
  readonly intervals: Readonly<Record<BackupJobKind, number>>;
  readonly node: string;
  readonly clock: () => number;
  readonly tickMs?: number;
  readonly leaseTtlMs?: number;
  readonly onError: (error: unknown) => void;
}

export const backupLeaseName = 'backup:jobs';

export interface BackupSchedule {
  /** One pass: queue what is due and run queued jobs (tests call it directly). */
  tick(): Promise<void>;
  stop(): Promise<void>;
}

async function queueDue(store: Store, options: ScheduleOptions, now: number): Promise<void> {
  for (const kind of backupJobKinds) {
    const every = options.intervals[kind];
    if (every <= 0) continue;
    const last = await lastJobOf(store, kind);
    if (last !== undefined && (last.state === 'queued' || now - last.queuedAt < every)) continue;
    await queueBackupJob(store, kind, 'schedule', now);
  }
}

/** Runs one job to its end: progress at most once a second, the lease and heartbeat renewed meanwhile. */
async function runJob(store: Store, runner: BackupRunner, options: ScheduleOptions, job: BackupJob): Promise<void> {
  const { clock, node } = options;
  const ttl = options.leaseTtlMs ?? 60_000;
  let written = 0;
  let pending: Promise<void> = Promise.resolve();
  const progress: Progress = (step, done, total) => {
    const now = clock();
    if (now - written < 1_000 && done < total) return;
    written = now;
    pending = pending.then(() => recordBackupProgress(store, job.id, step, done, total, now)).catch(options.onError);
  };
  const renew = setInterval(
    () => {
      const now = clock();
      acquireLease(store, { name: backupLeaseName, holder: node, ttlMs: ttl, now }).catch(options.onError);
      pending = pending.then(() => recordBackupProgress(store, job.id, 'running', 0, 0, now)).catch(options.onError);
    },
    Math.max(1_000, Math.floor(ttl / 3)),
  );
  let result: JobResult;
  try {
    result = job.kind === 'test' ? await runner.test(progress) : await runner.backup(job.kind, progress);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    result = { ok: false, backupId: null, detail: { problem: message.slice(0, 500) } };
  } finally {
    clearInterval(renew);
  }
  await pending;
  const now = clock();
  await store.transaction(async (tx) => {
    await finishBackupJob(
      tx,
      job.id,
      { ok: result.ok, backupId: result.backupId, detail: JSON.stringify(result.detail) },
      now,
    );
    const action = job.kind === 'test' ? 'backup.test' : `backup.${job.kind}`;
    const details = {
      job: job.id,
      requestedBy: job.requestedBy,
      ...result.detail,
      ...(result.backupId === null ? {} : { backupId: result.backupId }),
    };
    await appendAudit(
      tx,
      [
        {
          actorType: 'system',
          actorId: `node:${node}`.slice(0, 200),
          action,
          target: result.backupId ?? job.id,
          outcome: result.ok ? 'success' : 'failure',
          details,
        },
      ],
      now,
    );
  });
}

export function startBackupSchedule(store: Store, runner: BackupRunner, options: ScheduleOptions): BackupSchedule {
  let busy: Promise<void> | undefined;
  const pass = async () => {
    const now = options.clock();
    const ttl = options.leaseTtlMs ?? 60_000;
    if (!(await acquireLease(store, { name: backupLeaseName, holder: options.node, ttlMs: ttl, now }))) return;
    await failAbandonedJobs(store, now);
    await queueDue(store, options, now);
    for (let job = await oldestQueuedJob(store); job !== undefined; job = await oldestQueuedJob(store)) {
      if (!(await startBackupJob(store, job.id, options.node, options.clock()))) continue;
      await runJob(store, runner, options, job);
    }
  };
  const tick = async () => {
    if (busy !== undefined) return busy;
    busy = pass().finally(() => {
      busy = undefined;
    });
    return busy;
  };
  const timer = setInterval(() => {
    tick().catch(options.onError);
  }, options.tickMs ?? 30_000);
  timer.unref();
  // The first pass soon after start, not a whole interval later (a restarted node catches up).
  const first = setTimeout(
    () => {
      tick().catch(options.onError);
    },
    Math.min(options.tickMs ?? 30_000, 5_000),
  );
  first.unref();
  return {
    tick,
    async stop() {
      clearInterval(timer);
      clearTimeout(first);
      await busy?.catch(() => undefined);
    },
  };
}
