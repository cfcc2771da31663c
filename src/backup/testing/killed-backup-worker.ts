// Test worker: starts an incremental backup and kills itself with SIGKILL once every row is staged
// but before anything is committed, as a power cut or an OOM kill would.
import { join } from 'node:path';
import { cryptoProfile, Kek } from '../../crypto/index.ts';
import { directoryTarget, takeBackup } from '../index.ts';

const dir = process.env.DIR ?? '';
const kek = new Kek(Buffer.from(process.env.KEK ?? '', 'base64'), 'test');
await takeBackup(
  {
    sqlitePath: join(dir, 'anfu.db'),
    kek,
    profile: cryptoProfile('intl'),
    targets: [directoryTarget('primary', join(dir, 'backups'))],
    clock: Date.now,
    randomSuffix: () => 'killed',
    progress: (step, done, total) => {
      if ((step === 'pages' || step === 'rows') && done === total) process.kill(process.pid, 'SIGKILL');
    },
  },
  'incremental',
);
process.exit(3);
