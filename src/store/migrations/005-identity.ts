import type { Migration } from './index.ts';

// Customer identity (R3, R6.2). Personal data (phone, name, ID number) is stored only sealed, with
// keyed blind indexes for exact lookup; secrets (passwords, codes, tokens) only as hashes. Login
// throttling is keyed by a subject (a phone's blind index or a client address), so an unknown phone
// number is throttled exactly like a known one and the API cannot be used to enumerate customers.
export const identity: Migration = {
  id: 5,
  name: 'identity',
  sql: `
CREATE TABLE customers (
  id TEXT PRIMARY KEY,
  phone_sealed BYTES NOT NULL,
  phone_index BYTES NOT NULL UNIQUE,
  name_sealed BYTES NOT NULL,
  id_number_sealed BYTES NOT NULL,
  id_number_index BYTES NOT NULL,
  account_class TEXT NOT NULL CHECK (account_class IN ('I', 'II', 'III')),
  password_hash TEXT NOT NULL,
  totp_secret_sealed BYTES,
  totp_state TEXT NOT NULL DEFAULT 'none' CHECK (totp_state IN ('none', 'pending', 'active')),
  totp_last_step BIGINT NOT NULL DEFAULT 0,
  status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  UNIQUE (id_number_index, account_class)
)
--;
CREATE TABLE identity_verifications (
  id TEXT PRIMARY KEY,
  customer_id TEXT NOT NULL REFERENCES customers (id),
  source TEXT NOT NULL,
  reference TEXT,
  created_at BIGINT NOT NULL,
  UNIQUE (customer_id, source)
)
--;
CREATE TABLE sms_codes (
  id TEXT PRIMARY KEY,
  purpose TEXT NOT NULL CHECK (purpose IN ('registration', 'login', 'password_reset')),
  phone_index BYTES NOT NULL,
  code_hash BYTES NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  consumed_at BIGINT
)
--;
CREATE INDEX sms_codes_phone ON sms_codes (phone_index, purpose, created_at)
--;
CREATE TABLE login_throttle (
  subject TEXT PRIMARY KEY,
  failures INTEGER NOT NULL DEFAULT 0,
  last_failure_at BIGINT NOT NULL,
  blocked_until BIGINT NOT NULL DEFAULT 0
)
--;
CREATE TABLE customer_devices (
  id TEXT PRIMARY KEY,
  customer_id TEXT NOT NULL REFERENCES customers (id),
  fingerprint_hash BYTES NOT NULL,
  label TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'revoked')),
  public_key_pem TEXT,
  certificate_pem TEXT,
  certificate_serial TEXT UNIQUE,
  created_at BIGINT NOT NULL,
  last_seen_at BIGINT NOT NULL,
  revoked_at BIGINT,
  CHECK ((status = 'revoked') = (revoked_at IS NOT NULL))
)
--;
CREATE INDEX customer_devices_customer ON customer_devices (customer_id, fingerprint_hash)
--;
CREATE TABLE customer_sessions (
  id TEXT PRIMARY KEY,
  customer_id TEXT NOT NULL REFERENCES customers (id),
  device_id TEXT NOT NULL REFERENCES customer_devices (id),
  factors TEXT NOT NULL,
  device_signed SMALLINT NOT NULL DEFAULT 0 CHECK (device_signed IN (0, 1)),
  ip TEXT,
  created_at BIGINT NOT NULL,
  last_seen_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  ended_at BIGINT,
  end_reason TEXT
)
--;
CREATE INDEX customer_sessions_customer ON customer_sessions (customer_id, created_at)
--;
CREATE TABLE refresh_tokens (
  token_hash BYTES PRIMARY KEY,
  session_id TEXT NOT NULL REFERENCES customer_sessions (id),
  state TEXT NOT NULL CHECK (state IN ('active', 'used')),
  created_at BIGINT NOT NULL
)
--;
CREATE INDEX refresh_tokens_session ON refresh_tokens (session_id)
--;
CREATE TABLE login_challenges (
  id TEXT PRIMARY KEY,
  customer_id TEXT NOT NULL REFERENCES customers (id),
  device_id TEXT NOT NULL REFERENCES customer_devices (id),
  factors TEXT NOT NULL,
  passed TEXT NOT NULL,
  nonce TEXT NOT NULL,
  ip TEXT,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  consumed_at BIGINT
)
--;
CREATE TABLE login_history (
  id SERIAL_PK,
  customer_id TEXT NOT NULL REFERENCES customers (id),
  device_id TEXT,
  ip TEXT,
  network TEXT,
  outcome TEXT NOT NULL CHECK (outcome IN ('success', 'failure', 'challenge', 'denied')),
  at BIGINT NOT NULL
)
--;
CREATE INDEX login_history_customer ON login_history (customer_id, at)
--;
CREATE TABLE passkeys (
  id TEXT PRIMARY KEY,
  customer_id TEXT NOT NULL REFERENCES customers (id),
  credential_id TEXT NOT NULL UNIQUE,
  public_key BYTES NOT NULL,
  counter BIGINT NOT NULL,
  transports TEXT NOT NULL,
  label TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  last_used_at BIGINT
)
--;
CREATE TABLE webauthn_challenges (
  id TEXT PRIMARY KEY,
  customer_id TEXT NOT NULL REFERENCES customers (id),
  purpose TEXT NOT NULL CHECK (purpose IN ('registration', 'authentication')),
  challenge TEXT NOT NULL,
  login_challenge_id TEXT,
  expires_at BIGINT NOT NULL,
  consumed_at BIGINT
)
--;
CREATE TABLE recovery_codes (
  code_hash BYTES PRIMARY KEY,
  customer_id TEXT NOT NULL REFERENCES customers (id),
  created_at BIGINT NOT NULL,
  used_at BIGINT
)
--;
CREATE INDEX recovery_codes_customer ON recovery_codes (customer_id)
--;
CREATE TABLE customer_notices (
  id TEXT PRIMARY KEY,
  customer_id TEXT NOT NULL REFERENCES customers (id),
  kind TEXT NOT NULL,
  details TEXT NOT NULL,
  created_at BIGINT NOT NULL
)
--;
CREATE INDEX customer_notices_customer ON customer_notices (customer_id, created_at)
--;
APPEND_ONLY(customer_notices)
--;
CREATE TABLE identity_secrets (
  name TEXT PRIMARY KEY,
  sealed BYTES NOT NULL,
  public_text TEXT,
  created_at BIGINT NOT NULL
)
`,
};
