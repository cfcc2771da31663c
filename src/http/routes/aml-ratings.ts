// A customer's money-laundering risk rating for the compliance officer: the level in force with its
// score, factors, override and history; an override is proposed here and approved by a second operator
// (`aml.rating_override`, POST /v1/proposals/{id}/approve). Thin: validate, call one use case, shape.
import type { FastifyPluginAsync } from 'fastify';
import { Type, type Static } from 'typebox';
import { proposeAction } from '../../access/index.ts';
import { ratingHistory, storedRating, type StoredRating } from '../../aml/index.ts';
import { AnfuError } from '../../errors.ts';
import type { AppContext } from '../context.ts';
import { actorOf } from '../operator-auth.ts';
import { Id, Nullable, operatorSecurity as security, problemResponses } from '../schemas.ts';
import { ProposalView, proposalView } from './access-views.ts';

const errors = problemResponses(400, 401, 403, 404, 422);
const Level = Type.Union([Type.Literal('low'), Type.Literal('medium'), Type.Literal('high')]);
const Params = Type.Object({ customerId: Id('cus') }, { additionalProperties: false });
const RatingView = Type.Object({
  customerId: Type.String(),
  level: Level,
  computedLevel: Level,
  score: Type.Integer(),
  factors: Type.Array(Type.Object({ factor: Type.String(), value: Type.String(), points: Type.Integer() })),
  idRegion: Type.String(),
  cause: Type.String(),
  override: Nullable(
    Type.Object({
      level: Level,
      approvedAgainst: Level,
      proposalId: Type.String(),
      reason: Type.String(),
    }),
  ),
  ratedAt: Type.String(),
  history: Type.Array(
    Type.Object({
      level: Level,
      computedLevel: Level,
      score: Type.Integer(),
      cause: Type.String(),
      ratedAt: Type.String(),
    }),
  ),
});
const OverrideBody = Type.Object(
  { level: Nullable(Level), reason: Type.String({ minLength: 1, maxLength: 500 }) },
  { additionalProperties: false },
);
const historyMax = 50;
const iso = (ms: number) => new Date(ms).toISOString();

function ratingView(r: StoredRating, history: Awaited<ReturnType<typeof ratingHistory>>) {
  const { customerId, level, computedLevel, score, factors, idRegion, cause } = r;
  const override =
    r.override === null
      ? null
      : { level: r.override.level, approvedAgainst: r.override.against, proposalId: r.override.proposalId,
          reason: r.override.reason };
  return {
    ...{ customerId, level, computedLevel, score, factors: [...factors], idRegion, cause, override },
    ratedAt: iso(r.ratedAt),
    history: history.map((h) => ({ ...h, ratedAt: iso(h.ratedAt) })),
  };
}

export function amlRatingRoutes(context: AppContext): FastifyPluginAsync {
  const { store, clock, access } = context;
  const config = { auth: 'operator' as const, permission: 'aml.report' as const };
  const tags = ['compliance'];
  return async (app) => {
    const summary = "A customer's money-laundering risk rating: level, score, factors, override, history";
    app.get(
      '/aml/customers/:customerId/risk-rating',
      { config, schema: { tags, security, summary, params: Params, response: { 200: RatingView, ...errors } } },
      async (request) => {
        const { customerId } = request.params as Static<typeof Params>;
        const rating = await storedRating(store, customerId);
        if (rating === undefined) throw new AnfuError('aml_rating_not_found');
        return ratingView(rating, await ratingHistory(store, customerId, historyMax));
      },
    );

    const proposeSummary = 'Propose an override of the rating (maker); a second operator approves aml.rating_override';
    app.post(
      '/aml/customers/:customerId/risk-rating/overrides',
      {
        config,
        schema: {
          tags, security, summary: proposeSummary, params: Params, body: OverrideBody,
          response: { 201: ProposalView, ...errors },
        },
      },
      async (request, reply) => {
        const { customerId } = request.params as Static<typeof Params>;
        const body = request.body as Static<typeof OverrideBody>;
        if ((await storedRating(store, customerId)) === undefined) throw new AnfuError('aml_rating_not_found');
        const payload = { customerId, level: body.level, reason: body.reason };
        const input = { kind: 'aml.rating_override', payload, reason: body.reason };
        const outcome = await proposeAction(access.approvals, actorOf(request), input, clock());
        if (!outcome.ok) throw new AnfuError(outcome.code);
        return reply.status(201).send(proposalView(outcome.proposal));
      },
    );
  };
}
