// The events capability's SQL. Claims are one statement each (atomic on both stores); completing an
// attempt is one short transaction guarded by the claim's lease token, so a process whose lease ran
// out cannot overwrite the outcome recorded by the process that took the message over.
import type { Queryable, Store } from '../store/index.ts';
import { toBigInt } from '../store/index.ts';
import { auditEvents, systemAuditActor } from './audit-actor.ts';
import type { AttemptResult, NextState } from './retry-schedule.ts';

export interface ClaimedMessage {
  readonly id: string;
  readonly eventId: string;
  readonly topic: string;
  readonly payload: string;
  readonly eventCreatedAt: number;
  readonly destination: 'webhook' | 'handler';
  readonly endpointId: string | null;
  readonly handler: string | null;
  /** Attempts already made in this delivery cycle (0 for a fresh or re-delivered message). */
  readonly attempts: number;
  readonly url: string | null;
  readonly secretSealed: Buffer | null;
  readonly endpointEnabled: boolean;
  readonly leaseToken: string;
}

interface ClaimRow extends Record<string, unknown> {
  id: string;
  event_id: string;
  topic: string;
  payload: string;
  event_created_at: bigint;
  destination: 'webhook' | 'handler';
  endpoint_id: string | null;
  handler: string | null;
  attempts: bigint;
  url: string | null;
  secret_sealed: Buffer | Uint8Array | null;
  endpoint_status: string | null;
}

export interface ClaimRequest {
  readonly token: string;
  readonly now: number;
  readonly leaseMs: number;
  readonly limit: number;
  /** Endpoints this process already has enough attempts in flight for (one slow endpoint must not take every slot). */
  readonly busyEndpointIds: readonly string[];
}

/**
 * Leases up to `limit` due messages to `token`. On PostgreSQL `FOR UPDATE SKIP LOCKED` lets several
 * processes claim side by side without waiting on each other; the outer condition is re-checked on
 * the locked row, so a message is never leased twice. An expired lease is claimable again: that is
 * how a crashed process's work comes back.
 */
export async function claimDueMessages(store: Store, request: ClaimRequest): Promise<ClaimedMessage[]> {
  const busy = request.busyEndpointIds;
  const notBusy = busy.length === 0 ? '' : `AND (endpoint_id IS NULL OR endpoint_id NOT IN (${busy.map(() => '?').join(', ')}))`;
  const lock = store.dialect === 'postgres' ? 'FOR UPDATE SKIP LOCKED' : '';
  const due = "state = 'pending' AND next_attempt_at <= ? AND (lease_until IS NULL OR lease_until <= ?)";
  const claimed = await store.run(
    `UPDATE outbox_messages SET lease_token = ?, lease_until = ?
     WHERE id IN (SELECT id FROM outbox_messages WHERE ${due} ${notBusy} ORDER BY next_attempt_at LIMIT ? ${lock})
       AND ${due}`,
    [request.token, request.now + request.leaseMs, request.now, request.now, ...busy, request.limit, request.now, request.now],
  );
  if (claimed === 0) return [];
  const rows = await store.all<ClaimRow>(
    `SELECT m.id, m.event_id, e.topic, e.payload, e.created_at AS event_created_at, m.destination, m.endpoint_id, m.handler, m.attempts,
            w.url, w.secret_sealed, w.status AS endpoint_status
       FROM outbox_messages m JOIN events e ON e.id = m.event_id LEFT JOIN webhook_endpoints w ON w.id = m.endpoint_id
      WHERE m.lease_token = ? ORDER BY m.next_attempt_at`,
    [request.token],
  );
  return rows.map((row) => ({
    id: row.id,
    eventId: row.event_id,
    topic: row.topic,
    payload: row.payload,
    eventCreatedAt: Number(toBigInt(row.event_created_at)),
    destination: row.destination,
    endpointId: row.endpoint_id,
    handler: row.handler,
    attempts: Number(toBigInt(row.attempts)),
    url: row.url,
    secretSealed: row.secret_sealed === null ? null : Buffer.from(row.secret_sealed),
    endpointEnabled: row.endpoint_status === 'enabled',
    leaseToken: request.token,
  }));
}

export interface AttemptRecord {
  readonly message: ClaimedMessage;
  readonly attempt: number;
  readonly startedAt: number;
  readonly durationMs: number;
  readonly result: AttemptResult;
  readonly next: NextState;
  readonly now: number;
}

/** Records the attempt and moves the message on; false if the lease was lost (the attempt is still recorded). */
export async function recordAttempt(store: Store, record: AttemptRecord): Promise<boolean> {
  const { message, result, next, now } = record;
  const errorClass = result.outcome === 'failed' ? result.errorClass : null;
  const statusCode = result.statusCode ?? null;
  return store.transaction(async (tx) => {
    const updated = await tx.run(
      `UPDATE outbox_messages SET state = ?, attempts = ?, next_attempt_at = ?, lease_token = NULL, lease_until = NULL,
              last_status = ?, last_error = ?, delivered_at = ?, dead_at = ?
        WHERE id = ? AND lease_token = ?`,
      [
        next.state, record.attempt, next.state === 'pending' ? next.nextAttemptAt : now, statusCode, errorClass,
        next.state === 'delivered' ? now : null, next.state === 'dead' ? now : null, message.id, message.leaseToken,
      ],
    );
    await tx.run(
      'INSERT INTO delivery_attempts (message_id, event_id, attempt, started_at, duration_ms, outcome, status_code, error_class) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      [message.id, message.eventId, record.attempt, record.startedAt, Math.max(0, Math.round(record.durationMs)), result.outcome, statusCode, errorClass],
    );
    // A dead letter needs an operator's attention, so it is an audited fact, not just a row state.
    if (updated === 1 && next.state === 'dead') {
      await auditEvents(tx, systemAuditActor, 'webhook.delivery.dead_letter', message.id, { eventId: message.eventId, attempts: record.attempt, errorClass }, now);
    }
    return updated === 1;
  });
}

/** Gives the messages back unattempted (the dispatcher is stopping before it started them). */
export async function releaseLeases(store: Store, token: string, ids: readonly string[]): Promise<void> {
  for (const id of ids) await store.run('UPDATE outbox_messages SET lease_token = NULL, lease_until = NULL WHERE id = ? AND lease_token = ?', [id, token]);
}

export async function nextDueAt(db: Queryable): Promise<number | undefined> {
  const row = await db.get<{ at: bigint | null }>("SELECT MIN(next_attempt_at) AS at FROM outbox_messages WHERE state = 'pending'");
  return row?.at === null || row?.at === undefined ? undefined : Number(toBigInt(row.at));
}
