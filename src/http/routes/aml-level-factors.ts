// The AML monitors' level factors for the compliance officer: the table in force (its version, where it
// comes from, who approved it) and proposing a new one (maker), checked here by the configuration's own
// check so a malformed table is refused with `aml_level_factors_invalid` and its problems before any
// proposal exists; a second operator approves `aml.monitor_level_factors` (POST /v1/proposals/{id}/approve).
import type { FastifyPluginAsync } from 'fastify';
import { Type, type Static } from 'typebox';
import { proposeAction } from '../../access/index.ts';
import { levelFactorsInForce } from '../../aml/index.ts';
import { checkAmlLevelFactors } from '../../config.ts';
import { AnfuError } from '../../errors.ts';
import type { AppContext } from '../context.ts';
import { actorOf } from '../operator-auth.ts';
import { Nullable, operatorSecurity as security, problemResponses } from '../schemas.ts';
import { ProposalView, proposalView } from './access-views.ts';

const errors = problemResponses(400, 401, 403, 409, 422);
const Percent = Type.Integer({ minimum: 1, maximum: 100 });
const LevelFactors = Type.Object({ structuring: Percent, rapid_in_out: Percent, fan: Percent });
const FactorsView = Type.Object({
  version: Type.Integer({ description: '0: the start value (ANFU_AML_MONITOR_LEVEL_FACTORS or the defaults)' }),
  source: Type.Union([Type.Literal('default'), Type.Literal('configuration'), Type.Literal('approved')]),
  factors: Type.Object({ medium: LevelFactors, high: LevelFactors }),
  approval: Nullable(Type.Object({ proposalId: Type.String(), approvedBy: Type.String(), approvedAt: Type.String() })),
});
const ProposeBody = Type.Object(
  {
    factors: Type.Unknown({ description: 'the whole table, as ANFU_AML_MONITOR_LEVEL_FACTORS takes it' }),
    basedOn: Type.Optional(Type.Integer({ minimum: 0, description: 'the version written from (default: in force)' })),
    reason: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })),
  },
  { additionalProperties: false },
);

export function amlLevelFactorRoutes(context: AppContext): FastifyPluginAsync {
  const { store, clock, access, config } = context;
  const route = { auth: 'operator' as const, permission: 'aml.report' as const };
  const tags = ['compliance'];
  const url = '/aml/monitor-level-factors';
  return async (app) => {
    const summary = "The AML monitors' level factors in force (read by every monitor run)";
    const schema = { tags, security, summary, response: { 200: FactorsView, ...errors } };
    app.get(url, { config: route, schema }, async () => {
      const { approval, ...inForce } = await levelFactorsInForce(store, config.amlMonitorLevelFactors);
      const approvedAt = approval === null ? null : new Date(approval.approvedAt).toISOString();
      return { ...inForce, approval: approval === null ? null : { ...approval, approvedAt } };
    });

    const proposeSummary = 'Propose new level factors (maker); a second operator approves aml.monitor_level_factors';
    app.post(
      url,
      {
        config: route,
        schema: {
          tags, security, summary: proposeSummary, body: ProposeBody, response: { 201: ProposalView, ...errors },
        },
      },
      async (request, reply) => {
        const body = request.body as Static<typeof ProposeBody>;
        const checked = checkAmlLevelFactors(body.factors);
        if (!checked.ok) {
          const problems = checked.problems.map((p) => p.slice(0, 200));
          throw new AnfuError('aml_level_factors_invalid', problems.join('; ').slice(0, 300), { problems });
        }
        const basedOn = body.basedOn ?? (await levelFactorsInForce(store, config.amlMonitorLevelFactors)).version;
        const payload = { factors: checked.factors, basedOn };
        const input = { kind: 'aml.monitor_level_factors', payload, reason: body.reason };
        const outcome = await proposeAction(access.approvals, actorOf(request), input, clock());
        if (!outcome.ok) throw new AnfuError(outcome.code);
        return reply.status(201).send(proposalView(outcome.proposal));
      },
    );
  };
}
