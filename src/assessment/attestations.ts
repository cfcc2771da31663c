// Rows no live check can see — physical security (JR/T 0122 §10.1) and the functional, risk-monitoring
// and performance chapters (7–9) — rest on an operator's attestation: a statement (what was inspected
// or tested, with a document reference), who made it, when, and until when it holds. The row reads
// `attested` while the newest attestation holds and `not_attested` when there is none or it expired.
import { appendAudit } from '../audit/index.ts';
import { AnfuError } from '../errors.ts';
import { newId } from '../ids.ts';
import { toNumber, type Queryable, type Store } from '../store/index.ts';
import { dayMs } from './finding.ts';
import type { CheckDefinition, Finding, Indicator } from './types.ts';

export interface AttestedControl {
  readonly id: string;
  readonly chapter: string;
  readonly indicator: Indicator;
  readonly requirement: string;
  readonly control: string;
  /** The longest an attestation of this control may hold. */
  readonly validityDaysMax: number;
}

export const attestedControls: readonly AttestedControl[] = [
  {
    id: 'physical.access',
    chapter: '10.1',
    indicator: 'security',
    requirement: 'Machine rooms admit only authorised people, recorded (access control, visitor log, CCTV)',
    control: 'Hosting provider or own machine room; the operator inspects and attests',
    validityDaysMax: 365,
  },
  {
    id: 'physical.environment',
    chapter: '10.1',
    indicator: 'availability',
    requirement: 'Power, cooling, fire suppression and water detection protect the equipment',
    control: 'Machine-room environment inspected; UPS and generator tested',
    validityDaysMax: 365,
  },
  {
    id: 'physical.media',
    chapter: '10.1',
    indicator: 'confidentiality',
    requirement: 'Storage media holding payment data are tracked and destroyed when retired',
    control: 'Media register and destruction certificates',
    validityDaysMax: 365,
  },
  {
    id: 'functions.acceptance',
    chapter: '7',
    indicator: 'integrity',
    requirement: 'The payment, account, clearing and reconciliation functions meet their specification',
    control: 'Functional acceptance test of the release (report referenced in the attestation)',
    validityDaysMax: 180,
  },
  {
    id: 'risk.monitoring-review',
    chapter: '8',
    indicator: 'security',
    requirement: 'Risk rules, thresholds and alert handling are reviewed by the risk function',
    control: 'Periodic review of the risk rule set and alert outcomes',
    validityDaysMax: 90,
  },
  {
    id: 'performance.capacity',
    chapter: '9',
    indicator: 'availability',
    requirement: 'Throughput and response times meet the required peak load with headroom',
    control: 'Capacity test against the required peak (npm run bench and a load test), report referenced',
    validityDaysMax: 180,
  },
];

export interface Attestation {
  readonly id: string;
  readonly controlId: string;
  readonly statement: string;
  readonly attestedBy: string;
  readonly attestedAt: number;
  readonly expiresAt: number;
}

export const attestationStatementCharsMax = 500;

function attestationOf(row: Record<string, unknown>): Attestation {
  return {
    id: String(row.id),
    controlId: String(row.control_id),
    statement: String(row.statement),
    attestedBy: String(row.attested_by),
    attestedAt: toNumber(row.attested_at),
    expiresAt: toNumber(row.expires_at),
  };
}

const columns = 'id, control_id, statement, attested_by, attested_at, expires_at';

/** Newest first; every control's history. */
export async function listAttestations(q: Queryable, limit: number): Promise<Attestation[]> {
  const sql = `SELECT ${columns} FROM assessment_attestations ORDER BY attested_at DESC, id DESC LIMIT ?`;
  return (await q.all(sql, [limit])).map(attestationOf);
}

async function newestAttestation(q: Queryable, controlId: string): Promise<Attestation | undefined> {
  const sql = `SELECT ${columns} FROM assessment_attestations WHERE control_id = ? ORDER BY attested_at DESC, id DESC`;
  const row = await q.get(`${sql} LIMIT 1`, [controlId]);
  return row === undefined ? undefined : attestationOf(row);
}

export interface AttestationRequest {
  readonly controlId: string;
  readonly statement: string;
  readonly validDays: number;
}

/** Why a request cannot be recorded, or null. */
export function attestationProblem(request: AttestationRequest): string | null {
  const control = attestedControls.find((c) => c.id === request.controlId);
  if (control === undefined) {
    const known = attestedControls.map((c) => c.id).join(', ');
    return `no attested control ${JSON.stringify(request.controlId)}; known: ${known}`;
  }
  const statement = request.statement.trim();
  if (statement.length < 10 || statement.length > attestationStatementCharsMax)
    return `the statement must say what was checked, 10 to ${attestationStatementCharsMax} characters`;
  if (/[\u0000-\u001f\u007f\u202a-\u202e\u2066-\u2069]/.test(statement))
    return 'the statement holds control or direction-changing characters';
  if (!Number.isSafeInteger(request.validDays) || request.validDays < 1 || request.validDays > control.validityDaysMax)
    return `validity must be 1 to ${control.validityDaysMax} days for ${control.id}`;
  return null;
}

/** Records an attestation and its audit entry in one transaction. */
export async function recordAttestation(
  store: Store,
  request: AttestationRequest,
  actor: { readonly type: 'operator' | 'system'; readonly id: string },
  now: number,
): Promise<Attestation> {
  const problem = attestationProblem(request);
  if (problem !== null) throw new AnfuError('attestation_invalid', problem);
  const attestation: Attestation = {
    id: newId('att', now),
    controlId: request.controlId,
    statement: request.statement.trim(),
    attestedBy: actor.id,
    attestedAt: now,
    expiresAt: now + request.validDays * dayMs,
  };
  await store.transaction(async (tx) => {
    await tx.run(`INSERT INTO assessment_attestations (${columns}) VALUES (?, ?, ?, ?, ?, ?)`, [
      attestation.id,
      attestation.controlId,
      attestation.statement,
      attestation.attestedBy,
      attestation.attestedAt,
      attestation.expiresAt,
    ]);
    const details = { control: attestation.controlId, expiresAt: new Date(attestation.expiresAt).toISOString() };
    const entry = { actorType: actor.type, actorId: actor.id, action: 'assessment.attest', target: attestation.id };
    await appendAudit(tx, [{ ...entry, outcome: 'success', details }], now);
  });
  return attestation;
}

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

function findingOf(control: AttestedControl, newest: Attestation | undefined, now: number): Finding {
  const advice = `have the responsible person attest it: anfu assess attest ${control.id} --statement TEXT --days N`;
  if (newest === undefined) return { result: 'not_attested', evidence: 'no attestation recorded', advice };
  const who = `attested by ${newest.attestedBy} on ${day(newest.attestedAt)}`;
  if (newest.expiresAt <= now)
    return { result: 'not_attested', evidence: `${who}, expired on ${day(newest.expiresAt)}`, advice };
  return {
    result: 'attested',
    evidence: `${who}, holds until ${day(newest.expiresAt)}: ${newest.statement}`,
    advice: '',
  };
}

export const attestationChecks: readonly CheckDefinition[] = attestedControls.map((control) => ({
  id: control.id,
  chapter: control.chapter,
  indicator: control.indicator,
  requirement: control.requirement,
  control: control.control,
  run: async (probes) => findingOf(control, await newestAttestation(probes.store, control.id), probes.clock()),
}));
