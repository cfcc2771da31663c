// Who did something, from where: the operator (if authenticated), the client address and device
// (user agent), as the audit log records them. Built once per request at the HTTP edge.
import type { AuditEvent } from '../audit/index.ts';
import type { Tx } from '../store/index.ts';
import { appendAudit } from '../audit/index.ts';
import type { Principal } from './api-tokens.ts';

export interface Actor {
  /** 'operator' also for an anonymous caller of an operator endpoint (a login attempt, a forged token). */
  readonly type: 'operator' | 'system';
  readonly principal: Principal | undefined;
  readonly ip: string | null;
  readonly device: string | null;
}

export const systemActor: Actor = { type: 'system', principal: undefined, ip: null, device: null };

export interface AuditLine {
  readonly action: string;
  readonly target: string | null;
  readonly outcome: AuditEvent['outcome'];
  readonly details?: Record<string, unknown>;
}

/** The session or API token an operator acted through: every entry of an operator names it. */
export function credentialOf(actor: Actor): string | undefined {
  return actor.principal?.sessionId ?? actor.principal?.tokenId;
}

export function auditEventOf(actor: Actor, line: AuditLine): AuditEvent {
  const credential = credentialOf(actor);
  const details = credential === undefined ? line.details : { ...line.details, credential };
  return {
    actorType: actor.type,
    actorId: actor.principal?.id ?? null,
    action: line.action,
    target: line.target,
    outcome: line.outcome,
    ip: actor.ip,
    device: actor.device,
    ...(details === undefined ? {} : { details }),
  };
}

export async function audit(tx: Tx, actor: Actor, lines: readonly AuditLine[], now: number): Promise<void> {
  await appendAudit(tx, lines.map((line) => auditEventOf(actor, line)), now);
}
