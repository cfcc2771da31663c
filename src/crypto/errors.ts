// Typed failures of the crypto capability. Messages never carry key material or plaintext.
import { AnfuError } from '../errors.ts';

export type CryptoErrorCode =
  | 'crypto_decrypt_failed'
  | 'crypto_malformed_key'
  | 'crypto_unknown_algorithm'
  | 'crypto_key_mismatch'
  | 'crypto_unsupported_parameter';

export class CryptoError extends AnfuError {
  declare readonly code: CryptoErrorCode;

  constructor(code: CryptoErrorCode, detail?: string) {
    super(code, detail);
    this.name = 'CryptoError';
  }
}

/** Runs `operation`; any non-CryptoError failure (OpenSSL, parsing) becomes `code`, so callers see one type. */
export function asCryptoError<T>(code: CryptoErrorCode, detail: string, operation: () => T): T {
  try {
    return operation();
  } catch (error) {
    if (error instanceof CryptoError) throw error;
    throw new CryptoError(code, detail);
  }
}
