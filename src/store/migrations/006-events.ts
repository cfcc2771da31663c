import type { Migration } from './index.ts';

// Events (docs/webhooks.md): the facts the platform announces, the transactional outbox that carries
// each one to a destination after commit, every delivery attempt, and merchants' webhook endpoints
// (customers' notifications share identity's customer_notices, 005). An outbox message is claimed
// through a lease (token + expiry), so a process that crashes mid-delivery leaves work that another
// process picks up when the lease ends.
export const events: Migration = {
  id: 6,
  name: 'events',
  sql: `
CREATE TABLE webhook_endpoints (
  id TEXT PRIMARY KEY,
  merchant_id TEXT NOT NULL,
  url TEXT NOT NULL,
  topics TEXT NOT NULL,
  secret_sealed BYTES NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('enabled', 'disabled')),
  created_at BIGINT NOT NULL,
  disabled_at BIGINT,
  CHECK ((status = 'disabled') = (disabled_at IS NOT NULL))
)
--;
CREATE INDEX webhook_endpoints_merchant ON webhook_endpoints (merchant_id, status)
--;
CREATE TABLE events (
  id TEXT PRIMARY KEY,
  topic TEXT NOT NULL,
  merchant_id TEXT,
  subject TEXT,
  event_key TEXT UNIQUE,
  payload TEXT NOT NULL,
  created_at BIGINT NOT NULL
)
--;
CREATE INDEX events_subject ON events (subject, id)
--;
CREATE INDEX events_merchant ON events (merchant_id, id)
--;
CREATE TABLE outbox_messages (
  id TEXT PRIMARY KEY,
  event_id TEXT NOT NULL REFERENCES events (id),
  destination TEXT NOT NULL CHECK (destination IN ('webhook', 'handler')),
  endpoint_id TEXT REFERENCES webhook_endpoints (id),
  handler TEXT,
  state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'dead')),
  attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  next_attempt_at BIGINT NOT NULL,
  lease_token TEXT,
  lease_until BIGINT,
  last_status INTEGER,
  last_error TEXT,
  created_at BIGINT NOT NULL,
  delivered_at BIGINT,
  dead_at BIGINT,
  CHECK ((destination = 'webhook') = (endpoint_id IS NOT NULL)),
  CHECK ((destination = 'handler') = (handler IS NOT NULL)),
  CHECK ((lease_token IS NULL) = (lease_until IS NULL))
)
--;
CREATE INDEX outbox_messages_due ON outbox_messages (state, next_attempt_at)
--;
CREATE INDEX outbox_messages_event ON outbox_messages (event_id)
--;
CREATE TABLE delivery_attempts (
  id SERIAL_PK,
  message_id TEXT NOT NULL REFERENCES outbox_messages (id),
  event_id TEXT NOT NULL,
  attempt INTEGER NOT NULL CHECK (attempt >= 1),
  started_at BIGINT NOT NULL,
  duration_ms INTEGER NOT NULL CHECK (duration_ms >= 0),
  outcome TEXT NOT NULL CHECK (outcome IN ('delivered', 'failed')),
  status_code INTEGER,
  error_class TEXT,
  CHECK ((outcome = 'delivered') = (error_class IS NULL))
)
--;
CREATE INDEX delivery_attempts_message ON delivery_attempts (message_id, id)
--;
APPEND_ONLY(delivery_attempts)
`,
};
