// "Test recovery" (guideline §8.3): restore the newest backup into a scratch directory, verify it as
// a real restore would, and throw the scratch copy away. The caller records the result.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { restoreBackup, type RestoreReport } from './restore-backup.ts';
import type { BackupContext } from './take-backup.ts';

export async function testRestore(ctx: BackupContext, publicKeyPem: string | undefined): Promise<RestoreReport> {
  const scratch = mkdtempSync(join(tmpdir(), 'anfu-restore-test-'));
  try {
    return await restoreBackup(ctx, { latest: true }, join(scratch, 'restored.db'), publicKeyPem);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
