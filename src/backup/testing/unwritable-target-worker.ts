// Test worker, run as an unprivileged user: asks for a backup target in a folder it may not write
// and prints the error code it gets back.
import { BackupError, directoryTarget } from '../index.ts';

try {
  directoryTarget('primary', process.env.TARGET ?? '');
  process.stdout.write('accepted\n');
} catch (error) {
  process.stdout.write(`${error instanceof BackupError ? error.code : String(error)}\n`);
}
