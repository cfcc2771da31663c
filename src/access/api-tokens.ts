// Operator API tokens: 256 random bits shown once, stored only as a SHA-256 hash (a preimage of a
// random 256-bit value cannot be found, so a slow password hash adds nothing here). A token belongs
// to one named operator and acts with that operator's current role; it expires (90 days unless a
// shorter or configured maximum applies) and can be revoked. Issuing and revoking are audited.
// Tokens are for automation: they read and propose, but never approve (src/access/approvals.ts).
import { createHash, randomBytes } from 'node:crypto';
import { newId } from '../ids.ts';
import type { Queryable, Store } from '../store/index.ts';
import { audit, type Actor } from './actor.ts';
import {
  apiTokenById, insertApiToken, listApiTokenRows, liveTokenByHash, markTokenRevoked, type ApiTokenRow,
} from './credentials-store.ts';
import { operatorById, operatorByName, type OperatorRow } from './store.ts';

export const operatorRoles = ['administrator', 'operations', 'risk_analyst', 'customer_service', 'auditor'] as const;
export type OperatorRole = (typeof operatorRoles)[number];

export interface Principal {
  readonly kind: 'operator';
  /** Always the operator's id, whether they came by session or by token. */
  readonly id: string;
  readonly name: string;
  readonly role: OperatorRole;
  /** Set when the principal logged in interactively (password + TOTP). */
  readonly sessionId?: string;
  /** Set when the principal is an API token (automation, no MFA). */
  readonly tokenId?: string;
  /** Who created this operator: a checker may not approve what their creator proposed. */
  readonly createdBy?: string | null;
}

export const tokenTtlDaysDefault = 90;
const dayMs = 24 * 3600_000;
// 32 bytes in canonical base64url: the last of 43 characters carries 4 bits and two zero bits.
const tokenPattern = /^anfu_op_[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/;

const hashOf = (token: string) => createHash('sha256').update(token).digest('hex');

export interface IssuedToken {
  readonly id: string;
  /** The secret itself: shown once to whoever created it, never stored or logged. */
  readonly token: string;
  readonly operatorId: string;
  readonly expiresAt: number;
}

export type IssueTokenRefusal = 'operator_not_found' | 'operator_not_active' | 'validation_failed';
export type IssueTokenOutcome =
  | { readonly ok: true; readonly issued: IssuedToken }
  | { readonly ok: false; readonly code: IssueTokenRefusal };

/** An operator may hold tokens once enrolled, active and granted their role. */
export function operatorUsable(operator: OperatorRow | undefined): operator is OperatorRow {
  if (operator === undefined || operator.status !== 'active') return false;
  return operator.enrolledAt !== null && operator.roleGrantedAt !== null;
}

/** Pure: the lifetime a request gets, or undefined when it asks for more than the configured maximum. */
export function tokenLifetimeMs(requestedDays: number | undefined, maxDays: number): number | undefined {
  const days = requestedDays ?? Math.min(tokenTtlDaysDefault, maxDays);
  if (!Number.isInteger(days) || days < 1 || days > maxDays) return undefined;
  return days * dayMs;
}

export async function issueApiToken(
  store: Store,
  actor: Actor,
  input: { operator: { id: string } | { name: string }; name: string; days?: number | undefined; maxDays: number },
  now: number,
): Promise<IssueTokenOutcome> {
  const lifetimeMs = tokenLifetimeMs(input.days, input.maxDays);
  const nameOk = input.name.length >= 1 && input.name.length <= 100;
  if (lifetimeMs === undefined || !nameOk) return { ok: false, code: 'validation_failed' };
  const id = newId('tok', now);
  const token = `anfu_op_${randomBytes(32).toString('base64url')}`;
  return store.transaction(async (tx) => {
    const operator = 'id' in input.operator
      ? await operatorById(tx, input.operator.id)
      : await operatorByName(tx, input.operator.name);
    const usable = operatorUsable(operator);
    const refusal = operator === undefined ? 'operator_not_found' : usable ? undefined : 'operator_not_active';
    if (refusal !== undefined || operator === undefined) {
      const reason = refusal ?? 'operator_not_found';
      const target = operator?.id ?? null;
      await audit(tx, actor, [{ action: 'operator.token.issue', target, outcome: 'denied', details: { reason } }], now);
      return { ok: false, code: reason };
    }
    const expiresAt = now + lifetimeMs;
    const createdBy = actor.principal?.id ?? 'cli';
    const owner = { operatorId: operator.id, role: operator.role };
    await insertApiToken(tx, { id, name: input.name, ...owner, tokenHash: hashOf(token), createdBy, now, expiresAt });
    const details = { operator: operator.id, expiresAt: new Date(expiresAt).toISOString() };
    await audit(tx, actor, [{ action: 'operator.token.issue', target: id, outcome: 'success', details }], now);
    return { ok: true, issued: { id, token, operatorId: operator.id, expiresAt } };
  });
}

/** The principal a bearer token stands for; undefined for a malformed, unknown, expired or revoked token. */
export async function authenticateApiToken(q: Queryable, token: string, now: number): Promise<Principal | undefined> {
  if (!tokenPattern.test(token)) return undefined;
  const row = await liveTokenByHash(q, hashOf(token), now);
  if (row === undefined) return undefined;
  const operator = await operatorById(q, row.operatorId);
  if (!operatorUsable(operator)) return undefined;
  const { id, name, role, createdBy } = operator;
  return { kind: 'operator', id, name, role, tokenId: row.id, createdBy };
}

export type RevokeTokenOutcome =
  | { readonly ok: true; readonly token: ApiTokenRow }
  | { readonly ok: false; readonly code: 'token_not_found' | 'forbidden' };

/**
 * Revokes a token: an operator their own, an administrator anyone's (and the CLI any). Revoking
 * never issues anything in its place, so revoking every token leaves none.
 */
export async function revokeApiToken(store: Store, actor: Actor, id: string, now: number): Promise<RevokeTokenOutcome> {
  return store.transaction(async (tx) => {
    const token = await apiTokenById(tx, id);
    const principal = actor.principal;
    // The CLI (a system actor) may revoke any token; over the API, the owner or an administrator.
    const mayRevoke = principal === undefined
      ? actor.type === 'system'
      : principal.role === 'administrator' || principal.id === token?.operatorId;
    const refusal = token === undefined ? 'token_not_found' : mayRevoke ? undefined : 'forbidden';
    if (refusal !== undefined || token === undefined) {
      const reason = refusal ?? 'token_not_found';
      const target = token === undefined ? null : id;
      const line = { action: 'operator.token.revoke', target, outcome: 'denied' as const, details: { reason } };
      await audit(tx, actor, [line], now);
      return { ok: false, code: reason };
    }
    const revoked = await markTokenRevoked(tx, id, now);
    const details = { operator: token.operatorId, ...(revoked ? {} : { already: true }) };
    await audit(tx, actor, [{ action: 'operator.token.revoke', target: id, outcome: 'success', details }], now);
    return { ok: true, token: (await apiTokenById(tx, id)) ?? token };
  });
}

export async function listApiTokens(
  q: Queryable,
  filter: { operatorId?: string | undefined; liveAt?: number | undefined; limit: number },
): Promise<ApiTokenRow[]> {
  return listApiTokenRows(q, { operatorId: filter.operatorId, live: filter.liveAt, limit: filter.limit });
}

export type { ApiTokenRow };
