// Every change to a case is a row in case_events and an entry in the audit log (`case.*`), written
// in the same transaction; refused attempts are audited too (outcome 'denied', with the code).
// Notes' text and titles never reach the log: only ids, kinds and codes do.
import { credentialOf, type Actor } from '../access/index.ts';
import { appendAudit, type AuditEvent } from '../audit/index.ts';
import type { Queryable } from '../store/index.ts';
import { insertCaseEvent } from './store.ts';
import type { CaseActor } from './types.ts';

const isAccessActor = (actor: CaseActor): actor is Actor => actor.type === 'operator' || actor.type === 'system';

/** The id a case event names: an operator id, `customer:<id>`, `merchant:<id>` or `system`. */
export function actorIdOf(actor: CaseActor): string {
  if (isAccessActor(actor)) return actor.principal?.id ?? 'system';
  return `${actor.type}:${actor.id}`;
}

/** An actor from an `openedBy` string ('system:<cap>', 'customer:<id>', or an operator id). */
export function actorFromOpener(openedBy: string): CaseActor {
  if (openedBy.startsWith('customer:')) return { type: 'customer', id: openedBy.slice('customer:'.length) };
  if (openedBy.startsWith('merchant:')) return { type: 'merchant', id: openedBy.slice('merchant:'.length) };
  return { type: 'system', principal: undefined, ip: null, device: null };
}

export function caseAuditEvent(
  actor: CaseActor,
  action: string,
  target: string | null,
  outcome: AuditEvent['outcome'],
  details: Record<string, unknown>,
): AuditEvent {
  if (isAccessActor(actor)) {
    const credential = credentialOf(actor);
    return {
      actorType: actor.type,
      actorId: actor.principal?.id ?? null,
      action,
      target,
      outcome,
      ip: actor.ip,
      device: actor.device,
      details: credential === undefined ? details : { ...details, credential },
    };
  }
  return {
    actorType: actor.type,
    actorId: actor.id,
    action,
    target,
    outcome,
    ip: actor.ip ?? null,
    device: actor.device ?? null,
    details,
  };
}

/** One change: its event row and its audit entry, in the caller's transaction. */
export async function recordChange(
  tx: Queryable,
  actor: CaseActor,
  caseId: string,
  type: string,
  details: Record<string, unknown>,
  now: number,
): Promise<void> {
  await insertCaseEvent(tx, caseId, type, actorIdOf(actor), details, now);
  await appendAudit(tx, [caseAuditEvent(actor, `case.${type}`, caseId, 'success', details)], now);
}

/** A refused attempt: audited, nothing else written. */
export async function recordRefusal(
  tx: Queryable,
  actor: CaseActor,
  caseId: string | null,
  action: string,
  code: string,
  now: number,
  details: Record<string, unknown> = {},
): Promise<void> {
  await appendAudit(tx, [caseAuditEvent(actor, `case.${action}`, caseId, 'denied', { ...details, reason: code })], now);
}
