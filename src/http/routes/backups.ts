// Backup jobs in the operator API: the recent jobs with their progress (a running job shows its step
// and pages done), one job, and a request for a job now (run by whichever node holds the backup lease).
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { Type, type Static } from 'typebox';
import type { Permission } from '../../access/index.ts';
import { appendAudit } from '../../audit/index.ts';
import {
  backupJobById,
  backupJobKinds,
  jobHeartbeatStaleMs,
  listBackupJobs,
  queueBackupJob,
  type BackupJob,
} from '../../backup/index.ts';
import { AnfuError } from '../../errors.ts';
import type { AppContext } from '../context.ts';
import { Id, Nullable, operatorSecurity as security, problemResponses } from '../schemas.ts';
import { actorOf } from '../operator-auth.ts';

const errors = problemResponses(400, 401, 403, 404, 409);
const JobView = Type.Object({
  id: Type.String(),
  kind: Type.String({ enum: [...backupJobKinds] }),
  state: Type.String({ enum: ['queued', 'running', 'succeeded', 'failed', 'abandoned'] }),
  node: Nullable(Type.String()),
  step: Nullable(Type.String()),
  done: Type.Number(),
  total: Type.Number(),
  percent: Nullable(Type.Number()),
  backupId: Nullable(Type.String()),
  detail: Nullable(Type.String()),
  requestedBy: Type.String(),
  queuedAt: Type.String(),
  startedAt: Nullable(Type.String()),
  finishedAt: Nullable(Type.String()),
});
const JobId = Type.Object({ jobId: Id('bkj') });
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function jobView(job: BackupJob, now: number) {
  const abandoned = job.state === 'running' && (job.heartbeatAt ?? 0) < now - jobHeartbeatStaleMs;
  return {
    id: job.id,
    kind: job.kind,
    state: abandoned ? 'abandoned' : job.state,
    node: job.node,
    step: job.step,
    done: job.done,
    total: job.total,
    percent: job.total > 0 ? Math.floor((job.done / job.total) * 100) : null,
    backupId: job.backupId,
    detail: job.detail,
    requestedBy: job.requestedBy,
    queuedAt: new Date(job.queuedAt).toISOString(),
    startedAt: iso(job.startedAt),
    finishedAt: iso(job.finishedAt),
  };
}

const tags = ['operations'];
const route = (permission: Permission, summary: string, schema: Record<string, unknown>) => ({
  config: { auth: 'operator' as const, permission },
  schema: { tags, security, summary, ...schema },
});
const QueueBody = Type.Object({ kind: Type.String({ enum: [...backupJobKinds] }) }, { additionalProperties: false });

export function backupRoutes(context: AppContext): FastifyPluginAsync {
  const { store, clock, config } = context;
  const schedule = {
    full: config.backupFullIntervalMs,
    incremental: config.backupIncrementalIntervalMs,
    differential: config.backupDifferentialIntervalMs,
    test: config.backupTestIntervalMs,
  };
  const queue = async (request: FastifyRequest, kind: BackupJob['kind']) => {
    const actor = actorOf(request);
    const by = actor.principal?.id ?? null;
    const now = clock();
    const job = await store.transaction(async (tx) => {
      const queued = await queueBackupJob(tx, kind, by ?? 'operator', now);
      const entry = { actorType: 'operator' as const, actorId: by, ip: actor.ip, action: 'backup.request' };
      await appendAudit(tx, [{ ...entry, target: queued.id, outcome: 'success', details: { kind } }], now);
      return queued;
    });
    return jobView(job, now);
  };
  return async (app) => {
    const list = Type.Object({ schedule: Type.Record(Type.String(), Type.Number()), items: Type.Array(JobView) });
    const listSummary = 'Backup jobs, newest first, with progress, and the schedule (ms; 0 = off)';
    app.get('/backups', route('backups.read', listSummary, { response: { 200: list, ...errors } }), async () => {
      const now = clock();
      return { schedule, items: (await listBackupJobs(store, 50)).map((job) => jobView(job, now)) };
    });
    const one = { params: JobId, response: { 200: JobView, ...errors } };
    app.get('/backups/jobs/:jobId', route('backups.read', 'One backup job and its progress', one), async (request) => {
      const job = await backupJobById(store, (request.params as Static<typeof JobId>).jobId);
      if (job === undefined) throw new AnfuError('backup_job_not_found');
      return jobView(job, clock());
    });
    const queueSummary = 'Queue a backup or restore test now (run by the node holding the backup lease)';
    const queueSchema = { body: QueueBody, response: { 202: JobView, ...errors } };
    app.post('/backups/jobs', route('backups.run', queueSummary, queueSchema), async (request, reply) =>
      reply.status(202).send(await queue(request, (request.body as { kind: BackupJob['kind'] }).kind)));
  };
}
