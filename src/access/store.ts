// The SQL of operator access: operators, sessions, login failures, proposals, security events and
// incidents. Row shapes become plain objects here; integers are read with toNumber.
import { toNumber, type Queryable, type Row } from '../store/index.ts';
import type { OperatorRole } from './api-tokens.ts';

export interface OperatorRow {
  readonly id: string;
  readonly name: string;
  readonly role: OperatorRole;
  readonly passwordHash: string;
  /** The TOTP secret sealed under 'totp-secret' (src/access/totp-secrets.ts). */
  readonly totpSecretSealed: Buffer | null;
  /** A TOTP secret written in plain before sealing (sealed at the next start); null once sealed. */
  readonly totpSecretPlain: string | null;
  readonly totpLastStep: number;
  readonly failedLogins: number;
  readonly lockedUntil: number | null;
  readonly status: 'active' | 'disabled';
  readonly createdAt: number;
  /** When the operator set their own password and TOTP secret; null while the enrolment code is outstanding. */
  readonly enrolledAt: number | null;
  /** When another administrator's approval made the role count; null while the grant is a proposal. */
  readonly roleGrantedAt: number | null;
  /** The operator who created this one ('cli' for the command line): they may not check each other. */
  readonly createdBy: string | null;
  /** SHA-256 of the outstanding enrolment code; null once spent. */
  readonly enrolmentCodeHash: string | null;
  readonly enrolmentExpiresAt: number | null;
}

const numberOrNull = (value: unknown): number | null => (value === null || value === undefined ? null : toNumber(value));
const textOrNull = (value: unknown): string | null => (value === null || value === undefined ? null : String(value));

function operatorOf(row: Row): OperatorRow {
  return {
    id: String(row.id), name: String(row.name), role: String(row.role) as OperatorRole, passwordHash: String(row.password_hash),
    totpSecretSealed: row.totp_secret_sealed === null || row.totp_secret_sealed === undefined ? null : Buffer.from(row.totp_secret_sealed as Uint8Array),
    totpSecretPlain: typeof row.totp_secret === 'string' && row.totp_secret !== '' ? row.totp_secret : null, totpLastStep: toNumber(row.totp_last_step), failedLogins: toNumber(row.failed_logins),
    lockedUntil: numberOrNull(row.locked_until), status: String(row.status) as OperatorRow['status'], createdAt: toNumber(row.created_at),
    enrolledAt: numberOrNull(row.enrolled_at), roleGrantedAt: numberOrNull(row.role_granted_at), createdBy: textOrNull(row.created_by),
    enrolmentCodeHash: textOrNull(row.enrolment_code_hash), enrolmentExpiresAt: numberOrNull(row.enrolment_expires_at),
  };
}

/**
 * A new operator has no password and no TOTP secret yet (empty columns match nothing at login), only
 * the hash of their enrolment code. The plain totp_secret column stays empty for good.
 */
export async function insertOperator(q: Queryable, o: Pick<OperatorRow, 'id' | 'name' | 'role' | 'createdAt' | 'createdBy'> & { enrolmentCodeHash: string; enrolmentExpiresAt: number }): Promise<void> {
  await q.run(
    "INSERT INTO operators (id, name, role, password_hash, totp_secret, created_at, created_by, enrolment_code_hash, enrolment_expires_at) VALUES (?, ?, ?, '', '', ?, ?, ?, ?)",
    [o.id, o.name, o.role, o.createdAt, o.createdBy, o.enrolmentCodeHash, o.enrolmentExpiresAt],
  );
}

export async function operatorByName(q: Queryable, name: string): Promise<OperatorRow | undefined> {
  const row = await q.get('SELECT * FROM operators WHERE name = ?', [name]);
  return row === undefined ? undefined : operatorOf(row);
}

export async function operatorById(q: Queryable, id: string): Promise<OperatorRow | undefined> {
  const row = await q.get('SELECT * FROM operators WHERE id = ?', [id]);
  return row === undefined ? undefined : operatorOf(row);
}

