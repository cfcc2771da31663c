// One registry of every stable outcome code the product can return. Expected outcomes are values
// (a closed union at each use case); this registry is how the HTTP edge renders them as RFC 9457
// problem+json. A code thrown but not registered fails a test (src/errors.test.ts).

export interface ProblemDefinition {
  readonly status: number;
  readonly title: string;
}

export const problems = {
  // request shape
  validation_failed: { status: 400, title: 'The request does not match the schema' },
  malformed_json: { status: 400, title: 'The request body is not valid JSON' },
  unsupported_media_type: { status: 415, title: 'The request body must be application/json' },
  body_too_large: { status: 413, title: 'The request body is larger than allowed' },
  not_found: { status: 404, title: 'No such resource' },
  method_not_allowed: { status: 405, title: 'Method not allowed' },
  rate_limited: { status: 429, title: 'Too many requests' },
  internal_error: { status: 500, title: 'Internal error' },
  not_ready: { status: 503, title: 'The service is not ready' },

  // authentication and authorisation
  unauthenticated: { status: 401, title: 'Missing or invalid credentials' },
  forbidden: { status: 403, title: 'Not allowed for this principal' },

  // money
  invalid_amount: { status: 422, title: 'The amount is not a valid amount of money' },
  amount_too_large: { status: 422, title: 'The amount exceeds the configured maximum' },
  unknown_currency: { status: 422, title: 'Unknown or unsupported ISO 4217 currency' },

  // ledger
  account_not_found: { status: 404, title: 'No such account' },
  account_exists: { status: 409, title: 'An account with this code already exists' },
  currency_mismatch: { status: 422, title: 'The currencies of the accounts and amount differ' },
  same_account: { status: 422, title: 'Debit and credit accounts must differ' },
  funding_source_invalid: { status: 422, title: 'Funding must come from a bank settlement account' },
  insufficient_funds: { status: 422, title: 'The debit account lacks the available balance' },
  account_closed: { status: 422, title: 'The account is closed' },
  idempotency_conflict: { status: 409, title: 'The idempotency key was used with a different request' },
  hold_not_found: { status: 404, title: 'No such hold' },
  hold_not_pending: { status: 409, title: 'The hold was already posted, voided or expired' },
  hold_expired: { status: 409, title: 'The hold has expired' },
  post_exceeds_hold: { status: 422, title: 'The amount to post exceeds the amount held' },
  invalid_cursor: { status: 400, title: 'The pagination cursor is not valid' },

  // cryptography (src/crypto): never says which check failed, so an attacker learns nothing more
  crypto_decrypt_failed: { status: 422, title: 'The ciphertext could not be authenticated or decrypted' },
  crypto_malformed_key: { status: 400, title: 'The key is not a well-formed key of a supported kind' },
  crypto_unknown_algorithm: { status: 400, title: 'Unknown algorithm, or one this crypto profile does not offer' },
  crypto_key_mismatch: { status: 422, title: 'The key does not fit this operation or algorithm' },
  crypto_unsupported_parameter: { status: 400, title: 'A parameter of the operation is outside what is supported' },
} as const satisfies Record<string, ProblemDefinition>;

export type ProblemCode = keyof typeof problems;

/** An expected failure with a stable code. Never carries secrets or personal data in `detail`. */
export class AnfuError extends Error {
  readonly code: ProblemCode;
  readonly detail: string | undefined;
  readonly extra: Readonly<Record<string, unknown>> | undefined;

  constructor(code: ProblemCode, detail?: string, extra?: Record<string, unknown>) {
    super(detail === undefined ? code : `${code}: ${detail}`);
    this.name = 'AnfuError';
    this.code = code;
    this.detail = detail;
    this.extra = extra;
  }

  get status(): number {
    return problems[this.code].status;
  }
}

export function isProblemCode(code: string): code is ProblemCode {
  return Object.hasOwn(problems, code);
}
