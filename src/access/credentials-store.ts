// The SQL of operator credentials: enrolment (a code's hash, then the operator's own password and
// TOTP secret), the role grant, and API tokens that belong to an operator and expire.
import { toNumber, type Queryable, type Row } from '../store/index.ts';
import type { OperatorRole } from './api-tokens.ts';

const numberOrNull = (value: unknown): number | null =>
  (value === null || value === undefined ? null : toNumber(value));
const textOrNull = (value: unknown): string | null => (value === null || value === undefined ? null : String(value));

export interface Enrolment {
  readonly operatorId: string;
  readonly codeHash: string;
  readonly passwordHash: string;
  readonly totpSecretSealed: Buffer;
  readonly totpStep: number;
  readonly now: number;
}

/** Spends the enrolment code and sets the operator's own factors, only if the code is current and unexpired. */
export async function completeEnrolment(q: Queryable, e: Enrolment): Promise<boolean> {
  const changed = await q.run(
    `UPDATE operators SET password_hash = ?, totp_secret_sealed = ?, totp_last_step = ?, enrolled_at = ?,
       enrolment_code_hash = NULL, enrolment_expires_at = NULL
     WHERE id = ? AND enrolment_code_hash = ? AND enrolment_expires_at > ? AND enrolled_at IS NULL`,
    [e.passwordHash, e.totpSecretSealed, e.totpStep, e.now, e.operatorId, e.codeHash, e.now],
  );
  return changed === 1;
}

/** A fresh code replaces any earlier one (which then stops working); only for operators not yet enrolled. */
export async function replaceEnrolmentCode(
  q: Queryable, operatorId: string, codeHash: string, expiresAt: number,
): Promise<boolean> {
  const sql = `UPDATE operators SET enrolment_code_hash = ?, enrolment_expires_at = ?
    WHERE id = ? AND enrolled_at IS NULL`;
  return (await q.run(sql, [codeHash, expiresAt, operatorId])) === 1;
}

export async function grantRole(q: Queryable, operatorId: string, role: OperatorRole, now: number): Promise<boolean> {
  const sql = 'UPDATE operators SET role_granted_at = ? WHERE id = ? AND role = ? AND role_granted_at IS NULL';
  return (await q.run(sql, [now, operatorId, role])) === 1;
}

// API tokens

export interface ApiTokenRow {
  readonly id: string;
  readonly name: string;
  readonly operatorId: string;
  readonly operatorName: string;
  readonly createdBy: string | null;
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly revokedAt: number | null;
}

function tokenOf(row: Row): ApiTokenRow {
  return {
    id: String(row.id), name: String(row.name), operatorId: String(row.operator_id),
    operatorName: String(row.operator_name), createdBy: textOrNull(row.created_by), createdAt: toNumber(row.created_at),
    expiresAt: toNumber(row.expires_at), revokedAt: numberOrNull(row.revoked_at),
  };
}

const tokensWithOwner = `SELECT t.id, t.name, t.operator_id, o.name AS operator_name, t.created_by, t.created_at,
  t.expires_at, t.revoked_at FROM api_tokens t JOIN operators o ON o.id = t.operator_id`;

export interface NewApiToken {
  readonly id: string;
  readonly name: string;
  readonly operatorId: string;
  readonly role: OperatorRole;
  readonly tokenHash: string;
  readonly createdBy: string;
  readonly now: number;
  readonly expiresAt: number;
}

export async function insertApiToken(q: Queryable, t: NewApiToken): Promise<void> {
  // `role` fills the old column's NOT NULL; the role that counts is read from the operator on every use.
  const sql = `INSERT INTO api_tokens (id, name, token_hash, role, operator_id, created_by, created_at, expires_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?)`;
  await q.run(sql, [t.id, t.name, t.tokenHash, t.role, t.operatorId, t.createdBy, t.now, t.expiresAt]);
}

/** The live token with this hash: not revoked, not expired, of an operator (tokens from before operators had none). */
export async function liveTokenByHash(
  q: Queryable, tokenHash: string, now: number,
): Promise<{ id: string; operatorId: string } | undefined> {
  const sql = `SELECT id, operator_id FROM api_tokens
    WHERE token_hash = ? AND revoked_at IS NULL AND operator_id IS NOT NULL AND expires_at > ?`;
  const row = await q.get(sql, [tokenHash, now]);
  return row === undefined ? undefined : { id: String(row.id), operatorId: String(row.operator_id) };
}

export async function apiTokenById(q: Queryable, id: string): Promise<ApiTokenRow | undefined> {
  const row = await q.get(`${tokensWithOwner} WHERE t.id = ?`, [id]);
  return row === undefined ? undefined : tokenOf(row);
}

export interface TokenFilter {
  readonly operatorId?: string | undefined;
  /** Only tokens neither revoked nor expired at this time. */
  readonly live?: number | undefined;
  readonly limit: number;
}

export async function listApiTokenRows(q: Queryable, filter: TokenFilter): Promise<ApiTokenRow[]> {
  const where: string[] = [];
  const params: (string | number)[] = [];
  if (filter.operatorId !== undefined) {
    where.push('t.operator_id = ?');
    params.push(filter.operatorId);
  }
  if (filter.live !== undefined) {
    where.push('t.revoked_at IS NULL AND t.expires_at > ?');
    params.push(filter.live);
  }
  const condition = where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`;
  const sql = `${tokensWithOwner} ${condition} ORDER BY t.id DESC LIMIT ?`;
  return (await q.all(sql, [...params, filter.limit])).map(tokenOf);
}

export async function markTokenRevoked(q: Queryable, id: string, now: number): Promise<boolean> {
  return (await q.run('UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL', [now, id])) === 1;
}
