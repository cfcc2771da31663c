// Identity's SQL. Personal data arrives here already sealed (personal-data.ts); secrets as hashes.
import type { Param, Queryable, Row } from '../store/index.ts';
import { toNumber } from '../store/index.ts';
import type { AccountClass } from './identity-verification.ts';
import type { ThrottleState } from './login-throttle.ts';

export interface CustomerRow {
  readonly id: string;
  readonly accountClass: AccountClass;
  readonly passwordHash: string;
  readonly totpState: 'none' | 'pending' | 'active';
  readonly totpLastStep: number;
  readonly status: 'active' | 'disabled';
  readonly phoneIndex: Buffer;
  readonly idNumberIndex: Buffer;
  /** When the wallet was opened (class I limits count from here). */
  readonly createdAt: number;
  /** The raw row, for revealing sealed columns. */
  readonly row: Row;
}

const customerColumns = 'id, phone_sealed, phone_index, name_sealed, id_number_sealed, id_number_index, account_class, password_hash, totp_secret_sealed, totp_state, totp_last_step, status, created_at';

function customerOf(row: Row | undefined): CustomerRow | undefined {
  if (row === undefined) return undefined;
  return {
    id: row.id as string,
    accountClass: row.account_class as AccountClass,
    passwordHash: row.password_hash as string,
    totpState: row.totp_state as CustomerRow['totpState'],
    totpLastStep: toNumber(row.totp_last_step),
    status: row.status as CustomerRow['status'],
    phoneIndex: row.phone_index as Buffer,
    idNumberIndex: row.id_number_index as Buffer,
    createdAt: toNumber(row.created_at),
    row,
  };
}

export async function customerById(q: Queryable, id: string): Promise<CustomerRow | undefined> {
  return customerOf(await q.get(`SELECT ${customerColumns} FROM customers WHERE id = ?`, [id]));
}

/** By a blind-index lookup (`phone_index IN (…)` from field protection). */
export async function customerWhere(q: Queryable, lookup: { sql: string; params: readonly Param[] }): Promise<CustomerRow | undefined> {
  return customerOf(await q.get(`SELECT ${customerColumns} FROM customers WHERE ${lookup.sql}`, lookup.params));
}

export interface NewCustomer {
  readonly id: string;
  readonly sealed: Record<string, Buffer>;
  readonly accountClass: AccountClass;
  readonly passwordHash: string;
  readonly now: number;
}

export async function insertCustomer(q: Queryable, c: NewCustomer): Promise<void> {
  const s = (name: string) => c.sealed[name] ?? null;
  await q.run(
    'INSERT INTO customers (id, phone_sealed, phone_index, name_sealed, id_number_sealed, id_number_index, account_class, password_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    [c.id, s('phone_sealed'), s('phone_index'), s('name_sealed'), s('id_number_sealed'), s('id_number_index'), c.accountClass, c.passwordHash, c.now, c.now],
  );
}

export async function updateCustomer(q: Queryable, id: string, set: Record<string, string | number | Buffer | null>, now: number): Promise<number> {
  const columns = Object.keys(set);
  for (const column of columns) if (!/^[a-z_]+$/.test(column)) throw new Error(`bad column ${column}`);
  return q.run(`UPDATE customers SET ${columns.map((c) => `${c} = ?`).join(', ')}, updated_at = ? WHERE id = ?`, [...Object.values(set), now, id]);
}

export async function insertVerification(q: Queryable, v: { id: string; customerId: string; source: string; reference: string; now: number }): Promise<void> {
  await q.run('INSERT INTO identity_verifications (id, customer_id, source, reference, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (customer_id, source) DO NOTHING', [v.id, v.customerId, v.source, v.reference, v.now]);
}

export async function verificationSources(q: Queryable, customerId: string): Promise<string[]> {
  const rows = await q.all<{ source: string }>('SELECT source FROM identity_verifications WHERE customer_id = ? ORDER BY created_at, source', [customerId]);
  return rows.map((r) => r.source);
}

