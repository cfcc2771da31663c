// `anfu backup jobs [--watch]` and `anfu backup queue KIND`: the server's backup jobs from the store —
// the recent ones, and with --watch the running job's progress on the terminal until nothing is left
// queued or running; `queue` asks the server (whichever node holds the backup lease) to run one now.
import { appendAudit } from '../audit/index.ts';
import { backupJobKinds, listBackupJobs, queueBackupJob, type BackupJob, type BackupJobKind } from '../backup/index.ts';
import type { Config } from '../config.ts';
import { withStore } from './with-store.ts';

const print = (text: string): void => void process.stdout.write(`${text}\n`);

function line(job: BackupJob): string {
  const progress =
    job.total > 0 ? ` ${Math.floor((job.done / job.total) * 100)}% (${job.step ?? ''} ${job.done}/${job.total})` : '';
  const when = new Date(job.startedAt ?? job.queuedAt).toISOString().slice(0, 19);
  const outcome = `${job.backupId ?? ''} ${job.detail ?? ''}`;
  return `${job.id}  ${job.kind.padEnd(12)} ${job.state.padEnd(9)} ${when}${progress}  ${outcome}`;
}

function bar(job: BackupJob): string {
  const share = job.total > 0 ? job.done / job.total : 0;
  const filled = Math.round(share * 30);
  const drawn = `${'#'.repeat(filled)}${'.'.repeat(30 - filled)}`;
  return `\r${job.kind} [${drawn}] ${Math.floor(share * 100)}% ${job.step ?? ''}   `;
}

export async function backupJobsCommand(config: Config, watch: boolean): Promise<number> {
  return withStore(config, async (store) => {
    for (const job of (await listBackupJobs(store, 20)).reverse()) print(line(job));
    if (!watch) return 0;
    for (;;) {
      const active = (await listBackupJobs(store, 20)).filter((j) => j.state === 'running' || j.state === 'queued');
      const running = active.find((j) => j.state === 'running');
      if (running !== undefined) process.stderr.write(bar(running));
      if (active.length === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
    process.stderr.write('\n');
    const last = (await listBackupJobs(store, 1))[0];
    if (last !== undefined) print(line(last));
    return last?.state === 'failed' ? 1 : 0;
  });
}

export async function queueBackupCommand(config: Config, kind: string | undefined): Promise<number> {
  if (!(backupJobKinds as readonly string[]).includes(kind ?? '')) {
    print(`usage: anfu backup queue ${backupJobKinds.join('|')}`);
    return 2;
  }
  return withStore(config, async (store) => {
    const now = Date.now();
    const job = await store.transaction(async (tx) => {
      const queued = await queueBackupJob(tx, kind as BackupJobKind, 'cli', now);
      const entry = { actorType: 'system' as const, actorId: 'cli', action: 'backup.request', target: queued.id };
      await appendAudit(tx, [{ ...entry, outcome: 'success', details: { kind } }], now);
      return queued;
    });
    print(`${job.id} queued: the server runs it within its next tick (anfu backup jobs --watch)`);
    return 0;
  });
}
