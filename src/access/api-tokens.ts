// Operator API tokens: 256 random bits shown once, stored only as a SHA-256 hash (a preimage of a
// random 256-bit value cannot be found, so a slow password hash adds nothing here).
import { createHash, randomBytes } from 'node:crypto';
import { newId } from '../ids.ts';
import type { Store } from '../store/index.ts';

export const operatorRoles = ['administrator', 'operations', 'risk_analyst', 'customer_service', 'auditor'] as const;
export type OperatorRole = (typeof operatorRoles)[number];

export interface Principal {
  readonly kind: 'operator';
  readonly id: string;
  readonly name: string;
  readonly role: OperatorRole;
  /** Set when the principal logged in interactively; absent for API tokens (automation). */
  readonly sessionId?: string;
}

// 32 bytes in canonical base64url: the last of 43 characters carries 4 bits and two zero bits.
const tokenPattern = /^anfu_op_[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/;

function hashOf(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export interface IssuedToken {
  readonly id: string;
  /** The secret itself: shown once to whoever created it, never stored or logged. */
  readonly token: string;
}

export async function issueApiToken(store: Store, input: { name: string; role: OperatorRole }, now: number): Promise<IssuedToken> {
  const id = newId('tok', now);
  const token = `anfu_op_${randomBytes(32).toString('base64url')}`;
  await store.run('INSERT INTO api_tokens (id, name, token_hash, role, created_at) VALUES (?, ?, ?, ?, ?)', [id, input.name, hashOf(token), input.role, now]);
  return { id, token };
}

/** The principal a bearer token stands for, or undefined for a malformed, unknown or revoked token. */
export async function authenticateApiToken(store: Store, token: string): Promise<Principal | undefined> {
  if (!tokenPattern.test(token)) return undefined;
  const row = await store.get<{ id: string; name: string; role: string }>('SELECT id, name, role FROM api_tokens WHERE token_hash = ? AND revoked_at IS NULL', [hashOf(token)]);
  if (row === undefined) return undefined;
  return { kind: 'operator', id: String(row.id), name: String(row.name), role: String(row.role) as OperatorRole };
}

export async function revokeApiToken(store: Store, id: string, now: number): Promise<boolean> {
  return (await store.run('UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL', [now, id])) === 1;
}

export async function countApiTokens(store: Store): Promise<number> {
  const row = await store.get<{ n: unknown }>('SELECT COUNT(*) AS n FROM api_tokens WHERE revoked_at IS NULL');
  return Number(row?.n ?? 0);
}
