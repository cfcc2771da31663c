// Messages that used up their attempts: listed for operators, and put back in the queue on request
// with a fresh attempt budget (the earlier attempts stay recorded).
import { AnfuError } from '../errors.ts';
import type { Queryable, Store } from '../store/index.ts';
import { toBigInt } from '../store/index.ts';
import { auditEvents, type AuditActor } from './audit-actor.ts';

export interface DeadLetter {
  readonly deliveryId: string;
  readonly eventId: string;
  readonly topic: string;
  readonly merchantId: string | null;
  readonly endpointId: string | null;
  readonly handler: string | null;
  readonly attempts: number;
  readonly lastStatus: number | null;
  readonly lastError: string | null;
  readonly deadAt: number;
}

interface DeadRow extends Record<string, unknown> {
  id: string;
  event_id: string;
  topic: string;
  merchant_id: string | null;
  endpoint_id: string | null;
  handler: string | null;
  attempts: bigint;
  last_status: bigint | null;
  last_error: string | null;
  dead_at: bigint;
}

export const deliveryIdPattern = /^dlv_[0-9a-hjkmnp-tv-z]{26}$/;

/** Newest first; `cursor` is the last delivery id of the previous page. */
export async function listDeadLetters(db: Queryable, page: { cursor?: string | undefined; limit: number }): Promise<{ items: DeadLetter[]; nextCursor: string | null }> {
  if (page.cursor !== undefined && !deliveryIdPattern.test(page.cursor)) throw new AnfuError('invalid_cursor');
  const rows = await db.all<DeadRow>(
    `SELECT m.id, m.event_id, e.topic, e.merchant_id, m.endpoint_id, m.handler, m.attempts, m.last_status, m.last_error, m.dead_at
       FROM outbox_messages m JOIN events e ON e.id = m.event_id
      WHERE m.state = 'dead' ${page.cursor === undefined ? '' : 'AND m.id < ?'}
      ORDER BY m.id DESC LIMIT ?`,
    page.cursor === undefined ? [page.limit + 1] : [page.cursor, page.limit + 1],
  );
  const items = rows.slice(0, page.limit).map((row) => ({
    deliveryId: row.id,
    eventId: row.event_id,
    topic: row.topic,
    merchantId: row.merchant_id,
    endpointId: row.endpoint_id,
    handler: row.handler,
    attempts: Number(toBigInt(row.attempts)),
    lastStatus: row.last_status === null ? null : Number(toBigInt(row.last_status)),
    lastError: row.last_error,
    deadAt: Number(toBigInt(row.dead_at)),
  }));
  return { items, nextCursor: rows.length > page.limit ? (items.at(-1)?.deliveryId ?? null) : null };
}

/** Re-queues a dead letter for delivery now. Refused for a delivery that is not dead or whose endpoint is disabled. */
export async function redeliverDeadLetter(store: Store, actor: AuditActor, deliveryId: string, now: number): Promise<{ deliveryId: string; nextAttemptAt: number }> {
  return store.transaction(async (tx) => {
    const row = await tx.get<{ state: string; endpoint_status: string | null; destination: string }>(
      'SELECT m.state, m.destination, w.status AS endpoint_status FROM outbox_messages m LEFT JOIN webhook_endpoints w ON w.id = m.endpoint_id WHERE m.id = ?',
      [deliveryId],
    );
    if (row === undefined) throw new AnfuError('webhook_delivery_not_found');
    if (row.state !== 'dead') throw new AnfuError('webhook_delivery_not_dead', `the delivery is ${row.state}`);
    if (row.destination === 'webhook' && row.endpoint_status !== 'enabled') throw new AnfuError('webhook_endpoint_disabled');
    const changed = await tx.run(
      "UPDATE outbox_messages SET state = 'pending', attempts = 0, next_attempt_at = ?, dead_at = NULL, lease_token = NULL, lease_until = NULL WHERE id = ? AND state = 'dead'",
      [now, deliveryId],
    );
    if (changed !== 1) throw new AnfuError('webhook_delivery_not_dead');
    await auditEvents(tx, actor, 'webhook.delivery.redeliver', deliveryId, {}, now);
    return { deliveryId, nextAttemptAt: now };
  });
}