export async function listOperators(q: Queryable): Promise<OperatorRow[]> {
  return (await q.all('SELECT * FROM operators ORDER BY id')).map(operatorOf);
}

export async function countAdministrators(q: Queryable): Promise<number> {
  const row = await q.get("SELECT COUNT(*) AS n FROM operators WHERE role = 'administrator' AND status = 'active' AND role_granted_at IS NOT NULL");
  return toNumber(row?.n ?? 0n);
}

export async function updateLoginFailure(q: Queryable, id: string, failedLogins: number, lockedUntil: number | null): Promise<void> {
  await q.run('UPDATE operators SET failed_logins = ?, locked_until = ? WHERE id = ?', [failedLogins, lockedUntil, id]);
}

/** Accepts a TOTP step only if it is newer than the last one accepted: the UPDATE is the replay guard. */
export async function acceptLogin(q: Queryable, id: string, step: number): Promise<boolean> {
  return (await q.run('UPDATE operators SET failed_logins = 0, locked_until = NULL, totp_last_step = ? WHERE id = ? AND totp_last_step < ?', [step, id, step])) === 1;
}

export async function updateOperatorRole(q: Queryable, id: string, role: OperatorRole): Promise<boolean> {
  return (await q.run('UPDATE operators SET role = ? WHERE id = ?', [role, id])) === 1;
}

// sessions

export interface SessionRow {
  readonly id: string;
  readonly operatorId: string;
  readonly createdAt: number;
  readonly lastSeenAt: number;
  readonly endedAt: number | null;
}

export async function insertSession(q: Queryable, s: { id: string; operatorId: string; tokenHash: string; now: number }): Promise<void> {
  await q.run('INSERT INTO operator_sessions (id, operator_id, token_hash, created_at, last_seen_at) VALUES (?, ?, ?, ?, ?)', [s.id, s.operatorId, s.tokenHash, s.now, s.now]);
}

export async function sessionByHash(q: Queryable, tokenHash: string): Promise<SessionRow | undefined> {
  const row = await q.get('SELECT id, operator_id, created_at, last_seen_at, ended_at FROM operator_sessions WHERE token_hash = ?', [tokenHash]);
  if (row === undefined) return undefined;
  return { id: String(row.id), operatorId: String(row.operator_id), createdAt: toNumber(row.created_at), lastSeenAt: toNumber(row.last_seen_at), endedAt: numberOrNull(row.ended_at) };
}

export async function touchSession(q: Queryable, id: string, now: number): Promise<void> {
  await q.run('UPDATE operator_sessions SET last_seen_at = ? WHERE id = ? AND last_seen_at < ?', [now, id, now]);
}

export async function endSession(q: Queryable, id: string, now: number): Promise<boolean> {
  return (await q.run('UPDATE operator_sessions SET ended_at = ? WHERE id = ? AND ended_at IS NULL', [now, id])) === 1;
}

export async function endSessionsOf(q: Queryable, operatorId: string, now: number): Promise<number> {
  return q.run('UPDATE operator_sessions SET ended_at = ? WHERE operator_id = ? AND ended_at IS NULL', [now, operatorId]);
}

// login failures (credential stuffing)

export async function insertLoginFailure(q: Queryable, source: string, subjectHash: string, at: number): Promise<void> {
  await q.run('INSERT INTO login_failures (source, subject_hash, at) VALUES (?, ?, ?)', [source, subjectHash, at]);
}

export async function distinctSubjectsFrom(q: Queryable, source: string, since: number): Promise<number> {
  const row = await q.get('SELECT COUNT(DISTINCT subject_hash) AS n FROM login_failures WHERE source = ? AND at >= ?', [source, since]);
  return toNumber(row?.n ?? 0n);
}

// proposals

export type ProposalState = 'pending' | 'approved' | 'rejected' | 'expired' | 'executed' | 'failed';

