// The case tables (migration 200): rows in and out, nothing else. Every write that changes a case's
// status is conditional on the status it expects, so two operators acting at once cannot both win.
import { newId } from '../ids.ts';
import { toNumber, type Param, type Queryable, type Row } from '../store/index.ts';
import type {
  CaseEvent,
  CaseEvidence,
  CaseListFilter,
  CaseNote,
  CasePage,
  CaseRecord,
  CaseSeverity,
  CaseStatus,
  EvidenceLink,
  OpenCaseInput,
} from './types.ts';

const numberOrNull = (value: unknown) => (value === null || value === undefined ? null : toNumber(value));
const textOrNull = (value: unknown) => (value === null || value === undefined ? null : String(value));

function caseOfRow(r: Row): CaseRecord {
  const minor = r.amount_minor === null || r.amount_minor === undefined ? null : BigInt(r.amount_minor as bigint);
  return {
    id: String(r.id),
    kind: String(r.kind),
    dedupeKey: String(r.dedupe_key),
    queue: String(r.queue),
    title: String(r.title),
    subject: { type: String(r.subject_type), id: String(r.subject_id) },
    customerId: textOrNull(r.customer_id),
    severity: String(r.severity) as CaseSeverity,
    amount: minor === null ? null : { minor, currency: String(r.currency) },
    status: String(r.status) as CaseStatus,
    assignee: textOrNull(r.assignee),
    openedBy: String(r.opened_by),
    details: JSON.parse(String(r.details)) as Record<string, unknown>,
    decision: textOrNull(r.decision),
    decidedBy: textOrNull(r.decided_by),
    decidedAt: numberOrNull(r.decided_at),
    pendingProposalId: textOrNull(r.pending_proposal_id),
    waitingSince: numberOrNull(r.waiting_since),
    pausedMs: toNumber(r.paused_ms),
    firstResponseAt: numberOrNull(r.first_response_at),
    firstResponseDueAt: numberOrNull(r.first_response_due_at),
    resolutionDueAt: numberOrNull(r.resolution_due_at),
    breached: r.breached === null || r.breached === undefined || r.breached === '' ? [] : String(r.breached).split(','),
    createdAt: toNumber(r.created_at),
    updatedAt: toNumber(r.updated_at),
  };
}

/** Inserts the case unless (kind, dedupe key) exists; returns whether this call created it. */
export async function insertCaseIfNew(q: Queryable, input: OpenCaseInput, id: string, now: number): Promise<boolean> {
  const changed = await q.run(
    `INSERT INTO cases (id, kind, dedupe_key, queue, title, subject_type, subject_id, customer_id, severity,
       amount_minor, currency, status, opened_by, details, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', ?, ?, ?, ?)
     ON CONFLICT (kind, dedupe_key) DO NOTHING`,
    [
      id,
      input.kind,
      input.dedupeKey,
      input.queue ?? input.kind,
      input.title,
      input.subject.type,
      input.subject.id,
      input.customerId ?? null,
      input.severity,
      input.amount?.minor ?? null,
      input.amount?.currency ?? null,
      input.openedBy,
      JSON.stringify(input.details ?? {}),
      now,
      now,
    ],
  );
  return changed === 1;
}

export async function caseById(q: Queryable, id: string): Promise<CaseRecord | undefined> {
  const row = await q.get('SELECT * FROM cases WHERE id = ?', [id]);
  return row === undefined ? undefined : caseOfRow(row);
}

export async function caseByKey(q: Queryable, kind: string, dedupeKey: string): Promise<CaseRecord | undefined> {
  const row = await q.get('SELECT * FROM cases WHERE kind = ? AND dedupe_key = ?', [kind, dedupeKey]);
  return row === undefined ? undefined : caseOfRow(row);
}

export interface CaseChange {
  readonly status?: CaseStatus;
  readonly assignee?: string | null;
  readonly decision?: string | null;
  readonly decidedBy?: string | null;
  readonly decidedAt?: number | null;
  readonly pendingProposalId?: string | null;
  readonly waitingSince?: number | null;
  readonly pausedMs?: number;
  readonly firstResponseAt?: number | null;
  readonly firstResponseDueAt?: number | null;
  readonly resolutionDueAt?: number | null;
  readonly breached?: readonly string[];
}

const columns: Record<keyof CaseChange, string> = {
  status: 'status',
  assignee: 'assignee',
  decision: 'decision',
  decidedBy: 'decided_by',
  decidedAt: 'decided_at',
  pendingProposalId: 'pending_proposal_id',
  waitingSince: 'waiting_since',
  pausedMs: 'paused_ms',
  firstResponseAt: 'first_response_at',
  firstResponseDueAt: 'first_response_due_at',
  resolutionDueAt: 'resolution_due_at',
  breached: 'breached',
};

/** Applies `change` only while the case is still in one of `from`; false when it moved meanwhile. */
export async function updateCase(
  q: Queryable,
  id: string,
  from: readonly CaseStatus[],
  change: CaseChange,
  now: number,
): Promise<boolean> {
  const sets: string[] = [];
  const params: Param[] = [];
  for (const [key, value] of Object.entries(change) as [keyof CaseChange, unknown][]) {
    sets.push(`${columns[key]} = ?`);
    params.push(key === 'breached' ? (value as string[]).join(',') : (value as Param));
  }
  sets.push('updated_at = ?');
  params.push(now, id, ...from);
  const marks = from.map(() => '?').join(', ');
  return (await q.run(`UPDATE cases SET ${sets.join(', ')} WHERE id = ? AND status IN (${marks})`, params)) === 1;
}

