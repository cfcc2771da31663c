// The transactional outbox: an event is written in the caller's transaction, together with the state
// change it announces, and goes out only after that transaction commits (the dispatcher reads it
// then). A rolled-back change therefore never produces a webhook, and a committed one always does.
import { AnfuError } from '../errors.ts';
import { newId } from '../ids.ts';
import type { Tx } from '../store/index.ts';
import { isTopic } from './webhook-endpoints.ts';

export type OutboxDestination =
  /** Every enabled endpoint of the merchant subscribed to the topic (none: the event is still kept). */
  | { readonly kind: 'merchant'; readonly merchantId: string }
  /** One webhook endpoint. */
  | { readonly kind: 'endpoint'; readonly endpointId: string }
  /** An in-process handler registered with the dispatcher by name (SMS, bank messages, alerts). */
  | { readonly kind: 'handler'; readonly handler: string };

export interface OutboxEvent {
  readonly topic: string;
  readonly destination: OutboxDestination;
  /** JSON-serialisable; money as decimal strings, never bigint or number. */
  readonly payload: object;
  /** Makes the enqueue idempotent: a second event with the same key is not written (the first is returned). */
  readonly key?: string;
  /** What the event is about (an order id …), for the merchant's order query. */
  readonly subject?: string;
}

export interface EnqueuedEvent {
  readonly eventId: string;
  /** One outbox message per destination reached; empty for a repeated key or a merchant without endpoints. */
  readonly messageIds: readonly string[];
  readonly replayed: boolean;
}

export const payloadBytesMax = 64 * 1024;
const handlerPattern = /^[a-z][a-z0-9_.-]{0,63}$/;

function payloadText(payload: object): string {
  const text = JSON.stringify(payload);
  if (text === undefined || !text.startsWith('{')) throw new Error('outbox payload must be a JSON object');
  if (Buffer.byteLength(text, 'utf8') > payloadBytesMax) throw new Error(`outbox payload exceeds ${payloadBytesMax} bytes`);
  return text;
}

interface Target {
  readonly destination: 'webhook' | 'handler';
  readonly endpointId: string | null;
  readonly handler: string | null;
}

async function targetsOf(tx: Tx, topic: string, destination: OutboxDestination): Promise<{ merchantId: string | null; targets: Target[] }> {
  switch (destination.kind) {
    case 'handler':
      if (!handlerPattern.test(destination.handler)) throw new Error(`invalid outbox handler name '${destination.handler}'`);
      return { merchantId: null, targets: [{ destination: 'handler', endpointId: null, handler: destination.handler }] };
    case 'endpoint': {
      const row = await tx.get<{ merchant_id: string; status: string }>('SELECT merchant_id, status FROM webhook_endpoints WHERE id = ?', [destination.endpointId]);
      if (row === undefined) throw new AnfuError('webhook_endpoint_not_found');
      return { merchantId: row.merchant_id, targets: [{ destination: 'webhook', endpointId: destination.endpointId, handler: null }] };
    }
    case 'merchant': {
      const rows = await tx.all<{ id: string; topics: string }>("SELECT id, topics FROM webhook_endpoints WHERE merchant_id = ? AND status = 'enabled' ORDER BY id", [destination.merchantId]);
      const subscribed = rows.filter((row) => {
        const topics = JSON.parse(row.topics) as string[];
        return topics.includes('*') || topics.includes(topic);
      });
      return { merchantId: destination.merchantId, targets: subscribed.map((row) => ({ destination: 'webhook', endpointId: row.id, handler: null })) };
    }
  }
}

/** Writes the event and its outbox messages with `tx`; call it inside the transaction of the change. */
export async function enqueueOutbox(tx: Tx, event: OutboxEvent, now: number): Promise<EnqueuedEvent> {
  if (!isTopic(event.topic)) throw new Error(`invalid event topic '${event.topic}'`);
  const payload = payloadText(event.payload);
  const { merchantId, targets } = await targetsOf(tx, event.topic, event.destination);
  const eventId = newId('evt', now);
  const inserted = await tx.run(
    'INSERT INTO events (id, topic, merchant_id, subject, event_key, payload, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (event_key) DO NOTHING',
    [eventId, event.topic, merchantId, event.subject ?? null, event.key ?? null, payload, now],
  );
  if (inserted === 0) {
    const first = await tx.get<{ id: string }>('SELECT id FROM events WHERE event_key = ?', [event.key ?? null]);
    if (first === undefined) throw new Error('event key conflict without a first event');
    return { eventId: first.id, messageIds: [], replayed: true };
  }
  const messageIds: string[] = [];
  for (const target of targets) {
    const id = newId('dlv', now);
    await tx.run(
      "INSERT INTO outbox_messages (id, event_id, destination, endpoint_id, handler, state, attempts, next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, ?)",
      [id, eventId, target.destination, target.endpointId, target.handler, now, now],
    );
    messageIds.push(id);
  }
  return { eventId, messageIds, replayed: false };
}