export interface ProposalRow {
  readonly id: string;
  readonly kind: string;
  readonly payload: unknown;
  readonly proposedBy: string;
  readonly approverRoles: readonly OperatorRole[];
  readonly state: ProposalState;
  readonly reason: string | null;
  readonly decidedBy: string | null;
  readonly decidedAt: number | null;
  readonly result: unknown;
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly executedAt: number | null;
}

function proposalOf(row: Row): ProposalRow {
  return {
    id: String(row.id), kind: String(row.kind), payload: JSON.parse(String(row.payload)) as unknown, proposedBy: String(row.proposed_by),
    approverRoles: JSON.parse(String(row.approver_roles)) as OperatorRole[], state: String(row.state) as ProposalState, reason: textOrNull(row.reason),
    decidedBy: textOrNull(row.decided_by), decidedAt: numberOrNull(row.decided_at), result: row.result === null || row.result === undefined ? null : (JSON.parse(String(row.result)) as unknown),
    createdAt: toNumber(row.created_at), expiresAt: toNumber(row.expires_at), executedAt: numberOrNull(row.executed_at),
  };
}

export async function insertProposal(q: Queryable, p: { id: string; kind: string; payload: unknown; proposedBy: string; approverRoles: readonly OperatorRole[]; reason: string | null; now: number; expiresAt: number }): Promise<void> {
  await q.run('INSERT INTO proposals (id, kind, payload, proposed_by, approver_roles, state, reason, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)', [
    p.id, p.kind, JSON.stringify(p.payload), p.proposedBy, JSON.stringify(p.approverRoles), 'pending', p.reason, p.now, p.expiresAt,
  ]);
}

export async function proposalById(q: Queryable, id: string): Promise<ProposalRow | undefined> {
  const row = await q.get('SELECT * FROM proposals WHERE id = ?', [id]);
  return row === undefined ? undefined : proposalOf(row);
}

export async function listProposals(q: Queryable, state: ProposalState | undefined, limit: number): Promise<ProposalRow[]> {
  const rows = state === undefined
    ? await q.all('SELECT * FROM proposals ORDER BY id DESC LIMIT ?', [limit])
    : await q.all('SELECT * FROM proposals WHERE state = ? ORDER BY id DESC LIMIT ?', [state, limit]);
  return rows.map(proposalOf);
}

export async function expiredPendingProposals(q: Queryable, now: number, limit: number): Promise<string[]> {
  return (await q.all("SELECT id FROM proposals WHERE state = 'pending' AND expires_at <= ? ORDER BY id LIMIT ?", [now, limit])).map((r) => String(r.id));
}

export async function approvedProposals(q: Queryable, limit: number): Promise<string[]> {
  return (await q.all("SELECT id FROM proposals WHERE state = 'approved' ORDER BY id LIMIT ?", [limit])).map((r) => String(r.id));
}

/** Moves a proposal from `from` to `to` only if it is still in `from`: the guard against double decisions. */
export async function decideProposal(q: Queryable, id: string, from: ProposalState, to: ProposalState, by: string | null, now: number): Promise<boolean> {
  return (await q.run('UPDATE proposals SET state = ?, decided_by = COALESCE(?, decided_by), decided_at = COALESCE(decided_at, ?) WHERE id = ? AND state = ?', [to, by, now, id, from])) === 1;
}

export async function finishProposal(q: Queryable, id: string, to: 'executed' | 'failed', result: unknown, now: number): Promise<boolean> {
  return (await q.run("UPDATE proposals SET state = ?, result = ?, executed_at = ? WHERE id = ? AND state = 'approved'", [to, JSON.stringify(result), now, id])) === 1;
}

// security events

export type Severity = 'low' | 'medium' | 'high' | 'critical';

