// Who asked for an events operation, as the audit log records it; the HTTP edge builds it from the
// authenticated operator, jobs use `systemAuditActor`.
import type { AuditEvent } from '../audit/index.ts';
import { appendAudit } from '../audit/index.ts';
import type { Tx } from '../store/index.ts';

export type AuditActor = Pick<AuditEvent, 'actorType' | 'actorId' | 'ip' | 'device'>;

export const systemAuditActor: AuditActor = { actorType: 'system', actorId: null, ip: null, device: null };

export async function auditEvents(tx: Tx, actor: AuditActor, action: string, target: string, details: Record<string, unknown>, now: number): Promise<void> {
  await appendAudit(tx, [{ ...actor, action, target, outcome: 'success', details }], now);
}
