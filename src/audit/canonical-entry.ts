// The canonical bytes of an audit entry: the one byte string its leaf hash covers, rebuilt by every
// verifier from the stored columns alone (docs/audit.md, "Entry canonical bytes"). A JSON object
// with a fixed key order, no whitespace and ECMAScript JSON.stringify escaping; `details` is the
// stored JSON text verbatim (written canonically at append: keys sorted, bigints as strings).
import { isDisplaySafe, untrustedText } from './untrusted-text.ts';

export const actorTypes = ['customer', 'operator', 'merchant', 'system'] as const;
export type ActorType = (typeof actorTypes)[number];
export const outcomes = ['success', 'failure', 'denied'] as const;
export type Outcome = (typeof outcomes)[number];

export interface AuditEvent {
  actorType: ActorType;
  actorId: string | null;
  /** Dotted lower-case name, e.g. 'operator.login', 'ledger.transfer', 'keys.rotate'. */
  action: string;
  /** What the action was on, e.g. 'acc_…', 'tr_123'. */
  target: string | null;
  outcome: Outcome;
  ip?: string | null;
  device?: string | null;
  /** No personal data in plain: references or ciphertext only (a few key names are refused outright). */
  details?: Record<string, unknown>;
}

/** One stored entry, as the database and the export hold it. */
export interface AuditRecord {
  readonly seq: bigint;
  readonly at: number;
  readonly actorType: string;
  readonly actorId: string | null;
  readonly device: string | null;
  readonly ip: string | null;
  readonly action: string;
  readonly target: string | null;
  readonly outcome: string;
  /** Canonical JSON text of the details object. */
  readonly details: string;
}

export const auditLimits = {
  actionLengthMax: 64,
  actorIdLengthMax: 128,
  targetLengthMax: 256,
  ipLengthMax: 64,
  deviceLengthMax: 256,
  detailsBytesMax: 16_384,
  detailsDepthMax: 8,
  eventsPerAppendMax: 100_000,
} as const;

// Linear: segments are separated by a literal dot, so no backtracking blow-up (the lint rule cannot tell).
// eslint-disable-next-line security/detect-unsafe-regex
const actionPattern = /^[a-z][a-z0-9_]*(\.[a-z0-9_]+){0,5}$/;
// Key names whose value is personal data or a secret by definition; details must reference or encrypt them.
const refusedDetailKeys = new Set(['password', 'passcode', 'secret', 'token', 'otp', 'totp', 'pin', 'pan', 'cardnumber', 'cvv', 'cvc', 'idnumber', 'phone', 'phonenumber', 'mobile', 'email']);

function nullableText(value: string | null | undefined, field: string, lengthMax: number): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string' || value.length > lengthMax || /[\u0000-\u001f\u007f]/.test(value)) {
    throw new Error(`audit event: ${field} must be a printable string of at most ${lengthMax} characters`);
  }
  return value;
}

/**
 * The client address and device come from the request: whatever a client sent there is escaped and
 * cut (untrusted-text.ts) rather than refused, so no header can make an audit write fail.
 */
function requestText(value: string | null | undefined, lengthMax: number): string | null {
  if (value === undefined || value === null) return null;
  const text = String(value);
  return isDisplaySafe(text, lengthMax) ? text : untrustedText(text, lengthMax);
}

function canonicalValue(value: unknown, depth: number): unknown {
  if (depth > auditLimits.detailsDepthMax) throw new Error('audit event: details nested too deeply');
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error('audit event: details numbers must be finite');
    return value;
  }
  if (typeof value === 'bigint') return value.toString();
  if (Array.isArray(value)) return value.map((v) => canonicalValue(v, depth + 1));
  if (Buffer.isBuffer(value)) return value.toString('base64');
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value as object).sort()) {
      if (refusedDetailKeys.has(key.toLowerCase().replace(/[-_]/g, ''))) {
        throw new Error(`audit event: details.${key} would put personal data or a secret in the log; store a reference or ciphertext`);
      }
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = canonicalValue(v, depth + 1);
    }
    return out;
  }
  throw new Error(`audit event: details cannot hold a ${typeof value}`);
}

/** Canonical JSON text of details: sorted keys, bigints and Buffers as strings, bounded in size. */
export function canonicalDetails(details: Record<string, unknown> | undefined): string {
  const text = JSON.stringify(canonicalValue(details ?? {}, 0));
  if (Buffer.byteLength(text) > auditLimits.detailsBytesMax) throw new Error(`audit event: details exceed ${auditLimits.detailsBytesMax} bytes`);
  return text;
}

/** Validates an event (a bad one is a bug in the caller: it throws and rolls the caller's transaction back). */
export function recordOf(event: AuditEvent, seq: bigint, at: number): AuditRecord {
  if (!(actorTypes as readonly string[]).includes(event.actorType)) throw new Error(`audit event: unknown actorType ${String(event.actorType)}`);
  if (!(outcomes as readonly string[]).includes(event.outcome)) throw new Error(`audit event: unknown outcome ${String(event.outcome)}`);
  if (typeof event.action !== 'string' || event.action.length > auditLimits.actionLengthMax || !actionPattern.test(event.action)) {
    throw new Error(`audit event: action must be a dotted lower-case name, got ${JSON.stringify(String(event.action).slice(0, 80))}`);
  }
  if (!Number.isSafeInteger(at) || at < 0) throw new Error('audit event: time must be a non-negative integer of milliseconds');
  return {
    seq,
    at,
    actorType: event.actorType,
    actorId: nullableText(event.actorId, 'actorId', auditLimits.actorIdLengthMax),
    device: requestText(event.device, auditLimits.deviceLengthMax),
    ip: requestText(event.ip, auditLimits.ipLengthMax),
    action: event.action,
    target: nullableText(event.target, 'target', auditLimits.targetLengthMax),
    outcome: event.outcome,
    details: canonicalDetails(event.details),
  };
}

const text = (value: string | null): string => (value === null ? 'null' : JSON.stringify(value));

/** The canonical entry text; its UTF-8 bytes are what the leaf hash covers. */
export function canonicalEntry(r: AuditRecord): string {
  return `{"v":1,"seq":${r.seq},"time":${r.at},"actorType":${JSON.stringify(r.actorType)},"actorId":${text(r.actorId)},"device":${text(r.device)},"ip":${text(r.ip)},"action":${JSON.stringify(r.action)},"target":${text(r.target)},"outcome":${JSON.stringify(r.outcome)},"details":${r.details}}`;
}
