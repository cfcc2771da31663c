// Webhook signatures in Stripe's scheme: `Anfu-Signature: t=<unix seconds>,v1=<hex HMAC-SHA-256>` over
// "<t>.<raw body>" keyed with the endpoint's secret. The timestamp is signed too, so a captured
// delivery cannot be replayed outside the tolerance window with a fresh `t`.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const signatureHeaderName = 'Anfu-Signature';
/** Merchants should accept deliveries signed at most this long ago (or ahead, for clock skew). */
export const signatureToleranceSecondsDefault = 300;
const headerLengthMax = 2048;
const signaturesMax = 8;

export function webhookSignature(secret: string, timestampSeconds: number, body: string | Buffer): string {
  const hmac = createHmac('sha256', secret).update(`${timestampSeconds}.`, 'utf8');
  return (typeof body === 'string' ? hmac.update(body, 'utf8') : hmac.update(body)).digest('hex');
}

/** The header value for a body sent at `nowMs`. */
export function signatureHeader(secret: string, body: string, nowMs: number): string {
  const t = Math.floor(nowMs / 1000);
  return `t=${t},v1=${webhookSignature(secret, t, body)}`;
}

export type SignatureVerification =
  | { readonly ok: true; readonly timestampSeconds: number }
  | { readonly ok: false; readonly reason: 'malformed_header' | 'stale_timestamp' | 'signature_mismatch' };

interface ParsedHeader {
  readonly t: number;
  readonly v1: readonly Buffer[];
}

function parseHeader(header: string): ParsedHeader | undefined {
  if (header.length > headerLengthMax) return undefined;
  let t: number | undefined;
  const v1: Buffer[] = [];
  for (const part of header.split(',')) {
    const [name, value, ...rest] = part.trim().split('=');
    if (value === undefined || rest.length > 0) return undefined;
    if (name === 't') {
      if (t !== undefined || !/^[0-9]{1,12}$/.test(value)) return undefined;
      t = Number(value);
    } else if (name === 'v1') {
      if (!/^[0-9a-f]{64}$/.test(value) || v1.length >= signaturesMax) return undefined;
      v1.push(Buffer.from(value, 'hex'));
    }
    // Other schemes (v0, future v2) are ignored, as Stripe's libraries do.
  }
  return t === undefined || v1.length === 0 ? undefined : { t, v1 };
}

/**
 * Checks a delivery the way a merchant should: parse the header, refuse a timestamp outside
 * `toleranceSeconds` of `nowMs` (replay window), and compare every v1 signature in constant time
 * (several appear while an endpoint's secret is being rotated). `body` is the raw request body,
 * byte for byte; a re-serialised JSON object will not verify.
 */
export function verifyWebhookSignature(
  secret: string,
  header: string | undefined,
  body: string | Buffer,
  nowMs: number,
  toleranceSeconds: number = signatureToleranceSecondsDefault,
): SignatureVerification {
  const parsed = header === undefined ? undefined : parseHeader(header);
  if (parsed === undefined) return { ok: false, reason: 'malformed_header' };
  if (Math.abs(Math.floor(nowMs / 1000) - parsed.t) > toleranceSeconds) return { ok: false, reason: 'stale_timestamp' };
  const expected = Buffer.from(webhookSignature(secret, parsed.t, body), 'hex');
  let match = false;
  // No early exit: the time taken must not say which of the signatures matched.
  for (const candidate of parsed.v1) match = timingSafeEqual(candidate, expected) || match;
  return match ? { ok: true, timestampSeconds: parsed.t } : { ok: false, reason: 'signature_mismatch' };
}
