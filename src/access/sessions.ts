// Operator sessions: a random 256-bit bearer token, stored only as its SHA-256 hash (like API
// tokens). A session ends after 15 idle minutes, 8 hours after login, or at logout; the role is read
// from the operator row on every request, so a role change applies at once.
import { createHash, randomBytes } from 'node:crypto';
import { newId } from '../ids.ts';
import type { Store, Tx } from '../store/index.ts';
import { audit, type Actor } from './actor.ts';
import { operatorUsable, type Principal } from './api-tokens.ts';
import { endSession, insertSession, operatorById, sessionByHash, touchSession } from './store.ts';

// 32 bytes in canonical base64url: the last of 43 characters carries 4 bits and two zero bits.
export const sessionTokenPattern = /^anfu_os_[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/;

export interface SessionPolicy {
  readonly idleMs: number;
  readonly absoluteMs: number;
}

const hashOf = (token: string) => createHash('sha256').update(token).digest('hex');

export async function openSession(tx: Tx, operatorId: string, now: number): Promise<{ id: string; token: string }> {
  const id = newId('ses', now);
  const token = `anfu_os_${randomBytes(32).toString('base64url')}`;
  await insertSession(tx, { id, operatorId, tokenHash: hashOf(token), now });
  return { id, token };
}

/** Pure: is a session still usable at `now`? */
/** How stale a session's last-seen time may be before a request writes it again. */
export const lastSeenResolutionMs = 30_000;

export function sessionLive(session: { createdAt: number; lastSeenAt: number; endedAt: number | null }, policy: SessionPolicy, now: number): boolean {
  return session.endedAt === null && now - session.lastSeenAt <= policy.idleMs && now - session.createdAt <= policy.absoluteMs;
}

/** The principal of a live session token, or undefined (malformed, unknown, ended, idle or too old). */
export async function authenticateSession(store: Store, token: string, policy: SessionPolicy, now: number): Promise<Principal | undefined> {
  if (!sessionTokenPattern.test(token)) return undefined;
  const session = await sessionByHash(store, hashOf(token));
  if (session === undefined || !sessionLive(session, policy, now)) return undefined;
  const operator = await operatorById(store, session.operatorId);
  if (!operatorUsable(operator)) return undefined;
  // Idle time is measured to the minute's precision: one write per session every 30 s, not per request.
  // The error only ever ends a session earlier, never later.
  if (now - session.lastSeenAt >= lastSeenResolutionMs) await touchSession(store, session.id, now);
  return { kind: 'operator', id: operator.id, name: operator.name, role: operator.role, sessionId: session.id, createdBy: operator.createdBy };
}

export async function logOutOperator(store: Store, actor: Actor, now: number): Promise<boolean> {
  const sessionId = actor.principal?.sessionId;
  if (sessionId === undefined) return false;
  return store.transaction(async (tx) => {
    const ended = await endSession(tx, sessionId, now);
    await audit(tx, actor, [{ action: 'operator.logout', target: sessionId, outcome: ended ? 'success' : 'failure' }], now);
    return ended;
  });
}
