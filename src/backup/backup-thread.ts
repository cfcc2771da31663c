// Runs a SQLite backup in a worker thread, so the API process that schedules it keeps answering while
// pages are copied, compressed and sealed (the snapshot, hashing and sealing are synchronous work).
// The thread gets plain data only and loads the KEK from the same source the process did; a KEK
// given as a value travels in memory to a thread of the same process, never to a file or a log.
import { Worker } from 'node:worker_threads';
import type { Config } from '../config.ts';
import type { ProfileName } from '../crypto/index.ts';
import { BackupError, type BackupErrorCode } from './errors.ts';
import type { BackupKind, BackupManifest } from './manifest.ts';

export interface BackupThreadRequest {
  readonly sqlitePath: string;
  /** How the thread loads the KEK itself, as the process did (the file, or the value it was given). */
  readonly kekConfig: Pick<Config, 'environment' | 'dataDir' | 'kekFile'> & { readonly kekText: string | undefined };
  readonly profile: ProfileName;
  readonly targets: readonly { readonly name: string; readonly dir: string }[];
  readonly kind: BackupKind;
  readonly suffix: string;
}

type Message =
  | { type: 'progress'; step: string; done: number; total: number }
  | { type: 'done'; manifest: BackupManifest }
  | { type: 'failed'; code: BackupErrorCode | null; detail: string };

export function takeBackupInThread(
  request: BackupThreadRequest,
  progress?: (step: string, done: number, total: number) => void,
): Promise<BackupManifest> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./backup-thread-entry.mjs', import.meta.url), { workerData: request });
    let settled = false;
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      outcome();
    };
    worker.on('message', (message: Message) => {
      if (message.type === 'progress') progress?.(message.step, message.done, message.total);
      else if (message.type === 'done') settle(() => resolve(message.manifest));
      else
        settle(() =>
          reject(message.code === null ? new Error(message.detail) : new BackupError(message.code, message.detail)),
        );
    });
    worker.on('error', (error) => settle(() => reject(error)));
    worker.on('exit', (code) => settle(() => reject(new Error(`the backup thread exited with ${code}`))));
  });
}
