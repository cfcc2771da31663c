// Security events (R7.4): typed signals with a severity, stored in the same transaction as whatever
// raised them, audited, shown to operators, counted in /metrics and delivered to a webhook after
// commit (security-alerts.ts). Other capabilities raise theirs through `raiseSecurityEvent`.
import { newId } from '../ids.ts';
import type { Store, Tx } from '../store/index.ts';
import { audit, systemActor } from './actor.ts';
import { insertSecurityEvent, listSecurityEventRows, recentSecurityEvent, type SecurityEventRow, type Severity } from './store.ts';

export const securityEventTypes = ['brute_force', 'credential_stuffing', 'replayed_request', 'forged_request', 'stale_request', 'api_error_rate', 'audit_verification_failed'] as const;
export type SecurityEventType = (typeof securityEventTypes)[number];
export const severities = ['low', 'medium', 'high', 'critical'] as const satisfies readonly Severity[];
export type { Severity, SecurityEventRow as SecurityEvent };

const defaultSeverity: Readonly<Record<SecurityEventType, Severity>> = {
  brute_force: 'high',
  credential_stuffing: 'high',
  replayed_request: 'high',
  forged_request: 'high',
  stale_request: 'medium',
  api_error_rate: 'medium',
  audit_verification_failed: 'critical',
};

export interface SecurityEventInput {
  readonly type: SecurityEventType;
  readonly severity?: Severity;
  /** Where it came from: a client address, a device id; never personal data. */
  readonly source?: string | null;
  /** What it is about: an operator id, an account id, a request id. */
  readonly subject?: string | null;
  readonly details?: Record<string, unknown>;
  /** Skip if an event of the same type, source and subject was raised this recently (one alert per storm). */
  readonly quietMs?: number;
}

/** Records a security event in `tx` (with its audit entry); returns its id, or undefined when quieted. */
export async function raiseSecurityEvent(tx: Tx, input: SecurityEventInput, now: number): Promise<string | undefined> {
  const source = input.source ?? null;
  const subject = input.subject ?? null;
  if (input.quietMs !== undefined && (await recentSecurityEvent(tx, input.type, source, subject, now - input.quietMs))) return undefined;
  const id = newId('sev', now);
  const severity = input.severity ?? defaultSeverity[input.type];
  await insertSecurityEvent(tx, { id, type: input.type, severity, source, subject, details: input.details ?? {}, createdAt: now });
  await audit(tx, systemActor, [{ action: 'security_event.raise', target: id, outcome: 'success', details: { type: input.type, severity } }], now);
  return id;
}

/** For the audit verifier: a failed verification is a critical security event. */
export async function reportAuditVerificationFailure(store: Store, finding: { reason: string; entry?: string | number | bigint | null }, now: number): Promise<string | undefined> {
  const details = { reason: finding.reason.slice(0, 200), entry: finding.entry === undefined || finding.entry === null ? null : String(finding.entry) };
  return store.transaction((tx) => raiseSecurityEvent(tx, { type: 'audit_verification_failed', details }, now));
}

export interface SecurityEventQuery {
  readonly type?: SecurityEventType | undefined;
  readonly severity?: Severity | undefined;
  readonly before?: string | undefined;
  readonly limit: number;
}

export async function listSecurityEvents(store: Store, query: SecurityEventQuery): Promise<SecurityEventRow[]> {
  return listSecurityEventRows(store, query);
}
