// Response whitelists of the operator-access API: what an operator, proposal, security event or
// incident looks like on the wire. Password hashes, TOTP secrets and token hashes have no field here.
import { Type } from 'typebox';
import type { ApiTokenRow, CreatedOperator, IncidentDetail, Proposal, SecurityEvent } from '../../access/index.ts';

const Timestamp = Type.String({ description: 'ISO 8601 time' });
const iso = (ms: number) => new Date(ms).toISOString();
const isoOrNull = (ms: number | null) => (ms === null ? null : iso(ms));
const Json = Type.Record(Type.String(), Type.Unknown());

export const OperatorView = Type.Object({
  id: Type.String(), name: Type.String(), role: Type.String(), status: Type.String(), locked: Type.Boolean(),
  enrolled: Type.Boolean(), roleGranted: Type.Boolean(), createdAt: Timestamp,
});
// The creator gets an enrolment code to hand over, never the new operator's password or TOTP secret.
export const CreatedOperatorView = Type.Object({
  id: Type.String(), name: Type.String(), role: Type.String(),
  enrolmentCode: Type.String({ description: 'Single use, shown once: hand it to the new operator, who sets their own password and TOTP' }),
  enrolmentExpiresAt: Timestamp,
  grantProposalId: Type.Union([Type.String(), Type.Null()], { description: 'The role counts once another administrator approves this proposal' }),
});
export function createdOperatorView(o: CreatedOperator) {
  return { id: o.id, name: o.name, role: o.role, enrolmentCode: o.enrolmentCode, enrolmentExpiresAt: iso(o.enrolmentExpiresAt), grantProposalId: o.grantProposalId ?? null };
}
export const EnrolmentCodeView = Type.Object({ enrolmentCode: Type.String({ description: 'Single use, shown once' }), enrolmentExpiresAt: Timestamp });
export const ApiTokenView = Type.Object({
  id: Type.String(), name: Type.String(), operatorId: Type.String(), operatorName: Type.String(), createdBy: Type.Union([Type.String(), Type.Null()]),
  createdAt: Timestamp, expiresAt: Timestamp, revokedAt: Type.Union([Timestamp, Type.Null()]),
});
export function apiTokenView(t: ApiTokenRow) {
  return { ...t, createdAt: iso(t.createdAt), expiresAt: iso(t.expiresAt), revokedAt: isoOrNull(t.revokedAt) };
}
export const IssuedTokenView = Type.Object({ id: Type.String(), token: Type.String({ description: 'Bearer token, shown once' }), operatorId: Type.String(), expiresAt: Timestamp });
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