// --- SMS codes -------------------------------------------------------------------------------

export interface SmsCodeRow {
  readonly id: string;
  readonly purpose: string;
  readonly phoneIndex: Buffer;
  readonly codeHash: Buffer;
  readonly attempts: number;
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly consumedAt: number | null;
}

function smsCodeOf(row: Row): SmsCodeRow {
  return {
    id: row.id as string, purpose: row.purpose as string, phoneIndex: row.phone_index as Buffer, codeHash: row.code_hash as Buffer, attempts: toNumber(row.attempts),
    createdAt: toNumber(row.created_at), expiresAt: toNumber(row.expires_at), consumedAt: row.consumed_at === null ? null : toNumber(row.consumed_at),
  };
}

export async function recentSmsCodes(q: Queryable, phoneIndexes: readonly Buffer[], purpose: string, since: number): Promise<SmsCodeRow[]> {
  const rows = await q.all(`SELECT * FROM sms_codes WHERE phone_index IN (${phoneIndexes.map(() => '?').join(', ')}) AND purpose = ? AND created_at >= ? ORDER BY created_at DESC`, [...phoneIndexes, purpose, since]);
  return rows.map(smsCodeOf);
}

export async function smsCodeById(q: Queryable, id: string): Promise<SmsCodeRow | undefined> {
  const row = await q.get('SELECT * FROM sms_codes WHERE id = ?', [id]);
  return row === undefined ? undefined : smsCodeOf(row);
}

export async function insertSmsCode(q: Queryable, c: Omit<SmsCodeRow, 'attempts' | 'consumedAt'>): Promise<void> {
  await q.run('INSERT INTO sms_codes (id, purpose, phone_index, code_hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)', [c.id, c.purpose, c.phoneIndex, c.codeHash, c.createdAt, c.expiresAt]);
}

export async function countSmsAttempt(q: Queryable, id: string): Promise<void> {
  await q.run('UPDATE sms_codes SET attempts = attempts + 1 WHERE id = ?', [id]);
}

/** Marks the code spent; 0 when another request spent it first. */
export async function consumeSmsCode(q: Queryable, id: string, now: number): Promise<number> {
  return q.run('UPDATE sms_codes SET consumed_at = ? WHERE id = ? AND consumed_at IS NULL', [now, id]);
}

// --- throttling ------------------------------------------------------------------------------

export async function throttleStates(q: Queryable, subjects: readonly string[]): Promise<Map<string, ThrottleState>> {
  const rows = await q.all(`SELECT subject, failures, last_failure_at, blocked_until FROM login_throttle WHERE subject IN (${subjects.map(() => '?').join(', ')})`, [...subjects]);
  return new Map(rows.map((r) => [r.subject as string, { failures: toNumber(r.failures), lastFailureAt: toNumber(r.last_failure_at), blockedUntil: toNumber(r.blocked_until) }]));
}

export async function saveThrottleState(q: Queryable, subject: string, state: ThrottleState): Promise<void> {
  await q.run(
    'INSERT INTO login_throttle (subject, failures, last_failure_at, blocked_until) VALUES (?, ?, ?, ?) ON CONFLICT (subject) DO UPDATE SET failures = excluded.failures, last_failure_at = excluded.last_failure_at, blocked_until = excluded.blocked_until',
    [subject, state.failures, state.lastFailureAt, state.blockedUntil],
  );
}

export async function clearThrottle(q: Queryable, subject: string): Promise<void> {
  await q.run('DELETE FROM login_throttle WHERE subject = ?', [subject]);
}

// --- login history ---------------------------------------------------------------------------

export async function insertLoginHistory(q: Queryable, h: { customerId: string; deviceId: string | null; ip: string | null; network: string | null; outcome: string; at: number }): Promise<void> {
  await q.run('INSERT INTO login_history (customer_id, device_id, ip, network, outcome, at) VALUES (?, ?, ?, ?, ?, ?)', [h.customerId, h.deviceId, h.ip, h.network, h.outcome, h.at]);
}

