// Operators' webhook API: merchants' endpoints, the delivery history of events, dead letters and
// their re-delivery. Thin: validate by schema, call src/events, map to a whitelisted view.
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { Type, type Static } from 'typebox';
import type { Permission } from '../../access/index.ts';
import {
  createWebhookEndpoint, disableWebhookEndpoint, listDeadLetters, listDeliveries, listWebhookEndpoints, redeliverDeadLetter, rotateWebhookSecret,
  targetPolicyOf, webhookSecretSealer, type AuditActor, type DeadLetter, type Delivery, type WebhookEndpoint,
} from '../../events/index.ts';
import { AnfuError } from '../../errors.ts';
import type { AppContext } from '../context.ts';
import { Id, operatorSecurity, problemResponses } from '../schemas.ts';
import { actorOf } from '../operator-auth.ts';

const security = operatorSecurity;
const errors = problemResponses(400, 401, 403, 404, 409, 422);
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()]);
const Time = Type.String({ format: 'date-time' });
const MerchantId = Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' });
const DeliveryParams = Type.Object({ deliveryId: Id('dlv') });
const EndpointParams = Type.Object({ endpointId: Id('whe') });
const Topic = Type.String({ pattern: '^(\\*|[a-z][a-z0-9_.]{2,160})$' });

const EndpointView = Type.Object({ id: Type.String(), merchantId: Type.String(), url: Type.String(), topics: Type.Array(Type.String()), status: Type.String(), createdAt: Time });
const CreatedEndpointView = Type.Object({ ...EndpointView.properties, secret: Type.String({ description: 'Signing secret, shown once' }) });
const AttemptView = Type.Object({ attempt: Type.Integer(), startedAt: Time, durationMs: Type.Integer(), outcome: Type.String(), statusCode: Nullable(Type.Integer()), errorClass: Nullable(Type.String()) });
const DeliveryView = Type.Object({
  id: Type.String(), eventId: Type.String(), topic: Type.String(), subject: Nullable(Type.String()), merchantId: Nullable(Type.String()), endpointId: Nullable(Type.String()),
  handler: Nullable(Type.String()), state: Type.String(), attempts: Type.Integer(), nextAttemptAt: Nullable(Time), deliveredAt: Nullable(Time), createdAt: Time, history: Type.Array(AttemptView),
});
const DeadLetterView = Type.Object({
  id: Type.String(), eventId: Type.String(), topic: Type.String(), merchantId: Nullable(Type.String()), endpointId: Nullable(Type.String()), handler: Nullable(Type.String()),
  attempts: Type.Integer(), lastStatus: Nullable(Type.Integer()), lastError: Nullable(Type.String()), deadAt: Time,
});
const CreateBody = Type.Object({ merchantId: MerchantId, url: Type.String({ minLength: 8, maxLength: 2048 }), topics: Type.Array(Topic, { minItems: 1, maxItems: 32 }) }, { additionalProperties: false });
const DeliveryQuery = Type.Object({
  eventId: Type.Optional(Type.String({ pattern: '^evt_[0-9a-z]{26}$' })), merchantId: Type.Optional(MerchantId), subject: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
}, { additionalProperties: false });

const iso = (ms: number) => new Date(ms).toISOString();
const isoOrNull = (ms: number | null) => (ms === null ? null : iso(ms));
const endpointView = (e: WebhookEndpoint) => ({ id: e.id, merchantId: e.merchantId, url: e.url, topics: [...e.topics], status: e.status, createdAt: iso(e.createdAt) });
const deadLetterView = (d: DeadLetter) => ({ ...d, id: d.deliveryId, deadAt: iso(d.deadAt) });
const deliveryView = (d: Delivery) => ({
  ...d, id: d.deliveryId, nextAttemptAt: isoOrNull(d.nextAttemptAt), deliveredAt: isoOrNull(d.deliveredAt), createdAt: iso(d.createdAt),
  history: d.history.map((a) => ({ ...a, startedAt: iso(a.startedAt) })),
});

function auditActorOf(request: FastifyRequest): AuditActor {
  const actor = actorOf(request);
  return { actorType: 'operator', actorId: actor.principal?.id ?? null, ip: actor.ip, device: actor.device };
}

