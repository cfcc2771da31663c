import type { Migration } from './index.ts';

// The tamper-evident audit log (docs/audit.md). Entries and checkpoints are append-only; the head row
// holds the last seq and chain hash and is updated by every append, so on PostgreSQL its row lock
// orders appenders across processes. Merkle nodes are derived data (complete subtrees of 16 leaves
// and more), filled by the checkpointer so proofs read O(log n) rows.
export const audit: Migration = {
  id: 3,
  name: 'audit',
  sql: `
CREATE TABLE audit_entries (
  seq BIGINT PRIMARY KEY CHECK (seq >= 1),
  at BIGINT NOT NULL,
  actor_type TEXT NOT NULL CHECK (actor_type IN ('customer', 'operator', 'merchant', 'system')),
  actor_id TEXT,
  device TEXT,
  ip TEXT,
  action TEXT NOT NULL,
  target TEXT,
  outcome TEXT NOT NULL CHECK (outcome IN ('success', 'failure', 'denied')),
  details TEXT NOT NULL,
  leaf_hash BYTES NOT NULL,
  chain_hash BYTES NOT NULL
)
--;
CREATE INDEX audit_entries_action ON audit_entries (action, seq)
--;
CREATE INDEX audit_entries_actor ON audit_entries (actor_id, seq)
--;
APPEND_ONLY(audit_entries)
--;
CREATE TABLE audit_head (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  seq BIGINT NOT NULL,
  chain_hash BYTES
)
--;
INSERT INTO audit_head (id, seq, chain_hash) VALUES (1, 0, NULL)
--;
CREATE TABLE audit_checkpoints (
  id SERIAL_PK,
  tree_size BIGINT NOT NULL CHECK (tree_size >= 0),
  root_hash BYTES NOT NULL,
  chain_hash BYTES NOT NULL,
  created_at BIGINT NOT NULL,
  algorithm TEXT NOT NULL,
  key_id TEXT NOT NULL,
  signature BYTES NOT NULL
)
--;
APPEND_ONLY(audit_checkpoints)
--;
CREATE TABLE audit_nodes (
  level INTEGER NOT NULL,
  idx BIGINT NOT NULL,
  hash BYTES NOT NULL,
  PRIMARY KEY (level, idx)
)
--;
CREATE TABLE audit_nodes_state (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  tree_size BIGINT NOT NULL
)
--;
INSERT INTO audit_nodes_state (id, tree_size) VALUES (1, 0)
`,
};