export async function loginHistorySummary(q: Queryable, customerId: string, now: number): Promise<{ networks: Set<string>; failures24h: number; attemptsLastHour: number }> {
  const networks = await q.all<{ network: string }>("SELECT DISTINCT network FROM login_history WHERE customer_id = ? AND outcome = 'success' AND network IS NOT NULL", [customerId]);
  const counts = await q.get<{ failures: unknown; recent: unknown }>(
    "SELECT SUM(CASE WHEN outcome = 'failure' AND at >= ? THEN 1 ELSE 0 END) AS failures, SUM(CASE WHEN at >= ? THEN 1 ELSE 0 END) AS recent FROM login_history WHERE customer_id = ? AND at >= ?",
    [now - 24 * 3600_000, now - 3600_000, customerId, now - 24 * 3600_000],
  );
  const n = (v: unknown) => (v === null || v === undefined ? 0 : toNumber(v));
  return { networks: new Set(networks.map((r) => r.network)), failures24h: n(counts?.failures), attemptsLastHour: n(counts?.recent) };
}

// --- devices -----------------------------------------------------------------------------------

export interface DeviceRow {
  readonly id: string;
  readonly customerId: string;
  readonly fingerprintHash: Buffer;
  readonly label: string;
  readonly status: 'active' | 'revoked';
  readonly publicKeyPem: string | null;
  readonly certificatePem: string | null;
  readonly certificateSerial: string | null;
  readonly createdAt: number;
  readonly lastSeenAt: number;
}

function deviceOf(r: Row): DeviceRow {
  return {
    id: r.id as string, customerId: r.customer_id as string, fingerprintHash: r.fingerprint_hash as Buffer, label: r.label as string, status: r.status as DeviceRow['status'],
    publicKeyPem: r.public_key_pem as string | null, certificatePem: r.certificate_pem as string | null, certificateSerial: r.certificate_serial as string | null,
    createdAt: toNumber(r.created_at), lastSeenAt: toNumber(r.last_seen_at),
  };
}

export async function devicesOf(q: Queryable, customerId: string): Promise<DeviceRow[]> {
  return (await q.all('SELECT * FROM customer_devices WHERE customer_id = ? ORDER BY created_at DESC, id', [customerId])).map(deviceOf);
}

export async function deviceById(q: Queryable, id: string): Promise<DeviceRow | undefined> {
  const row = await q.get('SELECT * FROM customer_devices WHERE id = ?', [id]);
  return row === undefined ? undefined : deviceOf(row);
}

export async function insertDevice(q: Queryable, d: { id: string; customerId: string; fingerprintHash: Buffer; label: string; now: number }): Promise<void> {
  await q.run('INSERT INTO customer_devices (id, customer_id, fingerprint_hash, label, created_at, last_seen_at) VALUES (?, ?, ?, ?, ?, ?)', [d.id, d.customerId, d.fingerprintHash, d.label, d.now, d.now]);
}

export async function touchDevice(q: Queryable, id: string, now: number): Promise<void> {
  await q.run('UPDATE customer_devices SET last_seen_at = ? WHERE id = ?', [now, id]);
}

export async function setDeviceCertificate(q: Queryable, id: string, c: { publicKeyPem: string; certificatePem: string; serial: string }): Promise<number> {
  return q.run("UPDATE customer_devices SET public_key_pem = ?, certificate_pem = ?, certificate_serial = ? WHERE id = ? AND status = 'active'", [c.publicKeyPem, c.certificatePem, c.serial, id]);
}

export async function revokeDevice(q: Queryable, id: string, customerId: string, now: number): Promise<number> {
  return q.run("UPDATE customer_devices SET status = 'revoked', revoked_at = ? WHERE id = ? AND customer_id = ? AND status = 'active'", [now, id, customerId]);
}

