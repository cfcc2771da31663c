// Security events (R7.4) for operators: brute force, credential stuffing, replayed or forged
// requests, abnormal error rates, audit-verification failures; newest first.
import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import { listSecurityEvents, securityEventTypes, severities, type SecurityEventType, type Severity } from '../../access/index.ts';
import type { AppContext } from '../context.ts';
import { SecurityEventView, securityEventView } from './access-views.ts';

const Query = Type.Object({
  type: Type.Optional(Type.String({ enum: [...securityEventTypes] })),
  severity: Type.Optional(Type.String({ enum: [...severities] })),
  before: Type.Optional(Type.String({ pattern: '^sev_[0-9a-z]{26}$', description: 'Cursor: events older than this id' })),
  limit: Type.Optional(Type.String({ pattern: '^([1-9]|[1-9][0-9]|1[0-9][0-9]|200)$' })),
}, { additionalProperties: false });

export function securityRoutes(context: AppContext): FastifyPluginAsync {
  return async (app) => {
    app.get('/security/events', {
      config: { auth: 'operator', permission: 'security.events.read' },
      schema: { tags: ['security'], security: [{ operatorToken: [] }], summary: 'Security events, newest first', querystring: Query, response: { 200: Type.Object({ items: Type.Array(SecurityEventView) }), 400: Type.Any(), 401: Type.Any(), 403: Type.Any() } },
    }, async (request) => {
      const query = request.query as { type?: SecurityEventType; severity?: Severity; before?: string; limit?: string };
      const items = await listSecurityEvents(context.store, { type: query.type, severity: query.severity, before: query.before, limit: query.limit === undefined ? 50 : Number(query.limit) });
      return { items: items.map(securityEventView) };
    });
  };
}
