// Typed failures of backups and restores. Messages name the archive and what is wrong with it, never
// key material or the data inside.
import { AnfuError } from '../errors.ts';

export type BackupErrorCode =
  | 'backup_archive_corrupt'
  | 'backup_manifest_invalid'
  | 'backup_chain_broken'
  | 'backup_target_unusable'
  | 'backup_not_found'
  | 'restore_verification_failed';

export class BackupError extends AnfuError {
  declare readonly code: BackupErrorCode;

  constructor(code: BackupErrorCode, detail: string) {
    super(code, detail);
    this.name = 'BackupError';
  }
}
