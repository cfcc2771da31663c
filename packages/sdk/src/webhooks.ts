// Webhook verification for merchants: `Anfu-Signature: t=<unix seconds>,v1=<hex>` where v1 is
// HMAC-SHA-256(endpoint secret, "<t>.<raw body>") (src/events/webhook-signature.ts). Checks the
// timestamp against a tolerance (replays), accepts any of several v1 values (secret rotation), and
// compares in constant time. Pass the raw body exactly as received: re-serialised JSON will not verify.
import type { components, webhooks } from './schema.ts';

export type WebhookTopic = keyof webhooks;
/** The envelope of each topic, from the OpenAPI document's `webhooks`. */
export type WebhookEvent = {
  [T in WebhookTopic]: NonNullable<webhooks[T]['post']['requestBody']>['content']['application/json'];
}[WebhookTopic];
export type { components };

export class WebhookSignatureError extends Error {
  constructor(readonly reason: 'malformed_header' | 'stale_timestamp' | 'signature_mismatch') {
    super(`webhook signature refused: ${reason}`);
    this.name = 'WebhookSignatureError';
  }
}

const encoder = new TextEncoder();
const hexBytes = (hex: string) => Uint8Array.from(hex.match(/../g) ?? [], (pair) => parseInt(pair, 16));

function parse(header: string): { t: number; v1: Uint8Array[] } | undefined {
  if (header.length > 2048) return undefined;
  let t: number | undefined;
  const v1: Uint8Array[] = [];
  for (const part of header.split(',')) {
    const [name, value, ...rest] = part.trim().split('=');
    if (value === undefined || rest.length > 0) return undefined;
    if (name === 't') {
      if (t !== undefined || !/^[0-9]{1,12}$/.test(value)) return undefined;
      t = Number(value);
    } else if (name === 'v1') {
      if (!/^[0-9a-f]{64}$/.test(value) || v1.length >= 8) return undefined;
      v1.push(hexBytes(value));
    }
  }
  return t === undefined || v1.length === 0 ? undefined : { t, v1 };
}

function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i += 1) difference |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return difference === 0;
}

export interface VerifyOptions {
  /** Accept deliveries signed at most this long ago or ahead (default 300 s). */
  readonly toleranceSeconds?: number;
  readonly now?: number;
}

/** Verifies a delivery and returns its parsed event; throws WebhookSignatureError otherwise. */
export async function verifyWebhook(
  secret: string,
  header: string | null | undefined,
  rawBody: string | Uint8Array,
  options: VerifyOptions = {},
): Promise<WebhookEvent> {
  const parsed = header === null || header === undefined ? undefined : parse(header);
  if (parsed === undefined) throw new WebhookSignatureError('malformed_header');
  const now = Math.floor((options.now ?? Date.now()) / 1000);
  if (Math.abs(now - parsed.t) > (options.toleranceSeconds ?? 300)) throw new WebhookSignatureError('stale_timestamp');
  const body = typeof rawBody === 'string' ? encoder.encode(rawBody) : rawBody;
  const key = await crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, [
    'sign',
  ]);
  const signed = Uint8Array.of(...encoder.encode(`${parsed.t}.`), ...body);
  const expected = new Uint8Array(await crypto.subtle.sign('HMAC', key, signed));
  let match = false;
  for (const candidate of parsed.v1) match = constantTimeEqual(candidate, expected) || match;
  if (!match) throw new WebhookSignatureError('signature_mismatch');
  return JSON.parse(new TextDecoder().decode(body)) as WebhookEvent;
}
