// Incident response (R7.5): open, link security events, record timeline entries, actions and
// notifications, close with a post-incident review.
import type { FastifyPluginAsync } from 'fastify';
import { Type, type Static } from 'typebox';
import {
  closeIncident, incidentClassifications, incidentDetail, incidentEntryKinds, linkSecurityEvent, listIncidents, openIncident, recordIncidentEntry, severities,
  type IncidentOutcome, type OpenIncidentInput, type Permission,
} from '../../access/index.ts';
import { AnfuError } from '../../errors.ts';
import type { AppContext } from '../context.ts';
import { Id, operatorSecurity, problemResponses } from '../schemas.ts';
import { actorOf } from '../operator-auth.ts';
import { IncidentSummaryView, IncidentView, incidentSummaryView, incidentView } from './access-views.ts';

const security = operatorSecurity;
const errors = problemResponses(400, 401, 403, 404, 409);
const Text = (max: number) => Type.String({ minLength: 1, maxLength: max });
const IncidentId = Type.Object({ incidentId: Id('inc') });
const SecurityEventId = Id('sev');
const OpenBody = Type.Object({
  title: Text(200), classification: Type.String({ enum: [...incidentClassifications] }), severity: Type.String({ enum: [...severities] }), scope: Text(2000),
  securityEventIds: Type.Optional(Type.Array(SecurityEventId, { maxItems: 100 })),
}, { additionalProperties: false });
const EntryBody = Type.Object({ kind: Type.String({ enum: [...incidentEntryKinds] }), text: Text(4000), details: Type.Optional(Type.Record(Type.String({ maxLength: 64 }), Type.String({ maxLength: 500 }), { maxProperties: 20 })) }, { additionalProperties: false });
const ReviewBody = Type.Object({ summary: Text(4000), rootCause: Text(4000), impact: Text(4000), lessonsLearned: Text(4000), followUpActions: Type.Array(Text(500), { maxItems: 50 }) }, { additionalProperties: false });

function incidentResult(outcome: IncidentOutcome) {
  if (!outcome.ok) throw new AnfuError(outcome.code);
  return incidentView(outcome.incident);
}

export function incidentRoutes(context: AppContext): FastifyPluginAsync {
  const { store, clock } = context;
  const route = (permission: Permission) => ({ config: { auth: 'operator' as const, permission } });
  return async (app) => {
    const tags = ['incidents'];
    const idOf = (params: unknown) => (params as Static<typeof IncidentId>).incidentId;

    app.post('/incidents', { ...route('incidents.manage'), schema: { tags, security, summary: 'Open an incident', body: OpenBody, response: { 201: IncidentView, ...errors } } }, async (request, reply) =>
      reply.status(201).send(incidentResult(await openIncident(store, actorOf(request), request.body as OpenIncidentInput, clock()))));

    app.get('/incidents', { ...route('incidents.read'), schema: { tags, security, summary: 'List incidents, newest first', querystring: Type.Object({ state: Type.Optional(Type.String({ enum: ['open', 'closed'] })) }, { additionalProperties: false }), response: { 200: Type.Object({ items: Type.Array(IncidentSummaryView) }), ...errors } } }, async (request) => {
      const { state } = request.query as { state?: 'open' | 'closed' };
      return { items: (await listIncidents(store, state, 200)).map(incidentSummaryView) };
    });

    app.get('/incidents/:incidentId', { ...route('incidents.read'), schema: { tags, security, summary: 'An incident with its timeline, linked events and playbook', params: IncidentId, response: { 200: IncidentView, ...errors } } }, async (request) => {
      const incident = await incidentDetail(store, idOf(request.params));
      if (incident === undefined) throw new AnfuError('incident_not_found');
      return incidentView(incident);
    });

    app.post('/incidents/:incidentId/security-events', { ...route('incidents.manage'), schema: { tags, security, summary: 'Link a security event', params: IncidentId, body: Type.Object({ securityEventId: SecurityEventId }, { additionalProperties: false }), response: { 200: IncidentView, ...errors } } }, async (request) =>
      incidentResult(await linkSecurityEvent(store, actorOf(request), idOf(request.params), (request.body as { securityEventId: string }).securityEventId, clock())));

    app.post('/incidents/:incidentId/entries', { ...route('incidents.manage'), schema: { tags, security, summary: 'Record a timeline entry, action taken, notification or note', params: IncidentId, body: EntryBody, response: { 200: IncidentView, ...errors } } }, async (request) =>
      incidentResult(await recordIncidentEntry(store, actorOf(request), idOf(request.params), request.body as Static<typeof EntryBody> & { kind: (typeof incidentEntryKinds)[number] }, clock())));

    app.post('/incidents/:incidentId/close', { ...route('incidents.manage'), schema: { tags, security, summary: 'Close with a post-incident review', params: IncidentId, body: Type.Object({ review: ReviewBody }, { additionalProperties: false }), response: { 200: IncidentView, ...errors } } }, async (request) =>
      incidentResult(await closeIncident(store, actorOf(request), idOf(request.params), (request.body as { review: Static<typeof ReviewBody> }).review, clock())));
  };
}
