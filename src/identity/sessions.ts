// Customer sessions (R3.7): a short-lived access token bound to the session and its device, and a
// refresh token that rotates on every use. Presenting a spent refresh token is reuse — a stolen copy
// or a replay — and ends the whole session (the token family). Logout and device revocation end
// sessions at once because every request re-checks the session and device (`authenticateCustomer`).
import { randomBytes } from 'node:crypto';
import { AnfuError } from '../errors.ts';
import { newId } from '../ids.ts';
import type { Tx } from '../store/index.ts';
import { auditCustomer } from './customer-audit.ts';
import type { Identity, RequestMeta } from './identity.ts';
import { recordNotice } from './notices.ts';
import { strengthOf } from './step-up-factors.ts';
import { recordSessionStepUp } from './step-up-store.ts';
import { endSessions, extendSession, insertRefreshToken, insertSession, liveSession, refreshTokenByHash, sessionById, spendRefreshToken } from './store.ts';

export const refreshTokenPrefix = 'anfu_cr_';
export type FactorClass = 'password' | 'sms' | 'totp' | 'passkey' | 'recovery_code' | 'device_signature';

export interface IssuedSession {
  readonly sessionId: string;
  readonly customerId: string;
  readonly deviceId: string;
  readonly accessToken: string;
  readonly accessTokenExpiresAt: number;
  readonly refreshToken: string;
  readonly factors: readonly FactorClass[];
  readonly deviceSigned: boolean;
}

export interface CustomerPrincipal {
  readonly customerId: string;
  readonly sessionId: string;
  readonly deviceId: string;
  readonly factors: readonly string[];
  readonly deviceSigned: boolean;
}

function refreshHash(identity: Identity, token: string): Buffer {
  return identity.profile.hash(Buffer.from(`anfu refresh v1|${token}`, 'utf8'));
}

function newRefreshToken(): string {
  return `${refreshTokenPrefix}${randomBytes(32).toString('base64url')}`;
}

/** Creates a session in `tx`. The factors are the classes proven at login: what payment limits read (R6.2). */
export async function createSession(identity: Identity, tx: Tx, input: { customerId: string; deviceId: string; factors: readonly FactorClass[]; deviceSigned: boolean; ip: string | null }, now: number): Promise<IssuedSession> {
  const sessionId = newId('ses', now);
  const factors = [...new Set(input.factors)];
  await insertSession(tx, { id: sessionId, customerId: input.customerId, deviceId: input.deviceId, factors, deviceSigned: input.deviceSigned, ip: input.ip, createdAt: now, expiresAt: now + identity.config.customerRefreshTokenTtlMs });
  // The login's own factors count as a fresh step-up for a while (factor-changes.ts).
  await recordSessionStepUp(tx, sessionId, Math.max(strengthOf(factors), input.deviceSigned ? 2 : 0), now);
  const refreshToken = newRefreshToken();
  await insertRefreshToken(tx, refreshHash(identity, refreshToken), sessionId, now);
  const accessTokenExpiresAt = now + identity.config.customerAccessTokenTtlMs;
  const accessToken = identity.tokens.issue({ sessionId, customerId: input.customerId, deviceId: input.deviceId, expiresAt: accessTokenExpiresAt });
  return { sessionId, customerId: input.customerId, deviceId: input.deviceId, accessToken, accessTokenExpiresAt, refreshToken, factors, deviceSigned: input.deviceSigned };
}

/** The principal of a valid access token whose session, device and customer are all still live. */
export async function authenticateCustomer(identity: Identity, token: string): Promise<CustomerPrincipal | undefined> {
  const now = identity.clock();
  const claims = identity.tokens.verify(token, now);
  if (claims === undefined) return undefined;
  const session = await liveSession(identity.store, claims.sessionId, now);
  if (session === undefined || session.deviceId !== claims.deviceId || session.customerId !== claims.customerId) return undefined;
  return { customerId: session.customerId, sessionId: session.id, deviceId: session.deviceId, factors: session.factors, deviceSigned: session.deviceSigned };
}