// --- sessions ----------------------------------------------------------------------------------

export interface SessionRow {
  readonly id: string;
  readonly customerId: string;
  readonly deviceId: string;
  readonly factors: readonly string[];
  readonly deviceSigned: boolean;
  readonly ip: string | null;
  readonly createdAt: number;
  readonly lastSeenAt: number;
  readonly expiresAt: number;
  readonly endedAt: number | null;
}

function sessionOf(r: Row): SessionRow {
  return {
    id: r.id as string, customerId: r.customer_id as string, deviceId: r.device_id as string, factors: (r.factors as string).split(',').filter((f) => f !== ''),
    deviceSigned: toNumber(r.device_signed) === 1, ip: r.ip as string | null, createdAt: toNumber(r.created_at), lastSeenAt: toNumber(r.last_seen_at),
    expiresAt: toNumber(r.expires_at), endedAt: r.ended_at === null ? null : toNumber(r.ended_at),
  };
}

export async function insertSession(q: Queryable, s: Omit<SessionRow, 'endedAt' | 'lastSeenAt'>): Promise<void> {
  await q.run(
    'INSERT INTO customer_sessions (id, customer_id, device_id, factors, device_signed, ip, created_at, last_seen_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    [s.id, s.customerId, s.deviceId, s.factors.join(','), s.deviceSigned ? 1 : 0, s.ip, s.createdAt, s.createdAt, s.expiresAt],
  );
}

export async function sessionById(q: Queryable, id: string): Promise<SessionRow | undefined> {
  const row = await q.get('SELECT * FROM customer_sessions WHERE id = ?', [id]);
  return row === undefined ? undefined : sessionOf(row);
}

/** The session with its device and customer, only while all three are live: the per-request check. */
export async function liveSession(q: Queryable, id: string, now: number): Promise<SessionRow | undefined> {
  const row = await q.get(
    `SELECT s.* FROM customer_sessions s JOIN customer_devices d ON d.id = s.device_id JOIN customers c ON c.id = s.customer_id
     WHERE s.id = ? AND s.ended_at IS NULL AND s.expires_at > ? AND d.status = 'active' AND c.status = 'active'`,
    [id, now],
  );
  return row === undefined ? undefined : sessionOf(row);
}

export async function sessionsOf(q: Queryable, customerId: string, now: number): Promise<SessionRow[]> {
  return (await q.all('SELECT * FROM customer_sessions WHERE customer_id = ? AND ended_at IS NULL AND expires_at > ? ORDER BY created_at DESC', [customerId, now])).map(sessionOf);
}

export async function endSessions(q: Queryable, where: { sessionId?: string; deviceId?: string; customerId: string }, reason: string, now: number): Promise<number> {
  if (where.sessionId !== undefined) return q.run('UPDATE customer_sessions SET ended_at = ?, end_reason = ? WHERE id = ? AND customer_id = ? AND ended_at IS NULL', [now, reason, where.sessionId, where.customerId]);
  if (where.deviceId !== undefined) return q.run('UPDATE customer_sessions SET ended_at = ?, end_reason = ? WHERE device_id = ? AND customer_id = ? AND ended_at IS NULL', [now, reason, where.deviceId, where.customerId]);
  return q.run('UPDATE customer_sessions SET ended_at = ?, end_reason = ? WHERE customer_id = ? AND ended_at IS NULL', [now, reason, where.customerId]);
}

export async function extendSession(q: Queryable, id: string, now: number, expiresAt: number): Promise<void> {
  await q.run('UPDATE customer_sessions SET last_seen_at = ?, expires_at = ? WHERE id = ?', [now, expiresAt, id]);
}

export async function insertRefreshToken(q: Queryable, tokenHash: Buffer, sessionId: string, now: number): Promise<void> {
  await q.run("INSERT INTO refresh_tokens (token_hash, session_id, state, created_at) VALUES (?, ?, 'active', ?)", [tokenHash, sessionId, now]);
}

