// Identity's audit lines: every step, success or not, in the same transaction as its effect. Details
// carry ids, reasons and counts only — never a phone number, name, ID number, code or password.
import { appendAudit, type AuditEvent } from '../audit/index.ts';
import type { Tx } from '../store/index.ts';
import type { RequestMeta } from './identity.ts';

export interface AuditLine {
  readonly action: string;
  readonly target: string | null;
  readonly outcome: AuditEvent['outcome'];
  readonly details?: Record<string, unknown>;
}

export async function auditCustomer(tx: Tx, customerId: string | null, meta: RequestMeta & { readonly deviceId?: string | null }, lines: readonly AuditLine[], now: number): Promise<void> {
  await appendAudit(
    tx,
    lines.map((line) => ({
      actorType: 'customer' as const,
      actorId: customerId,
      action: line.action,
      target: line.target,
      outcome: line.outcome,
      ip: meta.ip,
      device: meta.deviceId ?? null,
      ...(line.details === undefined ? {} : { details: line.details }),
    })),
    now,
  );
}