export interface SecurityEventRow {
  readonly id: string;
  readonly type: string;
  readonly severity: Severity;
  readonly source: string | null;
  readonly subject: string | null;
  readonly details: Record<string, unknown>;
  readonly createdAt: number;
  readonly deliveredAt: number | null;
}

function securityEventOf(row: Row): SecurityEventRow {
  return {
    id: String(row.id), type: String(row.type), severity: String(row.severity) as Severity, source: textOrNull(row.source), subject: textOrNull(row.subject),
    details: JSON.parse(String(row.details)) as Record<string, unknown>, createdAt: toNumber(row.created_at), deliveredAt: numberOrNull(row.delivered_at),
  };
}

export async function insertSecurityEvent(q: Queryable, e: Omit<SecurityEventRow, 'deliveredAt'>): Promise<void> {
  await q.run('INSERT INTO security_events (id, type, severity, source, subject, details, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)', [e.id, e.type, e.severity, e.source, e.subject, JSON.stringify(e.details), e.createdAt]);
}

export async function recentSecurityEvent(q: Queryable, type: string, source: string | null, subject: string | null, since: number): Promise<boolean> {
  const row = await q.get(
    'SELECT id FROM security_events WHERE type = ? AND COALESCE(source, \'\') = ? AND COALESCE(subject, \'\') = ? AND created_at >= ? LIMIT 1',
    [type, source ?? '', subject ?? '', since],
  );
  return row !== undefined;
}

export async function securityEventById(q: Queryable, id: string): Promise<SecurityEventRow | undefined> {
  const row = await q.get('SELECT * FROM security_events WHERE id = ?', [id]);
  return row === undefined ? undefined : securityEventOf(row);
}

