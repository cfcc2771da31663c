// Response whitelists of the operator-access API: what an operator, proposal, security event or
// incident looks like on the wire. Password hashes, TOTP secrets and token hashes have no field here.
import { Type } from 'typebox';
import type { IncidentDetail, Proposal, SecurityEvent } from '../../access/index.ts';

const Timestamp = Type.String({ description: 'ISO 8601 time' });
const iso = (ms: number) => new Date(ms).toISOString();
const isoOrNull = (ms: number | null) => (ms === null ? null : iso(ms));
const Json = Type.Record(Type.String(), Type.Unknown());

export const OperatorView = Type.Object({ id: Type.String(), name: Type.String(), role: Type.String(), status: Type.String(), locked: Type.Boolean(), createdAt: Timestamp });
export const CreatedOperatorView = Type.Object({
  id: Type.String(), name: Type.String(), role: Type.String(),
  password: Type.String({ description: 'Shown once' }), totpSecret: Type.String({ description: 'Base32, shown once' }), otpauthUri: Type.String({ description: 'For an authenticator app, shown once' }),
});
export const MeView = Type.Object({ id: Type.String(), name: Type.String(), role: Type.String(), via: Type.String({ enum: ['session', 'api_token'] }) });
export const SessionView = Type.Object({ token: Type.String({ description: 'Bearer token, shown once' }), sessionId: Type.String(), idleTimeoutSeconds: Type.Integer(), absoluteTimeoutSeconds: Type.Integer() });

export const ProposalView = Type.Object({
  id: Type.String(), kind: Type.String(), payload: Type.Unknown(), proposedBy: Type.String(), approverRoles: Type.Array(Type.String()), state: Type.String(),
  reason: Type.Union([Type.String(), Type.Null()]), decidedBy: Type.Union([Type.String(), Type.Null()]), decidedAt: Type.Union([Timestamp, Type.Null()]),
  result: Type.Unknown(), createdAt: Timestamp, expiresAt: Timestamp, executedAt: Type.Union([Timestamp, Type.Null()]),
});
export function proposalView(p: Proposal) {
  return { ...p, decidedAt: isoOrNull(p.decidedAt), createdAt: iso(p.createdAt), expiresAt: iso(p.expiresAt), executedAt: isoOrNull(p.executedAt) };
}

export const SecurityEventView = Type.Object({
  id: Type.String(), type: Type.String(), severity: Type.String(), source: Type.Union([Type.String(), Type.Null()]), subject: Type.Union([Type.String(), Type.Null()]),
  details: Json, createdAt: Timestamp, deliveredAt: Type.Union([Timestamp, Type.Null()]),
});
export function securityEventView(e: SecurityEvent) {
  return { ...e, createdAt: iso(e.createdAt), deliveredAt: isoOrNull(e.deliveredAt) };
}

const EntryView = Type.Object({ id: Type.String(), kind: Type.String(), text: Type.String(), details: Json, recordedBy: Type.String(), recordedAt: Timestamp });
const incidentFields = {
  id: Type.String(), title: Type.String(), classification: Type.String(), severity: Type.String(), scope: Type.String(), state: Type.String(), openedBy: Type.String(), openedAt: Timestamp,
  closedBy: Type.Union([Type.String(), Type.Null()]), closedAt: Type.Union([Timestamp, Type.Null()]), review: Type.Union([Json, Type.Null()]),
};
export const IncidentSummaryView = Type.Object(incidentFields);
export const IncidentView = Type.Object({ ...incidentFields, securityEventIds: Type.Array(Type.String()), entries: Type.Array(EntryView), playbook: Type.Array(Type.String()) });
export function incidentSummaryView(i: Omit<IncidentDetail, 'securityEventIds' | 'entries' | 'playbook'>) {
  return { ...i, openedAt: iso(i.openedAt), closedAt: isoOrNull(i.closedAt) };
}
export function incidentView(i: IncidentDetail) {
  return { ...incidentSummaryView(i), securityEventIds: i.securityEventIds, entries: i.entries.map((e) => ({ ...e, recordedAt: iso(e.recordedAt) })), playbook: i.playbook };
}
