// The backup worker thread: rebuilds the backup context from plain data (the KEK from its source, the
// targets from their folders), takes the backup, and posts progress and the manifest to its parent.
import { parentPort, workerData } from 'node:worker_threads';
import { SecretValue } from '../config.ts';
import { cryptoProfile, loadKek } from '../crypto/index.ts';
import { takeBackup } from './take-backup.ts';
import { directoryTarget } from './targets.ts';
import type { BackupThreadRequest } from './backup-thread.ts';
import { BackupError } from './errors.ts';

const request = workerData as BackupThreadRequest;
const port = parentPort;
if (port === null) throw new Error('the backup worker runs in a worker thread');
const { kekText } = request.kekConfig;
try {
  const [first, ...rest] = request.targets.map((t) => directoryTarget(t.name, t.dir));
  if (first === undefined) throw new Error('no backup target');
  const manifest = await takeBackup(
    {
      sqlitePath: request.sqlitePath,
      kek: loadKek({ ...request.kekConfig, kek: kekText === undefined ? undefined : new SecretValue(kekText) }),
      profile: cryptoProfile(request.profile),
      targets: [first, ...rest],
      clock: Date.now,
      randomSuffix: () => request.suffix,
      progress: (step, done, total) => port.postMessage({ type: 'progress', step, done, total }),
    },
    request.kind,
  );
  port.postMessage({ type: 'done', manifest });
} catch (error) {
  const failure =
    error instanceof BackupError
      ? { code: error.code, detail: error.detail ?? error.message }
      : { code: null, detail: error instanceof Error ? error.message : String(error) };
  port.postMessage({ type: 'failed', ...failure });
}
