// What happened to an event's deliveries: every attempt with its status code, duration and error
// class. Merchants see it through their order query; operators through the webhooks API.
import type { Param, Queryable } from '../store/index.ts';
import { toBigInt } from '../store/index.ts';

export interface DeliveryAttempt {
  readonly attempt: number;
  readonly startedAt: number;
  readonly durationMs: number;
  readonly outcome: 'delivered' | 'failed';
  readonly statusCode: number | null;
  readonly errorClass: string | null;
}

export interface Delivery {
  readonly deliveryId: string;
  readonly eventId: string;
  readonly topic: string;
  readonly subject: string | null;
  readonly merchantId: string | null;
  readonly endpointId: string | null;
  readonly handler: string | null;
  readonly state: 'pending' | 'delivered' | 'dead';
  readonly attempts: number;
  readonly nextAttemptAt: number | null;
  readonly deliveredAt: number | null;
  readonly createdAt: number;
  readonly history: readonly DeliveryAttempt[];
}

export interface DeliveryFilter {
  readonly deliveryId?: string;
  readonly eventId?: string;
  readonly merchantId?: string;
  readonly subject?: string;
}

export const deliveriesPerQueryMax = 200;

const optionalInt = (value: unknown): number | null => (value === null || value === undefined ? null : Number(toBigInt(value)));

/** Deliveries matching every given filter, oldest first, with their attempts. */
export async function listDeliveries(db: Queryable, filter: DeliveryFilter): Promise<Delivery[]> {
  const where: string[] = [];
  const params: Param[] = [];
  const add = (sql: string, value: string | undefined) => {
    if (value === undefined) return;
    where.push(sql);
    params.push(value);
  };
  add('m.id = ?', filter.deliveryId);
  add('e.id = ?', filter.eventId);
  add('e.merchant_id = ?', filter.merchantId);
  add('e.subject = ?', filter.subject);
  if (where.length === 0) throw new Error('listDeliveries needs at least one filter');
  const rows = await db.all(
    `SELECT m.id, m.event_id, e.topic, e.subject, e.merchant_id, m.endpoint_id, m.handler, m.state, m.attempts, m.next_attempt_at, m.delivered_at, m.created_at
       FROM outbox_messages m JOIN events e ON e.id = m.event_id WHERE ${where.join(' AND ')} ORDER BY m.id LIMIT ?`,
    [...params, deliveriesPerQueryMax],
  );
  const deliveries: Delivery[] = [];
  for (const row of rows) {
    const attempts = await db.all('SELECT attempt, started_at, duration_ms, outcome, status_code, error_class FROM delivery_attempts WHERE message_id = ? ORDER BY id', [row.id as string]);
    deliveries.push({
      deliveryId: row.id as string,
      eventId: row.event_id as string,
      topic: row.topic as string,
      subject: row.subject as string | null,
      merchantId: row.merchant_id as string | null,
      endpointId: row.endpoint_id as string | null,
      handler: row.handler as string | null,
      state: row.state as Delivery['state'],
      attempts: Number(toBigInt(row.attempts)),
      nextAttemptAt: row.state === 'pending' ? optionalInt(row.next_attempt_at) : null,
      deliveredAt: optionalInt(row.delivered_at),
      createdAt: Number(toBigInt(row.created_at)),
      history: attempts.map((a) => ({
        attempt: Number(toBigInt(a.attempt)),
        startedAt: Number(toBigInt(a.started_at)),
        durationMs: Number(toBigInt(a.duration_ms)),
        outcome: a.outcome as DeliveryAttempt['outcome'],
        statusCode: optionalInt(a.status_code),
        errorClass: a.error_class as string | null,
      })),
    });
  }
  return deliveries;
}
