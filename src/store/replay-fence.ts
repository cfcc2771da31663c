// The replay fence (PostgreSQL): an answer built from a row another transaction wrote — a replay after
// a lost commit — must not be given before that row is on the synchronous standby, because PostgreSQL
// shows a commit to others before its standby confirmed it (and keeps it when that wait is cancelled:
// Patroni #1412). The fence makes this transaction's own COMMIT wait for the standby, and the standby
// confirms WAL in order, so everything up to it — the replayed row included — is then replicated.
//
// Only a transaction that wrote WAL waits: PostgreSQL's RecordTransactionCommit skips the synchronous
// wait when the transaction took an xid but wrote nothing (pg_current_xact_id(), a SELECT that found
// its rows already locked, an unlogged table). A transactional logical message assigns an xid and
// writes a WAL record, so its COMMIT waits under synchronous_commit like any write
// (store/replay-fence.test.ts shows both on a server whose synchronous standby never answers).
import type { Queryable } from './port.ts';

/** The fence as an expression, for PL/pgSQL (`PERFORM …`, migration 202's anfu_ledger_apply). */
export const replayFenceCall = "pg_logical_emit_message(true, 'anfu.fence', '')";

/** The fence as a statement, run inside the transaction that answers a replay. */
export const replayFenceSql = `SELECT ${replayFenceCall}`;

export async function fenceReplays(tx: Queryable): Promise<void> {
  await tx.run(replayFenceSql);
}
