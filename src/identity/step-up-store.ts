// SQL of step-ups: SMS codes bound to what they authorise, subject-bound WebAuthn challenges, the
// session's last proven factor, the customer's last factor change, and failed logins per source.
import type { Queryable } from '../store/index.ts';
import { toNumber } from '../store/index.ts';

export type StepUpPurpose = 'payment' | 'factor_change';

export interface StepUpCodeRow {
  readonly id: string;
  readonly customerId: string;
  readonly purpose: StepUpPurpose;
  readonly subjectId: string;
  readonly codeHash: Buffer;
  readonly attempts: number;
  readonly expiresAt: number;
  readonly consumedAt: number | null;
}

export async function insertStepUpCode(
  q: Queryable,
  c: Omit<StepUpCodeRow, 'attempts' | 'consumedAt'> & { createdAt: number },
): Promise<void> {
  await q.run(
    `INSERT INTO step_up_codes (id, customer_id, purpose, subject_id, code_hash, created_at, expires_at)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
    [c.id, c.customerId, c.purpose, c.subjectId, c.codeHash, c.createdAt, c.expiresAt],
  );
}

export async function stepUpCodeById(q: Queryable, id: string): Promise<StepUpCodeRow | undefined> {
  const r = await q.get('SELECT * FROM step_up_codes WHERE id = ?', [id]);
  if (r === undefined) return undefined;
  return {
    id: r.id as string,
    customerId: r.customer_id as string,
    purpose: r.purpose as StepUpPurpose,
    subjectId: r.subject_id as string,
    codeHash: r.code_hash as Buffer,
    attempts: toNumber(r.attempts),
    expiresAt: toNumber(r.expires_at),
    consumedAt: r.consumed_at === null ? null : toNumber(r.consumed_at),
  };
}

export async function countStepUpCodeAttempt(q: Queryable, id: string): Promise<void> {
  await q.run('UPDATE step_up_codes SET attempts = attempts + 1 WHERE id = ?', [id]);
}

export async function consumeStepUpCode(q: Queryable, id: string, now: number): Promise<number> {
  return q.run('UPDATE step_up_codes SET consumed_at = ? WHERE id = ? AND consumed_at IS NULL', [now, id]);
}

export async function insertSubjectWebauthnChallenge(
  q: Queryable,
  c: { id: string; customerId: string; challenge: string; subjectId: string; expiresAt: number },
): Promise<void> {
  await q.run(
    `INSERT INTO webauthn_challenges (id, customer_id, purpose, challenge, login_challenge_id, subject_id, expires_at)
     VALUES (?, ?, 'authentication', ?, NULL, ?, ?)`,
    [c.id, c.customerId, c.challenge, c.subjectId, c.expiresAt],
  );
}

/** Spends the newest live challenge bound to `subjectId` (single use). */
export async function takeSubjectWebauthnChallenge(
  q: Queryable,
  customerId: string,
  subjectId: string,
  now: number,
): Promise<string | undefined> {
  const row = await q.get(
    `SELECT id, challenge FROM webauthn_challenges
     WHERE customer_id = ? AND purpose = 'authentication' AND subject_id = ? AND consumed_at IS NULL AND expires_at > ?
     ORDER BY expires_at DESC`,
    [customerId, subjectId, now],
  );
  if (row === undefined) return undefined;
  const spent = await q.run('UPDATE webauthn_challenges SET consumed_at = ? WHERE id = ? AND consumed_at IS NULL', [
    now,
    row.id as string,
  ]);
  return spent === 1 ? (row.challenge as string) : undefined;
}

export async function sessionStepUp(
  q: Queryable,
  sessionId: string,
): Promise<{ strength: number; at: number } | undefined> {
  const row = await q.get('SELECT step_up_strength, step_up_at FROM customer_sessions WHERE id = ?', [sessionId]);
  return row === undefined ? undefined : { strength: toNumber(row.step_up_strength), at: toNumber(row.step_up_at) };
}

export async function recordSessionStepUp(
  q: Queryable,
  sessionId: string,
  strength: number,
  now: number,
): Promise<void> {
  await q.run('UPDATE customer_sessions SET step_up_strength = ?, step_up_at = ? WHERE id = ?', [
    strength,
    now,
    sessionId,
  ]);
}

export async function markFactorChange(q: Queryable, customerId: string, now: number): Promise<void> {
  await q.run('UPDATE customers SET factor_changed_at = ? WHERE id = ?', [now, customerId]);
}

export async function factorChangedAt(q: Queryable, customerId: string): Promise<number | undefined> {
  const row = await q.get('SELECT factor_changed_at FROM customers WHERE id = ?', [customerId]);
  return row === undefined || row.factor_changed_at === null ? undefined : toNumber(row.factor_changed_at);
}

export async function certifiedDeviceCount(q: Queryable, customerId: string): Promise<number> {
  const row = await q.get(
    `SELECT COUNT(*) AS n FROM customer_devices
     WHERE customer_id = ? AND status = 'active' AND certificate_pem IS NOT NULL`,
    [customerId],
  );
  return toNumber(row?.n ?? 0);
}

export async function insertLoginFailureSource(
  q: Queryable,
  source: string,
  subjectHash: string,
  at: number,
): Promise<void> {
  await q.run('INSERT INTO login_failure_sources (source, subject_hash, at) VALUES (?, ?, ?)', [
    source,
    subjectHash,
    at,
  ]);
}

export async function distinctFailedSubjectsFrom(q: Queryable, source: string, since: number): Promise<number> {
  const row = await q.get(
    'SELECT COUNT(DISTINCT subject_hash) AS n FROM login_failure_sources WHERE source = ? AND at >= ?',
    [source, since],
  );
  return toNumber(row?.n ?? 0);
}
