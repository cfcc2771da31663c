// WAL checkpoints off the committing thread. In WAL mode a commit is durable once the WAL is
// fsynced; copying WAL pages back into the database file (a checkpoint) is housekeeping, but by
// default SQLite does it inside whichever commit crosses 1,000 pages — on the event loop, in the
// middle of a batch. A worker thread with its own connection runs PASSIVE checkpoints instead
// (they never block writers); the main connection keeps a high auto-checkpoint as a safety net in
// case the worker falls behind or dies.
import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';

const workerSource = `
const { workerData, parentPort } = require('node:worker_threads');
const Database = require(workerData.modulePath);
const db = new Database(workerData.path);
db.pragma('busy_timeout = 1000');
const timer = setInterval(() => {
  try { db.pragma('wal_checkpoint(PASSIVE)'); } catch { /* busy: the next tick tries again */ }
}, workerData.intervalMs);
parentPort.on('message', () => { clearInterval(timer); db.close(); parentPort.close(); });
`;

/** Pages the WAL may hold before a commit checkpoints by itself (about 256 MB with 4 KiB pages). */
export const safetyNetCheckpointPages = 65_536;

export interface BackgroundCheckpointer {
  stop(): Promise<void>;
}

export function startBackgroundCheckpointer(path: string, intervalMs = 200): BackgroundCheckpointer {
  const modulePath = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(workerSource, { eval: true, workerData: { path, intervalMs, modulePath } });
  worker.unref();
  // A failed worker only costs speed: the safety-net auto-checkpoint still bounds the WAL.
  worker.on('error', () => undefined);
  return {
    async stop() {
      // Unreferenced while running (it must not keep a process alive), but waited for while stopping.
      worker.ref();
      const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
      worker.postMessage('stop');
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([exited, new Promise((resolve) => (timer = setTimeout(resolve, 2_000)))]);
      clearTimeout(timer);
      await worker.terminate();
    },
  };
}