export async function refreshTokenByHash(q: Queryable, tokenHash: Buffer): Promise<{ sessionId: string; state: 'active' | 'used' } | undefined> {
  const row = await q.get('SELECT session_id, state FROM refresh_tokens WHERE token_hash = ?', [tokenHash]);
  return row === undefined ? undefined : { sessionId: row.session_id as string, state: row.state as 'active' | 'used' };
}

/** Spends a refresh token; 0 when it was already spent (a concurrent or replayed use). */
export async function spendRefreshToken(q: Queryable, tokenHash: Buffer): Promise<number> {
  return q.run("UPDATE refresh_tokens SET state = 'used' WHERE token_hash = ? AND state = 'active'", [tokenHash]);
}

// --- login challenges --------------------------------------------------------------------------

export interface ChallengeRow {
  readonly id: string;
  readonly customerId: string;
  readonly deviceId: string;
  readonly factors: readonly string[];
  readonly context: { readonly newDevice: boolean; readonly reasons: readonly string[] };
  readonly nonce: string;
  readonly ip: string | null;
  readonly expiresAt: number;
  readonly attempts: number;
  readonly consumedAt: number | null;
}

export async function insertChallenge(q: Queryable, c: Omit<ChallengeRow, 'attempts' | 'consumedAt'> & { createdAt: number }): Promise<void> {
  await q.run(
    'INSERT INTO login_challenges (id, customer_id, device_id, factors, passed, nonce, ip, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    [c.id, c.customerId, c.deviceId, c.factors.join(','), JSON.stringify(c.context), c.nonce, c.ip, c.createdAt, c.expiresAt],
  );
}

export async function challengeById(q: Queryable, id: string): Promise<ChallengeRow | undefined> {
  const r = await q.get('SELECT * FROM login_challenges WHERE id = ?', [id]);
  if (r === undefined) return undefined;
  return {
    id: r.id as string, customerId: r.customer_id as string, deviceId: r.device_id as string, factors: (r.factors as string).split(','),
    context: JSON.parse(r.passed as string) as ChallengeRow['context'], nonce: r.nonce as string, ip: r.ip as string | null,
    expiresAt: toNumber(r.expires_at), attempts: toNumber(r.attempts), consumedAt: r.consumed_at === null ? null : toNumber(r.consumed_at),
  };
}

export async function countChallengeAttempt(q: Queryable, id: string): Promise<void> {
  await q.run('UPDATE login_challenges SET attempts = attempts + 1 WHERE id = ?', [id]);
}

export async function consumeChallenge(q: Queryable, id: string, now: number): Promise<number> {
  return q.run('UPDATE login_challenges SET consumed_at = ? WHERE id = ? AND consumed_at IS NULL', [now, id]);
}

// --- recovery codes, passkeys, notices -----------------------------------------------------------

export async function replaceRecoveryCodes(q: Queryable, customerId: string, hashes: readonly Buffer[], now: number): Promise<void> {
  await q.run('DELETE FROM recovery_codes WHERE customer_id = ?', [customerId]);
  for (const hash of hashes) await q.run('INSERT INTO recovery_codes (code_hash, customer_id, created_at) VALUES (?, ?, ?)', [hash, customerId, now]);
}

export async function useRecoveryCode(q: Queryable, customerId: string, hash: Buffer, now: number): Promise<number> {
  return q.run('UPDATE recovery_codes SET used_at = ? WHERE code_hash = ? AND customer_id = ? AND used_at IS NULL', [now, hash, customerId]);
}

export async function unusedRecoveryCodes(q: Queryable, customerId: string): Promise<number> {
  const row = await q.get<{ n: unknown }>('SELECT COUNT(*) AS n FROM recovery_codes WHERE customer_id = ? AND used_at IS NULL', [customerId]);
  return toNumber(row?.n ?? 0);
}

