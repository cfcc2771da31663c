// Typed failures of the keyring, the field protection and the card vault. Messages name settings,
// purposes and versions, never key material, plaintext, PANs or personal data.
import { AnfuError } from '../errors.ts';

export type KeyringErrorCode =
  | 'keyring_kek_missing'
  | 'keyring_kek_weak'
  | 'keyring_kek_mismatch'
  | 'keyring_kek_rotation_done'
  | 'keyring_unknown_purpose'
  | 'keyring_key_not_found'
  | 'keyring_key_retired'
  | 'keyring_key_in_use'
  | 'card_number_invalid'
  | 'card_token_not_found';

export class KeyringError extends AnfuError {
  declare readonly code: KeyringErrorCode;

  constructor(code: KeyringErrorCode, detail?: string) {
    super(code, detail);
    this.name = 'KeyringError';
  }
}
