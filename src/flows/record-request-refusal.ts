// Refused signed requests leave a trace (R7.4, R8.2): a refused payment instruction or merchant
// request is audited (outcome `denied`, the refusal code, never the body or signature) and, when it
// smells of forgery, replay or a stale clock, raises a typed security event, quieted per source and
// subject so a flood of attempts yields one alert per window. The refused payment's own transaction
// did not commit, so this is its own short transaction, after it. Only refusals pay for it.
import { raiseSecurityEvent, type SecurityEventType, type Severity } from '../access/index.ts';
import { appendAudit, type AuditEvent } from '../audit/index.ts';
import type { PayingCustomer, MerchantRequestRefusal } from '../payments/index.ts';
import type { Store } from '../store/index.ts';

/** Where a request came from, as the HTTP edge saw it. */
export interface RequestOrigin {
  readonly ip: string | null;
  /** The request URL as received; only a refusal turns it into an audit target (pathOf). */
  readonly url: string;
}

/** One security event of a type per source and subject in this window; every attempt is still audited. */
export const refusalEventQuietMs = 60_000;
const targetLengthMax = 200;

interface EventClass {
  readonly type: SecurityEventType;
  readonly severity: Severity;
}

const forged: EventClass = { type: 'forged_request', severity: 'high' };
const replayed: EventClass = { type: 'replayed_request', severity: 'high' };
const stale: EventClass = { type: 'stale_request', severity: 'medium' };

/** Instruction refusal codes and the security event each raises; a code without one is audited only. */
const instructionEvents: Readonly<Record<string, EventClass | undefined>> = {
  signature_invalid: forged,
  device_certificate_invalid: forged,
  device_revoked: forged,
  instruction_mismatch: forged,
  instruction_replayed: replayed,
  instruction_stale: stale,
  certificate_expired: stale,
};

const merchantEvents: Readonly<Record<MerchantRequestRefusal, EventClass | undefined>> = {
  headers_missing: undefined,
  headers_malformed: forged,
  key_unknown: forged,
  signature_invalid: forged,
  signature_replayed: replayed,
  timestamp_stale: stale,
};

export function originOf(ip: string | null | undefined, url: string): RequestOrigin {
  return { ip: ip ?? null, url };
}

/** The path without its query, shortened to fit the audit target. */
function pathOf(origin: RequestOrigin): string {
  return (origin.url.split('?')[0] ?? '').slice(0, targetLengthMax);
}

async function record(store: Store, entry: AuditEvent, event: EventClass | undefined, quiet: { source: string | null; subject: string | null; details: Record<string, unknown> }, now: number): Promise<void> {
  await store.transaction(async (tx) => {
    await appendAudit(tx, [entry], now);
    if (event !== undefined) await raiseSecurityEvent(tx, { type: event.type, severity: event.severity, source: quiet.source, subject: quiet.subject, details: quiet.details, quietMs: refusalEventQuietMs }, now);
  });
}

export interface InstructionRefusalRecord {
  /** The problem code the customer got. */
  readonly code: string;
  /** The payment id the refused payment had been given (a replay or a limit caught in its transaction). */
  readonly paymentId?: string | undefined;
  /** For limit_exceeded: which limit. */
  readonly limit?: string | undefined;
}

/** Audits a refused payment instruction of an authenticated customer and raises its security event. */
export async function recordInstructionRefusal(deps: { readonly store: Store; readonly clock: () => number }, principal: PayingCustomer, origin: RequestOrigin | undefined, refusal: InstructionRefusalRecord): Promise<void> {
  const limit = refusal.code === 'limit_exceeded';
  const details = limit ? { code: refusal.code, limit: refusal.limit ?? null } : { code: refusal.code };
  const entry: AuditEvent = {
    actorType: 'customer', actorId: principal.customerId, device: principal.deviceId, ip: origin?.ip ?? null,
    action: limit ? 'payment.limit_refused' : 'payment.instruction_refused', target: refusal.paymentId ?? (origin === undefined ? null : pathOf(origin)), outcome: 'denied', details,
  };
  const event = limit ? undefined : instructionEvents[refusal.code];
  await record(deps.store, entry, event, { source: origin?.ip ?? null, subject: principal.deviceId, details: { channel: 'payment_instruction', code: refusal.code } }, deps.clock());
}

/** Audits a refused merchant request (the merchant only when its signature verified) and raises its security event. */
export async function recordMerchantRequestRefusal(deps: { readonly store: Store; readonly clock: () => number }, origin: RequestOrigin, refusal: { reason: MerchantRequestRefusal; keyId: string | null; merchantId: string | null }): Promise<void> {
  const details = { code: 'merchant_signature_invalid', reason: refusal.reason, keyId: refusal.keyId };
  const entry: AuditEvent = { actorType: 'merchant', actorId: refusal.merchantId, ip: origin.ip, action: 'merchant.request_refused', target: pathOf(origin), outcome: 'denied', details };
  await record(deps.store, entry, merchantEvents[refusal.reason], { source: origin.ip, subject: refusal.keyId, details: { channel: 'merchant_request', reason: refusal.reason } }, deps.clock());
}
