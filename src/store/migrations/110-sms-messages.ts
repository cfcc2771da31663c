import type { Migration } from './index.ts';

// Messages handed to the SMS gateway (src/providers): the number and text are sealed under 'pii'
// (registered in key_usages for rewrap) and kept only while the message waits in the outbox; once
// the gateway has it (or it was refused or went stale) they are erased. Delivery receipts from the
// gateway set the final state.
export const smsMessages: Migration = {
  id: 110,
  name: 'sms-messages',
  sql: `
CREATE TABLE sms_messages (
  id TEXT PRIMARY KEY,
  purpose TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('queued', 'submitted', 'delivered', 'failed', 'rejected', 'expired')),
  message_sealed BYTES,
  masked_to TEXT NOT NULL,
  provider_message_id TEXT,
  error_code TEXT,
  created_at BIGINT NOT NULL,
  submitted_at BIGINT,
  final_at BIGINT,
  CHECK ((state = 'queued') = (message_sealed IS NOT NULL))
)
--;
CREATE UNIQUE INDEX sms_messages_provider_id ON sms_messages (provider_message_id)
--;
INSERT INTO key_usages (table_name, column_name, id_column, purpose, kind, source_column, normaliser)
VALUES ('sms_messages', 'message_sealed', 'id', 'pii', 'sealed', NULL, NULL)
`,
};