export function webhookRoutes(context: AppContext): FastifyPluginAsync {
  const { store, clock, config } = context;
  const deps = { store, sealer: webhookSecretSealer(context.keyring), targets: targetPolicyOf(config) };
  const route = (permission: Permission) => ({ config: { auth: 'operator' as const, permission } });
  const endpointIdOf = (params: unknown) => (params as Static<typeof EndpointParams>).endpointId;
  return async (app) => {
    const tags = ['webhooks'];

    app.post('/webhook-endpoints', { ...route('webhooks.manage'), schema: { tags, security, summary: "Register a merchant's webhook endpoint (the secret is shown once)", body: CreateBody, response: { 201: CreatedEndpointView, ...errors } } }, async (request, reply) => {
      const created = await createWebhookEndpoint(deps, auditActorOf(request), request.body as Static<typeof CreateBody>, clock());
      return reply.status(201).send({ ...endpointView(created.endpoint), secret: created.secret });
    });

    app.get('/webhook-endpoints', { ...route('webhooks.read'), schema: { tags, security, summary: "A merchant's webhook endpoints", querystring: Type.Object({ merchantId: MerchantId }, { additionalProperties: false }), response: { 200: Type.Object({ items: Type.Array(EndpointView) }), ...errors } } }, async (request) =>
      ({ items: (await listWebhookEndpoints(store, (request.query as { merchantId: string }).merchantId)).map(endpointView) }));

    app.post('/webhook-endpoints/:endpointId/disable', { ...route('webhooks.manage'), schema: { tags, security, summary: 'Stop sending to an endpoint', params: EndpointParams, response: { 200: EndpointView, ...errors } } }, async (request) =>
      endpointView(await disableWebhookEndpoint(store, auditActorOf(request), endpointIdOf(request.params), clock())));

    app.post('/webhook-endpoints/:endpointId/rotate-secret', { ...route('webhooks.manage'), schema: { tags, security, summary: 'Replace the signing secret (shown once)', params: EndpointParams, response: { 200: Type.Object({ secret: Type.String() }), ...errors } } }, async (request) =>
      ({ secret: await rotateWebhookSecret(deps, auditActorOf(request), endpointIdOf(request.params), clock()) }));

    app.get('/webhooks/deliveries', { ...route('webhooks.read'), schema: { tags, security, summary: 'Deliveries of events with every attempt (filter by event, merchant and/or subject)', querystring: DeliveryQuery, response: { 200: Type.Object({ items: Type.Array(DeliveryView) }), ...errors } } }, async (request) => {
      const query = request.query as Static<typeof DeliveryQuery>;
      if (query.eventId === undefined && query.merchantId === undefined && query.subject === undefined) throw new AnfuError('validation_failed', 'give eventId, merchantId or subject');
      return { items: (await listDeliveries(store, query)).map(deliveryView) };
    });

    app.get('/webhooks/dead-letters', { ...route('webhooks.read'), schema: { tags, security, summary: 'Deliveries that used up their attempts, newest first', querystring: Type.Object({ cursor: Type.Optional(Type.String({ maxLength: 64 })), limit: Type.Optional(Type.String({ pattern: '^([1-9]|[1-9][0-9]|1[0-9][0-9]|200)$' })) }, { additionalProperties: false }), response: { 200: Type.Object({ items: Type.Array(DeadLetterView), nextCursor: Nullable(Type.String()) }), ...errors } } }, async (request) => {
      const query = request.query as { cursor?: string; limit?: string };
      const page = await listDeadLetters(store, { cursor: query.cursor, limit: query.limit === undefined ? 50 : Number(query.limit) });
      return { items: page.items.map(deadLetterView), nextCursor: page.nextCursor };
    });

    app.post('/webhooks/dead-letters/:deliveryId/redeliver', { ...route('webhooks.manage'), schema: { tags, security, summary: 'Queue a dead letter for delivery again, with a fresh attempt budget', params: DeliveryParams, response: { 200: Type.Object({ id: Type.String(), state: Type.String(), nextAttemptAt: Time }), ...errors } } }, async (request) => {
      const result = await redeliverDeadLetter(store, auditActorOf(request), (request.params as Static<typeof DeliveryParams>).deliveryId, clock());
      return { id: result.deliveryId, state: 'pending', nextAttemptAt: iso(result.nextAttemptAt) };
    });
  };
}
