import type { Migration } from './index.ts';

// Envelope encryption and the card vault. Data keys (DEKs) are stored only wrapped by the
// key-encryption key (KEK), which never enters the database. `key_usages` names every column that
// holds data sealed or indexed under a purpose, so rewrap and retirement work from the database alone
// (a capability that adds protected columns registers them here, in its own migration or at start).
export const keyring: Migration = {
  id: 2,
  name: 'keyring',
  sql: `
CREATE TABLE key_versions (
  purpose TEXT NOT NULL,
  version BIGINT NOT NULL CHECK (version >= 1),
  kind TEXT NOT NULL CHECK (kind IN ('seal', 'mac', 'sign')),
  algorithm TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('active', 'decrypt_only', 'retired')),
  kek_id TEXT NOT NULL,
  wrapped_key BYTES,
  public_key TEXT,
  created_at BIGINT NOT NULL,
  superseded_at BIGINT,
  retired_at BIGINT,
  PRIMARY KEY (purpose, version),
  CHECK ((state = 'retired') = (wrapped_key IS NULL)),
  CHECK ((state = 'active') = (superseded_at IS NULL))
)
--;
CREATE UNIQUE INDEX key_versions_one_active ON key_versions (purpose) WHERE state = 'active'
--;
CREATE TABLE key_events (
  seq SERIAL_PK,
  at BIGINT NOT NULL,
  operation TEXT NOT NULL CHECK (operation IN ('created', 'rotated', 'rewrapped', 'retired')),
  purpose TEXT NOT NULL,
  version BIGINT,
  actor TEXT NOT NULL,
  detail TEXT
)
--;
APPEND_ONLY(key_events)
--;
CREATE TABLE key_usages (
  table_name TEXT NOT NULL,
  column_name TEXT NOT NULL,
  id_column TEXT NOT NULL,
  purpose TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('sealed', 'blind-index')),
  source_column TEXT,
  normaliser TEXT,
  PRIMARY KEY (table_name, column_name),
  CHECK ((kind = 'blind-index') = (source_column IS NOT NULL AND normaliser IS NOT NULL))
)
--;
CREATE TABLE card_vault (
  token TEXT PRIMARY KEY,
  pan_sealed BYTES NOT NULL,
  pan_fingerprint BYTES NOT NULL,
  expiry_sealed BYTES,
  masked_pan TEXT NOT NULL,
  created_at BIGINT NOT NULL
)
--;
CREATE INDEX card_vault_fingerprint ON card_vault (pan_fingerprint)
--;
CREATE TABLE vault_access (
  seq SERIAL_PK,
  at BIGINT NOT NULL,
  token TEXT NOT NULL,
  purpose TEXT NOT NULL,
  actor TEXT NOT NULL,
  outcome TEXT NOT NULL CHECK (outcome IN ('granted', 'not_found'))
)
--;
APPEND_ONLY(vault_access)
--;
INSERT INTO key_usages (table_name, column_name, id_column, purpose, kind, source_column, normaliser) VALUES ('card_vault', 'pan_sealed', 'token', 'card-vault', 'sealed', NULL, NULL)
--;
INSERT INTO key_usages (table_name, column_name, id_column, purpose, kind, source_column, normaliser) VALUES ('card_vault', 'expiry_sealed', 'token', 'card-vault', 'sealed', NULL, NULL)
--;
INSERT INTO key_usages (table_name, column_name, id_column, purpose, kind, source_column, normaliser) VALUES ('card_vault', 'pan_fingerprint', 'token', 'card-fingerprint', 'blind-index', 'pan_sealed', 'card')
`,
};
