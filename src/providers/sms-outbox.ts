// SMS through the transactional outbox: identity's SmsSender port writes the message (number and
// text sealed) and an outbox event in one transaction; the dispatcher's 'sms.gateway' handler
// submits it to the gateway after commit, and a failed attempt (gateway 503, timeout, rate limit)
// is retried on the outbox's back-off schedule. The gateway deduplicates on our message id.
import { ProtectedTable, type Keyring } from '../crypto/index.ts';
import { enqueueOutbox, type OutboxHandler } from '../events/index.ts';
import type { SmsSender } from '../identity/index.ts';
import { newId } from '../ids.ts';
import type { Store } from '../store/index.ts';
import type { SmsGatewayClient } from './sms-gateway-client.ts';
import {
  expireQueuedSmsMessages,
  finishSmsMessage,
  insertSmsMessage,
  markSmsSubmitted,
  smsMessageById,
} from './store.ts';

export const smsGatewayHandlerName = 'sms.gateway';
export const smsTopic = 'sms.message';
/** A message still waiting this long after it was written is not sent any more (its code has long expired). */
export const smsMessageTtlMs = 30 * 60_000;

const spec = {
  table: 'sms_messages',
  idColumn: 'id',
  fields: { message: { column: 'message_sealed', normaliser: 'exact' } },
} as const;

/** +86139****5678: enough for an operator to tell messages apart, not enough to call anyone. */
export function maskedPhone(phone: string): string {
  return phone.length <= 10 ? '****' : `${phone.slice(0, 6)}****${phone.slice(-4)}`;
}

export interface SmsOutboxDeps {
  readonly store: Store;
  readonly keyring: Keyring;
  readonly clock: () => number;
}

export function outboxSmsSender(deps: SmsOutboxDeps): SmsSender {
  const table = new ProtectedTable(deps.keyring, spec);
  return {
    async send(message) {
      const now = deps.clock();
      const id = newId('smm', now);
      const sealed = (await table.protect(id, { message: JSON.stringify({ to: message.to, text: message.text }) }))
        .message_sealed;
      if (sealed === undefined) throw new Error('sms invariant: sealing produced no column');
      await deps.store.transaction(async (tx) => {
        await insertSmsMessage(tx, { id, purpose: message.purpose, sealed, maskedTo: maskedPhone(message.to), now });
        await enqueueOutbox(
          tx,
          {
            topic: smsTopic,
            destination: { kind: 'handler', handler: smsGatewayHandlerName },
            payload: { smsId: id },
            key: `sms:${id}`,
          },
          now,
        );
      });
    },
  };
}

/** Thrown for a failed attempt the outbox should repeat; the message names the gateway's code only. */
export class SmsGatewayRetry extends Error {
  constructor(readonly reason: string) {
    super(`SMS gateway attempt failed: ${reason}`);
    this.name = 'SmsGatewayRetry';
  }
}

export interface SmsHandlerDeps {
  readonly store: Store;
  readonly keyring: Keyring;
  readonly client: SmsGatewayClient;
  readonly clock: () => number;
  /** Anfu's receipt route as the gateway reaches it; unset = no receipts asked for. */
  readonly callbackUrl?: string | undefined;
}

async function openMessage(
  table: ProtectedTable<'message'>,
  id: string,
  row: Parameters<ProtectedTable<'message'>['reveal']>[1],
): Promise<{ to: string; text: string }> {
  const text = (await table.reveal(id, row, ['message'])).message;
  if (text === undefined) throw new Error('sms invariant: a queued message has no sealed content');
  return JSON.parse(text) as { to: string; text: string };
}

export function smsGatewayHandler(deps: SmsHandlerDeps): OutboxHandler {
  const table = new ProtectedTable(deps.keyring, spec);
  return async ({ payload, signal }) => {
    const smsId = (payload as { smsId?: unknown }).smsId;
    if (typeof smsId !== 'string') return;
    const message = await smsMessageById(deps.store, smsId);
    // Already submitted (an earlier attempt whose outcome was recorded late), receipted or ended: nothing to do.
    if (message === undefined || message.state !== 'queued') return;
    if (deps.clock() - message.createdAt > smsMessageTtlMs) {
      await finishSmsMessage(deps.store, smsId, { state: 'expired', errorCode: 'stale', now: deps.clock() });
      return;
    }
    const { to, text } = await openMessage(table, smsId, message.row);
    const outcome = await deps.client.submit(
      { clientReference: smsId, to, text, purpose: message.purpose, callbackUrl: deps.callbackUrl },
      signal,
    );
    switch (outcome.outcome) {
      case 'accepted':
        await markSmsSubmitted(deps.store, smsId, outcome.messageId, deps.clock());
        return;
      case 'rejected':
        await finishSmsMessage(deps.store, smsId, { state: 'rejected', errorCode: outcome.reason, now: deps.clock() });
        return;
      case 'retry':
        throw new SmsGatewayRetry(outcome.reason);
    }
  };
}

/** How often the server sweeps messages the outbox gave up on. */
export const smsSweepIntervalMs = 60_000;

/**
 * The deadline of a queued message: past `smsMessageTtlMs` it will never be sent (the handler ends it
 * when it runs; this ends those the outbox dead-lettered or never ran), so its sealed content goes.
 */
export function sweepStaleSmsMessages(store: Store, now: number): Promise<number> {
  return expireQueuedSmsMessages(store, now - smsMessageTtlMs, now);
}
