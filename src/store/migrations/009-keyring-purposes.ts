import type { Migration } from './index.ts';

// Secrets that were stored in plain or under the personal-data key get purposes of their own, and
// every protected column is registered in key_usages so rewrap and retirement cover it:
// - webhook signing secrets (webhook_endpoints.secret_sealed, already BYTES) under 'webhook-secret';
// - operator TOTP secrets move to operators.totp_secret_sealed under 'totp-secret' (the old TEXT
//   column stays for the schema but is emptied when a row is sealed at start);
// - identity's access-token MAC key and device CA key move from identity_secrets ('pii') to
//   identity_keys, one column per purpose ('customer-token', 'device-ca').
// Existing plaintext values are converted by the application at start (it holds the KEK, this does not).
export const keyringPurposes: Migration = {
  id: 9,
  name: 'keyring-purposes',
  sql: `
ALTER TABLE operators ADD COLUMN totp_secret_sealed BYTES
--;
CREATE TABLE identity_keys (
  name TEXT PRIMARY KEY,
  customer_token_sealed BYTES,
  device_ca_sealed BYTES,
  public_text TEXT,
  created_at BIGINT NOT NULL,
  CHECK ((customer_token_sealed IS NULL) <> (device_ca_sealed IS NULL))
)
--;
INSERT INTO key_usages (table_name, column_name, id_column, purpose, kind, source_column, normaliser) VALUES ('webhook_endpoints', 'secret_sealed', 'id', 'webhook-secret', 'sealed', NULL, NULL)
--;
INSERT INTO key_usages (table_name, column_name, id_column, purpose, kind, source_column, normaliser) VALUES ('operators', 'totp_secret_sealed', 'id', 'totp-secret', 'sealed', NULL, NULL)
--;
INSERT INTO key_usages (table_name, column_name, id_column, purpose, kind, source_column, normaliser) VALUES ('identity_keys', 'customer_token_sealed', 'name', 'customer-token', 'sealed', NULL, NULL)
--;
INSERT INTO key_usages (table_name, column_name, id_column, purpose, kind, source_column, normaliser) VALUES ('identity_keys', 'device_ca_sealed', 'name', 'device-ca', 'sealed', NULL, NULL)
`,
};