export async function listSecurityEventRows(q: Queryable, filter: { type?: string | undefined; severity?: Severity | undefined; before?: string | undefined; limit: number }): Promise<SecurityEventRow[]> {
  const where: string[] = [];
  const params: (string | number)[] = [];
  const conditions: [string, string | undefined][] = [['type = ?', filter.type], ['severity = ?', filter.severity], ['id < ?', filter.before]];
  for (const [condition, value] of conditions) {
    if (value === undefined) continue;
    where.push(condition);
    params.push(value);
  }
  const sql = `SELECT * FROM security_events ${where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`} ORDER BY id DESC LIMIT ?`;
  return (await q.all(sql, [...params, filter.limit])).map(securityEventOf);
}

export async function undeliveredSecurityEvents(q: Queryable, limit: number): Promise<SecurityEventRow[]> {
  return (await q.all('SELECT * FROM security_events WHERE delivered_at IS NULL ORDER BY id LIMIT ?', [limit])).map(securityEventOf);
}

export async function markSecurityEventDelivered(q: Queryable, id: string, now: number): Promise<void> {
  await q.run('UPDATE security_events SET delivered_at = ? WHERE id = ? AND delivered_at IS NULL', [now, id]);
}

export async function securityEventCounts(q: Queryable): Promise<{ type: string; severity: string; count: number }[]> {
  const rows = await q.all('SELECT type, severity, COUNT(*) AS n FROM security_events GROUP BY type, severity');
  return rows.map((r) => ({ type: String(r.type), severity: String(r.severity), count: toNumber(r.n) }));
}

export async function recordProposalResult(q: Queryable, id: string, state: 'executed' | 'failed', result: unknown): Promise<void> {
  await q.run('UPDATE proposals SET state = ?, result = ? WHERE id = ?', [state, JSON.stringify(result), id]);
}

// incidents

export interface IncidentRow {
  readonly id: string;
  readonly title: string;
  readonly classification: string;
  readonly severity: Severity;
  readonly scope: string;
  readonly state: 'open' | 'closed';
  readonly openedBy: string;
  readonly openedAt: number;
  readonly closedBy: string | null;
  readonly closedAt: number | null;
  readonly review: Record<string, unknown> | null;
}

export interface IncidentEntryRow {
  readonly id: string;
  readonly kind: 'timeline' | 'action' | 'notification' | 'note';
  readonly text: string;
  readonly details: Record<string, unknown>;
  readonly recordedBy: string;
  readonly recordedAt: number;
}

function incidentOf(row: Row): IncidentRow {
  return {
    id: String(row.id), title: String(row.title), classification: String(row.classification), severity: String(row.severity) as Severity, scope: String(row.scope),
    state: String(row.state) as IncidentRow['state'], openedBy: String(row.opened_by), openedAt: toNumber(row.opened_at), closedBy: textOrNull(row.closed_by),
    closedAt: numberOrNull(row.closed_at), review: row.review === null || row.review === undefined ? null : (JSON.parse(String(row.review)) as Record<string, unknown>),
  };
}

export async function insertIncident(q: Queryable, i: Pick<IncidentRow, 'id' | 'title' | 'classification' | 'severity' | 'scope' | 'openedBy' | 'openedAt'>): Promise<void> {
  await q.run("INSERT INTO incidents (id, title, classification, severity, scope, state, opened_by, opened_at) VALUES (?, ?, ?, ?, ?, 'open', ?, ?)", [i.id, i.title, i.classification, i.severity, i.scope, i.openedBy, i.openedAt]);
}

export async function incidentRowById(q: Queryable, id: string): Promise<IncidentRow | undefined> {
  const row = await q.get('SELECT * FROM incidents WHERE id = ?', [id]);
  return row === undefined ? undefined : incidentOf(row);
}

export async function listIncidentRows(q: Queryable, state: 'open' | 'closed' | undefined, limit: number): Promise<IncidentRow[]> {
  const rows = state === undefined ? await q.all('SELECT * FROM incidents ORDER BY id DESC LIMIT ?', [limit]) : await q.all('SELECT * FROM incidents WHERE state = ? ORDER BY id DESC LIMIT ?', [state, limit]);
  return rows.map(incidentOf);
}

export async function insertIncidentEntry(q: Queryable, incidentId: string, e: IncidentEntryRow): Promise<void> {
  await q.run('INSERT INTO incident_entries (id, incident_id, kind, text, details, recorded_by, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)', [e.id, incidentId, e.kind, e.text, JSON.stringify(e.details), e.recordedBy, e.recordedAt]);
}

export async function incidentEntries(q: Queryable, incidentId: string): Promise<IncidentEntryRow[]> {
  const rows = await q.all('SELECT * FROM incident_entries WHERE incident_id = ? ORDER BY seq', [incidentId]);
  return rows.map((r) => ({
    id: String(r.id), kind: String(r.kind) as IncidentEntryRow['kind'], text: String(r.text), details: JSON.parse(String(r.details)) as Record<string, unknown>,
    recordedBy: String(r.recorded_by), recordedAt: toNumber(r.recorded_at),
  }));
}

export async function linkIncidentEvent(q: Queryable, incidentId: string, eventId: string, by: string, now: number): Promise<boolean> {
  if ((await q.get('SELECT 1 AS x FROM incident_events WHERE incident_id = ? AND security_event_id = ?', [incidentId, eventId])) !== undefined) return false;
  await q.run('INSERT INTO incident_events (incident_id, security_event_id, linked_by, linked_at) VALUES (?, ?, ?, ?)', [incidentId, eventId, by, now]);
  return true;
}

export async function incidentEventIds(q: Queryable, incidentId: string): Promise<string[]> {
  return (await q.all('SELECT security_event_id FROM incident_events WHERE incident_id = ? ORDER BY linked_at, security_event_id', [incidentId])).map((r) => String(r.security_event_id));
}

export async function closeIncidentRow(q: Queryable, id: string, by: string, review: Record<string, unknown>, now: number): Promise<boolean> {
  return (await q.run("UPDATE incidents SET state = 'closed', closed_by = ?, closed_at = ?, review = ? WHERE id = ? AND state = 'open'", [by, now, JSON.stringify(review), id])) === 1;
}