export interface PasskeyRow {
  readonly id: string;
  readonly credentialId: string;
  readonly publicKey: Buffer;
  readonly counter: number;
  readonly transports: string[];
  readonly label: string;
  readonly createdAt: number;
  readonly lastUsedAt: number | null;
}

export async function passkeysOf(q: Queryable, customerId: string): Promise<PasskeyRow[]> {
  const rows = await q.all('SELECT * FROM passkeys WHERE customer_id = ? ORDER BY created_at', [customerId]);
  return rows.map((r) => ({
    id: r.id as string, credentialId: r.credential_id as string, publicKey: r.public_key as Buffer, counter: toNumber(r.counter), transports: (r.transports as string).split(',').filter((t) => t !== ''),
    label: r.label as string, createdAt: toNumber(r.created_at), lastUsedAt: r.last_used_at === null ? null : toNumber(r.last_used_at),
  }));
}

export async function insertPasskey(q: Queryable, p: Omit<PasskeyRow, 'lastUsedAt'> & { customerId: string }): Promise<void> {
  await q.run('INSERT INTO passkeys (id, customer_id, credential_id, public_key, counter, transports, label, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)', [p.id, p.customerId, p.credentialId, p.publicKey, p.counter, p.transports.join(','), p.label, p.createdAt]);
}

export async function updatePasskeyCounter(q: Queryable, id: string, counter: number, now: number): Promise<void> {
  await q.run('UPDATE passkeys SET counter = ?, last_used_at = ? WHERE id = ?', [counter, now, id]);
}

export async function insertWebauthnChallenge(q: Queryable, c: { id: string; customerId: string; purpose: string; challenge: string; loginChallengeId: string | null; expiresAt: number }): Promise<void> {
  await q.run('INSERT INTO webauthn_challenges (id, customer_id, purpose, challenge, login_challenge_id, expires_at) VALUES (?, ?, ?, ?, ?, ?)', [c.id, c.customerId, c.purpose, c.challenge, c.loginChallengeId, c.expiresAt]);
}

/** Spends the newest live WebAuthn challenge of the purpose (single use: a replayed assertion finds none). */
export async function takeWebauthnChallenge(q: Queryable, customerId: string, purpose: string, loginChallengeId: string | null, now: number): Promise<string | undefined> {
  const row = await q.get(
    `SELECT id, challenge FROM webauthn_challenges WHERE customer_id = ? AND purpose = ? AND consumed_at IS NULL AND expires_at > ? AND ${loginChallengeId === null ? 'login_challenge_id IS NULL' : 'login_challenge_id = ?'} ORDER BY expires_at DESC`,
    loginChallengeId === null ? [customerId, purpose, now] : [customerId, purpose, now, loginChallengeId],
  );
  if (row === undefined) return undefined;
  const spent = await q.run('UPDATE webauthn_challenges SET consumed_at = ? WHERE id = ? AND consumed_at IS NULL', [now, row.id as string]);
  return spent === 1 ? (row.challenge as string) : undefined;
}

export async function insertNotice(q: Queryable, n: { id: string; customerId: string; kind: string; details: Record<string, unknown>; now: number }): Promise<void> {
  await q.run('INSERT INTO customer_notices (id, customer_id, kind, details, created_at) VALUES (?, ?, ?, ?, ?)', [n.id, n.customerId, n.kind, JSON.stringify(n.details), n.now]);
}

export async function noticesOf(q: Queryable, customerId: string, limit: number): Promise<Array<{ id: string; kind: string; details: Record<string, unknown>; createdAt: number }>> {
  const rows = await q.all('SELECT id, kind, details, created_at FROM customer_notices WHERE customer_id = ? ORDER BY created_at DESC, id DESC LIMIT ?', [customerId, limit]);
  return rows.map((r) => ({ id: r.id as string, kind: r.kind as string, details: JSON.parse(r.details as string) as Record<string, unknown>, createdAt: toNumber(r.created_at) }));
}
