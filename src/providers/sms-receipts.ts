// Delivery receipts: the gateway POSTs one per message to Anfu's callback route, signed like our
// requests to it. A receipt sets the message's final state once; a repeat (the gateway retries
// until we answer 2xx) changes nothing. Nonces are remembered per process for the signature window;
// across processes the receipt's idempotence is what makes a replay harmless.
import { appendAudit } from '../audit/index.ts';
import { AnfuError } from '../errors.ts';
import type { Store } from '../store/index.ts';
import { NonceMemory, verifySignedRequest, type SigningKey } from './request-signing.ts';
import { finishSmsMessage, smsMessageById } from './store.ts';

export const smsReceiptPath = '/v1/providers/sms/receipts';

export interface SmsReceipt {
  readonly messageId: string;
  readonly clientReference: string;
  readonly status: 'delivered' | 'failed';
  readonly errorCode?: string;
}

export interface ReceiptRequest {
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly method: string;
  readonly path: string;
  readonly rawBody: string;
  readonly ip: string | null;
}

export interface SmsReceiptDeps {
  readonly store: Store;
  /** The gateway's key; undefined when no gateway is configured (every receipt is then refused). */
  readonly key: SigningKey | undefined;
  readonly clock: () => number;
  readonly nonces: NonceMemory;
}

async function audit(
  deps: SmsReceiptDeps,
  ip: string | null,
  target: string | null,
  outcome: 'success' | 'denied',
  details: Record<string, unknown>,
): Promise<void> {
  const now = deps.clock();
  await deps.store.transaction((tx) =>
    appendAudit(
      tx,
      [{ actorType: 'system', actorId: 'sms-gateway', action: 'provider.sms.receipt', target, outcome, ip, details }],
      now,
    ),
  );
}

/** Checks the gateway's signature over the body exactly as sent; a refusal is audited, then thrown. */
export async function verifySmsReceiptSignature(deps: SmsReceiptDeps, request: ReceiptRequest): Promise<void> {
  const nowSeconds = Math.floor(deps.clock() / 1000);
  const key = deps.key;
  const check = verifySignedRequest(
    request.headers,
    { method: request.method, path: request.path, body: request.rawBody },
    {
      keys: (keyId) => (key !== undefined && keyId === key.keyId ? key.secret : undefined),
      nowSeconds,
      seen: (keyId, nonce) => deps.nonces.seen(keyId, nonce, nowSeconds),
    },
  );
  if (check.ok) return;
  await audit(deps, request.ip, null, 'denied', { reason: `signature_${check.reason}` });
  throw new AnfuError('provider_signature_invalid');
}

/** Records a verified receipt: the first sets the final state, a repeat changes nothing. */
export async function recordSmsReceipt(
  deps: SmsReceiptDeps,
  receipt: SmsReceipt,
  ip: string | null,
): Promise<'recorded' | 'repeated'> {
  const message = await smsMessageById(deps.store, receipt.clientReference);
  if (
    message === undefined ||
    (message.providerMessageId !== null && message.providerMessageId !== receipt.messageId)
  ) {
    await audit(deps, ip, receipt.clientReference, 'denied', { reason: 'unknown_message' });
    throw new AnfuError('not_found');
  }
  const now = deps.clock();
  const details = {
    status: receipt.status,
    ...(receipt.errorCode === undefined ? {} : { errorCode: receipt.errorCode }),
  };
  const ended = await deps.store.transaction(async (tx) => {
    const changed = await finishSmsMessage(tx, message.id, {
      state: receipt.status,
      errorCode: receipt.errorCode ?? null,
      providerMessageId: receipt.messageId,
      now,
    });
    if (changed === 1)
      await appendAudit(
        tx,
        [
          {
            actorType: 'system',
            actorId: 'sms-gateway',
            action: 'provider.sms.receipt',
            target: message.id,
            outcome: 'success',
            ip,
            details,
          },
        ],
        now,
      );
    return changed;
  });
  return ended === 1 ? 'recorded' : 'repeated';
}