export async function insertCaseEvent(
  q: Queryable,
  caseId: string,
  type: string,
  actor: string,
  details: Record<string, unknown>,
  now: number,
): Promise<void> {
  await q.run('INSERT INTO case_events (case_id, type, actor, at, details) VALUES (?, ?, ?, ?, ?)', [
    caseId,
    type,
    actor,
    now,
    JSON.stringify(details),
  ]);
}

export async function caseEvents(q: Queryable, caseId: string): Promise<CaseEvent[]> {
  const rows = await q.all('SELECT * FROM case_events WHERE case_id = ? ORDER BY seq', [caseId]);
  return rows.map((r) => ({
    seq: toNumber(r.seq),
    caseId: String(r.case_id),
    type: String(r.type),
    actor: String(r.actor),
    at: toNumber(r.at),
    details: JSON.parse(String(r.details)) as Record<string, unknown>,
  }));
}

/** Links evidence once per (type, ref); true when this call added it. */
export async function insertEvidence(
  q: Queryable,
  caseId: string,
  link: EvidenceLink,
  addedBy: string,
  now: number,
): Promise<boolean> {
  const changed = await q.run(
    `INSERT INTO case_evidence (id, case_id, type, ref, note, added_by, added_at) VALUES (?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (case_id, type, ref) DO NOTHING`,
    [newId('cev', now), caseId, link.type, link.ref, link.note ?? null, addedBy, now],
  );
  return changed === 1;
}

export async function caseEvidence(q: Queryable, caseId: string): Promise<CaseEvidence[]> {
  const rows = await q.all('SELECT * FROM case_evidence WHERE case_id = ? ORDER BY added_at, id', [caseId]);
  return rows.map((r) => ({
    id: String(r.id),
    type: String(r.type),
    ref: String(r.ref),
    note: textOrNull(r.note),
    addedBy: String(r.added_by),
    addedAt: toNumber(r.added_at),
  }));
}

export async function insertNote(
  q: Queryable,
  caseId: string,
  author: string,
  body: string,
  now: number,
): Promise<string> {
  const id = newId('cnt', now);
  await q.run('INSERT INTO case_notes (id, case_id, author, body, at) VALUES (?, ?, ?, ?, ?)', [
    id,
    caseId,
    author,
    body,
    now,
  ]);
  return id;
}

export async function caseNotes(q: Queryable, caseId: string): Promise<CaseNote[]> {
  const rows = await q.all('SELECT * FROM case_notes WHERE case_id = ? ORDER BY id', [caseId]);
  return rows.map((r) => ({ id: String(r.id), author: String(r.author), body: String(r.body), at: toNumber(r.at) }));
}

/** Oldest first (a queue is worked in order), `limit` + 1 read to know whether a next page exists. */
export async function selectCases(q: Queryable, filter: CaseListFilter): Promise<CasePage> {
  const where: string[] = [];
  const params: Param[] = [];
  const add = (sql: string, ...values: Param[]) => {
    where.push(sql);
    params.push(...values);
  };
  if (filter.kind !== undefined) add('kind = ?', filter.kind);
  if (filter.kinds !== undefined && filter.kinds.length > 0)
    add(`kind IN (${filter.kinds.map(() => '?').join(', ')})`, ...filter.kinds);
  if (filter.queue !== undefined && filter.kinds === undefined) add('queue = ?', filter.queue);
  if (filter.status !== undefined) add('status = ?', filter.status);
  if (filter.assignee !== undefined) add('assignee = ?', filter.assignee);
  if (filter.customerId !== undefined) add('customer_id = ?', filter.customerId);
  if (filter.cursor !== undefined) add('id > ?', filter.cursor);
  const limit = Math.min(Math.max(filter.limit ?? 50, 1), 500);
  const clause = where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`;
  const rows = await q.all(`SELECT * FROM cases ${clause} ORDER BY id LIMIT ?`, [...params, limit + 1]);
  const items = rows.slice(0, limit).map(caseOfRow);
  return { items, nextCursor: rows.length > limit ? (items.at(-1)?.id ?? null) : null };
}

/** Undecided cases after `afterId`, oldest first (the SLA sweep pages through them). */
export async function undecidedCases(q: Queryable, afterId: string, limit: number): Promise<CaseRecord[]> {
  const rows = await q.all(
    `SELECT * FROM cases WHERE status IN ('open', 'assigned', 'waiting') AND id > ? ORDER BY id LIMIT ?`,
    [afterId, limit],
  );
  return rows.map(caseOfRow);
}

/** Backlog and breaches per kind, for /metrics (read at scrape time, so every process agrees). */
export async function caseCounts(
  q: Queryable,
): Promise<{ kind: string; status: string; count: number; breached: number }[]> {
  const rows = await q.all(
    `SELECT kind, status, COUNT(*) AS n, SUM(CASE WHEN breached IS NOT NULL AND breached <> '' THEN 1 ELSE 0 END) AS b
     FROM cases GROUP BY kind, status`,
  );
  return rows.map((r) => ({
    kind: String(r.kind),
    status: String(r.status),
    count: toNumber(r.n),
    breached: toNumber(r.b ?? 0),
  }));
}
