// Operator API tokens: issue one for yourself (only from an interactive session, so a token never
// mints its successor), list them, revoke them. Thin: validate, call one use case, map its outcome.
import type { FastifyPluginAsync } from 'fastify';
import { Type, type Static } from 'typebox';
import { issueApiToken, listApiTokens, revokeApiToken, type Permission } from '../../access/index.ts';
import { AnfuError } from '../../errors.ts';
import type { AppContext } from '../context.ts';
import { actorOf } from '../operator-auth.ts';
import { ApiTokenView, IssuedTokenView, apiTokenView } from './access-views.ts';

const security = [{ operatorToken: [] }];
const errors = { 400: Type.Any(), 401: Type.Any(), 403: Type.Any(), 404: Type.Any(), 409: Type.Any(), 422: Type.Any() };
const TokenId = Type.Object({ tokenId: Type.String({ pattern: '^tok_[0-9a-z]{26}$' }) });
const NewTokenBody = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 100, description: 'What the token is for' }),
  expiresInDays: Type.Optional(Type.Integer({
    minimum: 1, maximum: 365, description: 'Default 90, at most ANFU_OPERATOR_TOKEN_TTL_DAYS_MAX',
  })),
}, { additionalProperties: false });
const ListQuery = Type.Object({
  operatorId: Type.Optional(Type.String({ pattern: '^opr_[0-9a-z]{26}$' })),
  live: Type.Optional(Type.String({ enum: ['true', 'false'], description: 'Only tokens neither revoked nor expired' })),
}, { additionalProperties: false });

export function operatorTokenRoutes(context: AppContext): FastifyPluginAsync {
  const { store, access, clock } = context;
  const route = (permission: Permission) => ({ config: { auth: 'operator' as const, permission } });
  return async (app) => {
    const tags = ['access'];

    app.post('/operator-tokens', {
      ...route('session.self'),
      schema: {
        tags, security, summary: 'Issue an API token for yourself (interactive session only)', body: NewTokenBody,
        response: { 201: IssuedTokenView, ...errors },
      },
    }, async (request, reply) => {
      const actor = actorOf(request);
      if (actor.principal?.sessionId === undefined) {
        const details = { reason: 'mfa_required' };
        await access.auditRefusal(actor, { action: 'operator.token.issue', target: null, outcome: 'denied', details });
        throw new AnfuError('mfa_required', 'log in with password and TOTP to issue a token; no token issues one');
      }
      const body = request.body as Static<typeof NewTokenBody>;
      const maxDays = access.tokenDaysMax;
      const input = { operator: { id: actor.principal.id }, name: body.name, days: body.expiresInDays, maxDays };
      const outcome = await issueApiToken(store, actor, input, clock());
      if (!outcome.ok) {
        const detail = outcome.code === 'validation_failed' ? `a token lives at most ${maxDays} days` : undefined;
        throw new AnfuError(outcome.code, detail);
      }
      return reply.status(201).send({ ...outcome.issued, expiresAt: new Date(outcome.issued.expiresAt).toISOString() });
    });

    app.get('/operator-tokens', {
      ...route('tokens.read'),
      schema: {
        tags, security, summary: 'List operator API tokens, newest first (never the secrets)', querystring: ListQuery,
        response: { 200: Type.Object({ items: Type.Array(ApiTokenView) }), ...errors },
      },
    }, async (request) => {
      const query = request.query as Static<typeof ListQuery>;
      const liveAt = query.live === 'true' ? clock() : undefined;
      const tokens = await listApiTokens(store, { operatorId: query.operatorId, liveAt, limit: 500 });
      return { items: tokens.map(apiTokenView) };
    });

    app.delete('/operator-tokens/:tokenId', {
      ...route('session.self'),
      schema: {
        tags, security, summary: 'Revoke an API token (your own; an administrator any)', params: TokenId,
        response: { 200: ApiTokenView, ...errors },
      },
    }, async (request) => {
      const { tokenId } = request.params as Static<typeof TokenId>;
      const outcome = await revokeApiToken(store, actorOf(request), tokenId, clock());
      if (!outcome.ok) throw new AnfuError(outcome.code);
      return apiTokenView(outcome.token);
    });
  };
}
