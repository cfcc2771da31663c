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
  web_not_built: { status: 503, title: 'The web apps are not built (npm run build:web)' },
  store_unavailable: { status: 503, title: 'The database cannot make the write durable now; retry with the same key' },

  // authentication and authorisation
  unauthenticated: { status: 401, title: 'Missing or invalid credentials' },
  forbidden: { status: 403, title: 'Not allowed for this principal' },

  // operator access (src/access): login, maker–checker, incidents
  operator_login_failed: { status: 401, title: 'The name, password or one-time code is not valid' },
  mfa_required: { status: 403, title: 'This action needs an interactive operator session (password and TOTP)' },
  operator_exists: { status: 409, title: 'An operator with this name already exists' },
  administrator_exists: {
    status: 409,
    title: 'An administrator exists already; add others by an approved role change',
  },
  operator_not_found: { status: 404, title: 'No such operator' },
  proposal_not_found: { status: 404, title: 'No such proposal' },
  proposal_not_pending: { status: 409, title: 'The proposal was already decided' },
  proposal_expired: { status: 409, title: 'The proposal expired before it was decided' },
  proposal_self_approval: { status: 403, title: 'The proposer of an action cannot approve or reject it' },
  proposal_self_target: { status: 403, title: 'An operator cannot propose a change to their own access' },
  proposal_related_approval: {
    status: 403,
    title: 'An operator cannot decide a proposal of the operator who created them, or of one they created',
  },
  enrolment_code_invalid: { status: 401, title: 'The enrolment code is not valid, was used, or expired' },
  enrolment_totp_invalid: { status: 422, title: 'The one-time code does not match the authenticator secret' },
  operator_enrolled: { status: 409, title: 'The operator has enrolled already' },
  operator_not_active: { status: 409, title: 'The operator has not enrolled, has no granted role, or is disabled' },
  token_not_found: { status: 404, title: 'No such operator API token' },
  adjustment_required: {
    status: 403,
    title: "Operators move money directly only between the platform's own accounts; propose a ledger.adjustment",
  },
  proposal_kind_unknown: { status: 422, title: 'No such kind of proposal' },
  proposal_payload_invalid: { status: 422, title: 'The proposal payload is not valid for its kind' },
  security_event_not_found: { status: 404, title: 'No such security event' },
  incident_not_found: { status: 404, title: 'No such incident' },
  incident_closed: { status: 409, title: 'The incident is closed' },

  // money
  invalid_amount: { status: 422, title: 'The amount is not a valid amount of money' },
  amount_too_large: { status: 422, title: 'The amount exceeds the configured maximum' },
  unknown_currency: { status: 422, title: 'Unknown or unsupported ISO 4217 currency' },
  currency_not_enabled: { status: 422, title: 'The platform does not move money in this currency' },

  // ledger
  account_not_found: { status: 404, title: 'No such account' },
  account_exists: { status: 409, title: 'An account with this code already exists' },
  currency_mismatch: { status: 422, title: 'The currencies of the accounts and amount differ' },
  same_account: { status: 422, title: 'Debit and credit accounts must differ' },
  funding_source_invalid: { status: 422, title: 'Funding must come from a bank settlement account' },
  linked_transfer_failed: { status: 422, title: 'Another transfer of the linked set was refused, so none was applied' },
  insufficient_funds: { status: 422, title: 'The debit account lacks the available balance' },
  account_closed: { status: 422, title: 'The account is closed' },
  idempotency_conflict: { status: 409, title: 'The idempotency key was used with a different request' },
  hold_not_found: { status: 404, title: 'No such hold' },
  hold_not_pending: { status: 409, title: 'The hold was already posted, voided or expired' },
  hold_expired: { status: 409, title: 'The hold has expired' },
  post_exceeds_hold: { status: 422, title: 'The amount to post exceeds the amount held' },
  account_totals_overflow: { status: 422, title: "The transfer would take an account's totals past the 64-bit limit" },
  invalid_cursor: { status: 400, title: 'The pagination cursor is not valid' },

  // audit log (src/audit): proof requests outside the log
  audit_entry_not_found: { status: 404, title: 'No audit entry with this seq' },
  audit_tree_size_invalid: { status: 422, title: 'treeSize must lie between the entry and the size of the log' },
  audit_consistency_range_invalid: {
    status: 422,
    title: 'A consistency proof needs 1 ≤ first ≤ second ≤ the size of the log',
  },
  audit_proof_parameter_invalid: { status: 400, title: 'A proof parameter is not a positive decimal integer' },

  // cryptography (src/crypto): never says which check failed, so an attacker learns nothing more
  crypto_decrypt_failed: { status: 422, title: 'The ciphertext could not be authenticated or decrypted' },
  crypto_malformed_key: { status: 400, title: 'The key is not a well-formed key of a supported kind' },
  crypto_unknown_algorithm: { status: 400, title: 'Unknown algorithm, or one this crypto profile does not offer' },
  crypto_key_mismatch: { status: 422, title: 'The key does not fit this operation or algorithm' },
  crypto_unsupported_parameter: { status: 400, title: 'A parameter of the operation is outside what is supported' },

  // keyring and envelope encryption (src/crypto/keyring.ts): never names key material or plaintext
  keyring_kek_missing: { status: 500, title: 'No key-encryption key is configured' },
  keyring_kek_weak: { status: 500, title: 'The key-encryption key is malformed or too weak' },
  keyring_kek_mismatch: { status: 500, title: 'The key-encryption key does not match the stored data keys' },
  keyring_kek_rotation_done: {
    status: 500,
    title: 'No data key is wrapped by the previous key-encryption key any more',
  },
  keyring_unknown_purpose: { status: 400, title: 'Unknown data-key purpose' },
  keyring_key_not_found: { status: 422, title: 'The ciphertext names a data-key version that does not exist' },
  keyring_key_retired: { status: 422, title: 'The data-key version has been retired' },
  keyring_key_in_use: { status: 409, title: 'The data-key version is still referenced and cannot be retired' },

  // card data (src/crypto/token-vault.ts)
  card_number_invalid: { status: 422, title: 'The card number is not a valid PAN' },
  card_token_not_found: { status: 404, title: 'No such card token' },

  // customer identity (src/identity): login failures never say whether the phone number exists
  phone_number_invalid: { status: 422, title: 'The mobile phone number is not a valid mainland China number' },
  id_number_invalid: { status: 422, title: 'The resident ID number fails the GB 11643 checks' },
  name_invalid: { status: 422, title: 'The name is not a plausible legal name' },
  customer_underage: { status: 422, title: 'The customer must be an adult to open a wallet' },
  identity_not_verified: { status: 422, title: 'No identity verification source confirmed the identity' },
  identity_mismatch: { status: 422, title: 'The name and resident ID number do not match the verification records' },
  provider_signature_invalid: { status: 401, title: 'The provider callback is not signed with the provider key' },
  identity_verification_unavailable: { status: 503, title: 'The identity provider did not answer; try again later' },
  identity_already_registered: { status: 409, title: 'This person already holds a wallet of this class' },
  phone_already_registered: { status: 409, title: 'This phone number already belongs to a wallet' },
  verification_source_unknown: { status: 422, title: 'Unknown identity verification source' },
  verification_failed: { status: 422, title: 'The verification source did not confirm the identity' },
  password_rejected: { status: 422, title: 'The password does not meet the password policy' },
  login_failed: { status: 401, title: 'The phone number or password is incorrect' },
  login_throttled: { status: 429, title: 'Too many failed attempts; wait before trying again' },
  login_denied: { status: 403, title: 'The login was refused by risk control' },
  challenge_invalid: { status: 401, title: 'The login challenge is unknown, expired or already used' },
  factor_not_acceptable: { status: 422, title: 'This factor is not acceptable for the challenge' },
  code_invalid: { status: 401, title: 'The code is wrong, expired or already used' },
  sms_throttled: { status: 429, title: 'A code was sent recently; wait before asking for another' },
  totp_already_enrolled: { status: 409, title: 'An authenticator app is already enrolled' },
  totp_not_enrolled: { status: 409, title: 'No authenticator app enrolment is pending' },
  passkey_failed: { status: 401, title: 'The passkey response could not be verified' },
  device_key_invalid: { status: 422, title: "The device public key is not a key of the deployment's profile" },
  device_certificate_invalid: { status: 401, title: 'The device certificate or signature is not valid' },
  device_revoked: { status: 401, title: 'The device has been revoked' },
  step_up_required: { status: 403, title: 'A stronger authentication is required for this action' },
  refresh_token_invalid: { status: 401, title: 'The refresh token is invalid, expired or was already used' },
  // customer-side controls (issue 9: step-up bounds, factor changes, public-surface throttles)
  step_up_exhausted: { status: 403, title: 'Too many step-up attempts; the payment was cancelled' },
  payee_lookup_throttled: { status: 429, title: 'Too many payee lookups; try again later' },
  collect_request_throttled: { status: 429, title: 'Too many requests for money today; try again tomorrow' },
  note_invalid: { status: 422, title: 'The note is too long or holds control or direction-changing characters' },

  // backups and restores (src/backup)
  backup_archive_corrupt: { status: 422, title: 'A backup archive is damaged: altered, reordered or cut off' },
  backup_manifest_invalid: { status: 422, title: 'A backup manifest is malformed or not authenticated by this KEK' },
  backup_chain_broken: { status: 422, title: 'A backup in the chain is missing or does not link to its parent' },
  backup_target_unusable: { status: 503, title: 'The backup target cannot be written (space or permission)' },
  backup_not_found: { status: 404, title: 'No backup matches the requested point in time or id' },
  restore_verification_failed: { status: 422, title: 'The restored database does not verify' },
  // operations (issue 14): self-assessment, operational reports, backup jobs
  assessment_not_found: { status: 404, title: 'No such self-assessment run' },
  attestation_invalid: {
    status: 400,
    title: 'The attestation names no known control, or its statement or validity is out of bounds',
  },
  report_range_invalid: { status: 400, title: 'The report range is invalid (from before to, ISO times, ≤ 400 days)' },
  backup_job_not_found: { status: 404, title: 'No such backup job' },

  // transport (src/http/client-certificate.ts)
  client_certificate_required: { status: 401, title: 'A client certificate issued by the platform CA is required' },

  // events and merchant webhooks (src/events)
  webhook_url_refused: {
    status: 422,
    title: 'The webhook URL is not allowed (scheme, credentials or a private address)',
  },
  webhook_endpoint_not_found: { status: 404, title: 'No such webhook endpoint' },
  webhook_endpoint_limit: { status: 409, title: 'The merchant has the most webhook endpoints allowed' },
  webhook_endpoint_disabled: { status: 409, title: 'The webhook endpoint is disabled' },
  webhook_delivery_not_found: { status: 404, title: 'No such webhook delivery' },
  webhook_delivery_not_dead: { status: 409, title: 'Only a dead-lettered delivery can be re-delivered' },

  // payments (src/payments, src/flows): signed instructions, state machine, limits, merchants, orders, refunds
  instruction_invalid: { status: 422, title: 'The payment instruction does not have the documented shape' },
  instruction_stale: { status: 401, title: 'The instruction timestamp is outside the allowed window' },
  instruction_replayed: { status: 409, title: 'This instruction nonce was already used' },
  signature_invalid: { status: 401, title: 'The instruction signature does not verify' },
  signature_check_unavailable: {
    status: 503,
    title: 'The signature could not be checked now (a server fault, not the signature); retry with the same key',
  },
  certificate_expired: { status: 401, title: 'The device certificate has expired or is not yet valid' },
  payment_not_found: { status: 404, title: 'No such payment' },
  payment_state_invalid: { status: 409, title: 'The payment cannot make this transition from its current state' },
  payment_denied: { status: 403, title: 'The payment was refused by risk control' },
  payment_rejected_in_review: {
    status: 403,
    title: 'A risk analyst rejected the payment held for review; the money is back',
  },
  payment_review_expired: {
    status: 403,
    title: 'Nobody decided the payment held for review in time; the money is back',
  },
  risk_denied: { status: 403, title: 'Refused by risk control' },
  review_hold_not_found: { status: 409, title: 'This payment is not held for review' },
  review_hold_pending: {
    status: 409,
    title: 'The payment is held for review: decide release_hold or reject_payment, not clear',
  },
  review_hold_resolved: { status: 409, title: 'The payment held for review was already resolved the other way' },
  limit_exceeded: { status: 422, title: 'The payment exceeds a limit of the account class or of the session' },
  payee_not_found: { status: 404, title: 'No such payee' },
  payee_is_payer: { status: 422, title: 'The payer and the payee are the same customer' },
  instruction_mismatch: { status: 422, title: 'The instruction does not match the request it is sent with' },
  merchant_not_found: { status: 404, title: 'No such merchant' },
  merchant_signature_invalid: {
    status: 401,
    title: 'The merchant request signature is missing, stale, replayed or wrong',
  },
  order_not_found: { status: 404, title: 'No such order' },
  order_expired: { status: 409, title: 'The order has expired' },
  challenge_expired: { status: 409, title: 'The payment waited too long for its step-up and has expired' },
  order_already_paid: { status: 409, title: 'The order is already paid or being paid' },
  order_exists: { status: 409, title: 'The merchant already has an order with this reference' },
  order_reference_conflict: {
    status: 409,
    title: 'The merchant reference names an order with another amount, currency or description',
  },
  refund_exceeds_payment: { status: 422, title: 'The refunds would exceed what was paid' },
  refund_not_found: { status: 404, title: 'No such refund' },
  collect_request_not_found: { status: 404, title: 'No such request for money' },
  collect_request_not_pending: { status: 409, title: 'The request for money is no longer pending' },
  card_not_found: { status: 404, title: 'No such card of this customer' },
  card_unverified: {
    status: 422,
    title:
      'The card has not been verified with its issuer: bind it again (account verification and the issuer’s one-time code)',
  },
  card_holder_mismatch: {
    status: 422,
    title: 'The issuer says the card does not belong to this customer (cardholder name or ID)',
  },
  card_security_code_invalid: { status: 422, title: 'The issuer refused the card security code (CVV2)' },
  card_otp_invalid: { status: 422, title: 'The issuer refused the one-time code; see attemptsRemaining' },
  card_otp_attempts_exhausted: {
    status: 422,
    title: 'Too many wrong one-time codes: this binding is closed, start again',
  },
  card_binding_not_found: { status: 404, title: 'No such card binding of this customer, or it has expired' },
  card_bound_elsewhere: { status: 409, title: 'This card is already bound to another customer’s wallet' },
  card_bind_attempts_exceeded: { status: 429, title: 'Too many card bindings in the last 24 hours' },
  card_declined: { status: 422, title: 'The card issuer declined the authorisation (see responseCode and meaning)' },
  card_issuer_unavailable: {
    status: 503,
    title: 'The card issuer did not answer; nothing was charged (any authorisation was reversed)',
  },
  payout_failed: { status: 422, title: 'The bank refused the payout; the amount is back in the wallet' },
  payout_not_paid: {
    status: 422,
    title: 'Operations found the bank did not pay this withdrawal; the amount is back in the wallet',
  },

  // risk engine (src/risk, docs/risk.md)
  risk_ruleset_invalid: {
    status: 422,
    title: 'The rule set is malformed, unsafe or conflicting (see problems); nothing changed',
  },
  risk_ruleset_stale: {
    status: 409,
    title: 'The rule set was written from a version that is no longer the running one',
  },
  risk_ruleset_not_found: { status: 404, title: 'No such rule set version' },
  risk_decision_not_found: { status: 404, title: 'No such risk decision' },
  // the codes of a refused rule set's problems (problems[].code of risk_ruleset_invalid)
  rule_syntax: { status: 422, title: 'The rule expression is malformed' },
  rule_unknown_feature: { status: 422, title: 'The rule names a feature that is unknown on one of its events' },
  rule_type: { status: 422, title: 'The rule compares values of different or unordered types' },
  rule_too_complex: { status: 422, title: 'The rule or rule set exceeds the language bounds' },
  ruleset_shape: { status: 422, title: 'A rule or typology field is missing or wrong' },
  ruleset_conflict: { status: 422, title: 'Rules or typologies of the set contradict each other' },

  // clearing and reconciliation (src/clearing, src/reconciliation; docs/banks.md)
  partner_not_found: { status: 404, title: 'No such clearing partner' },
  clearing_batch_not_found: { status: 404, title: 'No such clearing batch' },
  partner_exists: { status: 409, title: 'A clearing partner with this name and currency exists' },
  clearing_instruction_invalid: { status: 422, title: 'The transfer to a bank account is not valid' },
  clearing_posting_refused: { status: 422, title: 'The ledger refused a clearing posting; nothing was applied' },
  clearing_four_eyes_required: {
    status: 403,
    title: 'Moving customer money needs a second operator: propose it through the operator API',
  },
  bank_file_malformed: { status: 422, title: 'The bank file is not well-formed XML or CSV; nothing was imported' },
  bank_file_entities_refused: {
    status: 422,
    title: 'The bank file declares a DOCTYPE or entities (entity expansion, external entities); refused',
  },
  bank_file_too_large: { status: 413, title: 'The bank file, or one of its elements, is larger than allowed' },
  bank_file_schema_invalid: {
    status: 422,
    title: 'The bank file does not follow its ISO 20022 schema; nothing was imported',
  },
  bank_file_unsupported: { status: 422, title: 'Not a message of a kind and version Anfu reads' },
  bank_file_replayed: { status: 409, title: 'This bank file (same identity or same content) was imported already' },
  bank_file_wrong_account: { status: 422, title: "The bank file is for another account than this partner's" },
  bank_file_unknown_batch: {
    status: 422,
    title: 'The status report names a batch or a payment Anfu never sent to this partner',
  },
  bank_file_amount_precision: { status: 422, title: 'An amount has more decimals than its currency has' },
  break_not_found: { status: 404, title: 'No such reconciliation break' },
  break_resolved: { status: 409, title: 'The reconciliation break was resolved already' },
  // cases (src/cases): the shared case system; maker–checker on four-eyes decisions
  proposal_conflict_of_interest: {
    status: 403,
    title: 'The checker took part in the matter (opened the case); another operator must approve',
  },
  case_not_found: { status: 404, title: 'No such case' },
  case_closed: { status: 409, title: 'The case is closed' },
  case_already_decided: { status: 409, title: 'The case was already decided' },
  case_decision_unknown: { status: 422, title: 'The kind of this case has no such decision' },
  case_decision_pending: { status: 409, title: 'A decision on this case awaits a checker' },
  case_kind_unknown: { status: 422, title: 'No such kind of case is wired in' },
  case_status_invalid: { status: 409, title: 'The case is not in a status that allows this' },
  case_not_decided: { status: 409, title: 'Only a decided case can be closed' },

  // sanctions screening and AML (src/sanctions, src/aml)
  sanctions_hit: {
    status: 403,
    title: 'Refused: the name matches a sanctions or watch list; compliance reviews the case',
  },
  sanctions_lists_unavailable: { status: 503, title: 'No sanctions list is loaded, so the party cannot be screened' },
  sanctions_list_invalid: {
    status: 422,
    title: 'The list file is malformed or truncated; the lists in force are unchanged',
  },
  // Never says why (no tipping-off): the customer is told only that outgoing money is held.
  customer_frozen: {
    status: 403,
    title: 'Outgoing payments and withdrawals from this wallet are frozen pending a review',
  },
  // Said to the merchant (its orders and refunds) and to a paying customer alike; never why.
  merchant_frozen: {
    status: 403,
    title: 'This merchant is frozen pending a review: no order, payment to it, refund or payout is made',
  },
  sanctions_rescreen_not_found: { status: 404, title: 'No such re-screening run' },
  sanctions_lists_not_loaded: {
    status: 409,
    title: 'No sanctions list has been loaded yet: load the lists (anfu sanctions load), then search or re-screen',
  },
  aml_report_date_invalid: { status: 422, title: 'The report date must be a past or current day as YYYY-MM-DD' },
  aml_rating_not_found: { status: 404, title: 'The customer has no money-laundering risk rating (no such customer)' },
  aml_level_factors_invalid: {
    status: 422,
    title: 'The AML level factors are malformed (see problems); the factors in force are unchanged',
  },
  aml_level_factors_stale: {
    status: 409,
    title: 'The AML level factors were written from a version that is no longer the one in force',
  },
  aml_case_not_reportable: { status: 422, title: 'The case is not an AML or sanctions case, or it does not exist' },
  // customer service (src/support): complaints, claims, disputes, attachments
  payment_not_owned: { status: 403, title: 'The payment is not one of yours' },
  claim_exists: { status: 409, title: 'This payment already has an unauthorised-payment claim' },
  dispute_exists: { status: 409, title: 'This payment is already disputed' },
  dispute_not_disputable: { status: 422, title: 'Only a succeeded payment to a merchant can be disputed' },
  dispute_not_found: { status: 404, title: 'No such dispute' },
  dispute_deadline_passed: { status: 409, title: 'The deadline to answer this dispute has passed' },
  dispute_not_awaiting_response: { status: 409, title: 'The dispute is not waiting for the merchant' },
  attachment_too_large: { status: 422, title: 'The attachment is larger than allowed' },
  attachment_type_not_allowed: {
    status: 422,
    title: 'The attachment content is not an accepted type (PNG, JPEG, PDF)',
  },
  attachment_type_mismatch: { status: 422, title: 'The attachment content does not match its declared type' },
  attachment_not_found: { status: 404, title: 'No such attachment' },
  satisfaction_recorded: { status: 409, title: 'Satisfaction was already given for this ticket' },
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
