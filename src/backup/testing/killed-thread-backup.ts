// Test child: starts a full backup in a worker thread and SIGKILLs the whole process as soon as the
// thread reports that the snapshot has begun — a power cut in the middle of a scheduled backup.
import { join } from 'node:path';
import { takeBackupInThread } from '../index.ts';

const dir = process.env.DIR ?? '';
await takeBackupInThread(
  {
    sqlitePath: join(dir, 'anfu.db'),
    kekConfig: { environment: 'test', dataDir: dir, kekFile: undefined, kekText: process.env.KEK },
    profile: 'intl',
    targets: [{ name: 'primary', dir: join(dir, 'backups') }],
    kind: 'full',
    suffix: 'killed',
  },
  (step) => {
    if (step === 'snapshot' || step === 'pages') process.kill(process.pid, 'SIGKILL');
  },
);
process.exit(3);