/** The principal of an `Authorization: Bearer <access token>` header, as `authenticateCustomer` checks it. */
export async function authenticateBearer(identity: Identity, authorization: string | undefined): Promise<CustomerPrincipal | undefined> {
  const token = authorization === undefined ? undefined : /^Bearer ([\x21-\x7e]{1,600})$/.exec(authorization)?.[1];
  if (typeof token !== 'string') return undefined;
  await identity.ready();
  return authenticateCustomer(identity, token);
}

type RefreshOutcome = { ok: true; session: IssuedSession } | { ok: false; reused: boolean };

/** Rotates a refresh token: the old one is spent, a new one issued; a spent one revokes the session. */
export async function refreshSession(identity: Identity, refreshToken: string, meta: RequestMeta): Promise<IssuedSession> {
  const now = identity.clock();
  const hash = refreshHash(identity, refreshToken);
  const outcome = await identity.store.transaction(async (tx): Promise<RefreshOutcome> => {
    const found = await refreshTokenByHash(tx, hash);
    const session = found === undefined ? undefined : await sessionById(tx, found.sessionId);
    if (found === undefined || session === undefined) return { ok: false, reused: false };
    const audit = { ip: meta.ip, userAgent: meta.userAgent, deviceId: session.deviceId };
    if (found.state === 'used' || (await spendRefreshToken(tx, hash)) !== 1) {
      const ended = await endSessions(tx, { sessionId: session.id, customerId: session.customerId }, 'refresh_token_reuse', now);
      await auditCustomer(tx, session.customerId, audit, [{ action: 'customer.session.refresh', target: session.id, outcome: 'denied', details: { reason: 'refresh_token_reuse', sessionEnded: ended === 1 } }], now);
      if (ended === 1) await recordNotice(tx, session.customerId, 'session_reuse_detected', { sessionId: session.id }, now);
      return { ok: false, reused: true };
    }
    if ((await liveSession(tx, session.id, now)) === undefined) return { ok: false, reused: false };
    const next = newRefreshToken();
    await insertRefreshToken(tx, refreshHash(identity, next), session.id, now);
    await extendSession(tx, session.id, now, Math.min(now + identity.config.customerRefreshTokenTtlMs, session.createdAt + 4 * identity.config.customerRefreshTokenTtlMs));
    await auditCustomer(tx, session.customerId, audit, [{ action: 'customer.session.refresh', target: session.id, outcome: 'success' }], now);
    const accessTokenExpiresAt = now + identity.config.customerAccessTokenTtlMs;
    const accessToken = identity.tokens.issue({ sessionId: session.id, customerId: session.customerId, deviceId: session.deviceId, expiresAt: accessTokenExpiresAt });
    return { ok: true, session: { sessionId: session.id, customerId: session.customerId, deviceId: session.deviceId, accessToken, accessTokenExpiresAt, refreshToken: next, factors: session.factors as FactorClass[], deviceSigned: session.deviceSigned } };
  });
  if (!outcome.ok) throw new AnfuError('refresh_token_invalid', outcome.reused ? 'the refresh token was already used; the session has been ended' : undefined);
  return outcome.session;
}

/** Ends one of the customer's sessions (logout, or revoking another session from the list). */
export async function endSession(identity: Identity, principal: CustomerPrincipal, sessionId: string, meta: RequestMeta): Promise<void> {
  const now = identity.clock();
  const ended = await identity.store.transaction(async (tx) => {
    const count = await endSessions(tx, { sessionId, customerId: principal.customerId }, sessionId === principal.sessionId ? 'logout' : 'revoked', now);
    await auditCustomer(tx, principal.customerId, { ...meta, deviceId: principal.deviceId }, [{ action: sessionId === principal.sessionId ? 'customer.logout' : 'customer.session.revoke', target: sessionId, outcome: count === 1 ? 'success' : 'failure' }], now);
    return count;
  });
  if (ended !== 1) throw new AnfuError('not_found', 'no such live session');
}

/** Sensitive changes need the session to have proven a second factor (or a device signature). */
export function requireSecondFactor(principal: CustomerPrincipal): void {
  if (principal.factors.length >= 2 || principal.deviceSigned) return;
  throw new AnfuError('step_up_required', 'sign in again with a second factor to do this', { acceptableFactors: ['sms', 'totp', 'passkey', 'device_signature'] });
}
