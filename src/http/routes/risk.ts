// Risk operations (R4.2, R4.3): the running rule set, proposing a new one (validated here, so a bad set
// is refused with `risk_ruleset_invalid` and the problems, before any proposal exists), back-testing a
// set over stored decisions, a decision with its snapshot, labelling outcomes, and the indicators.
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { Type, type Static } from 'typebox';
import { proposeAction, type Permission, type ProposalOutcome } from '../../access/index.ts';
import { AnfuError } from '../../errors.ts';
import {
  backtest,
  compileRuleSet,
  decisionById,
  decisionsBetween,
  indicatorsOf,
  labelOutcome,
  latestRuleSetVersion,
  riskActions,
  riskEvents,
  ruleSetAt,
  searchDecisions,
  type CompiledRuleSet,
  type StoredDecision,
} from '../../risk/index.ts';
import type { AppContext } from '../context.ts';
import { Id, Nullable, operatorSecurity, PageLimit, problemResponses } from '../schemas.ts';
import { actorOf } from '../operator-auth.ts';
import { ProposalView, proposalView } from './access-views.ts';

const security = operatorSecurity;
const errors = problemResponses(400, 401, 403, 404, 409, 422);
const Word = Type.String({ pattern: '^[a-z][a-z0-9_]{0,47}$' });
const Events = Type.Array(Type.String({ enum: [...riskEvents] }), { minItems: 1, maxItems: riskEvents.length });
const Rule = Type.Object(
  {
    id: Word,
    on: Events,
    when: Type.String({ minLength: 1, maxLength: 2000 }),
    action: Type.String({ enum: [...riskActions] }),
    score: Type.Integer({ minimum: 0, maximum: 1000 }),
    reason: Word,
    mode: Type.Optional(Type.String({ enum: ['active', 'shadow'] })),
  },
  { additionalProperties: false },
);
const Typology = Type.Object(
  {
    id: Word,
    on: Events,
    weights: Type.Record(Type.String({ maxLength: 48 }), Type.Integer({ minimum: 0, maximum: 1000 }), {
      maxProperties: 300,
    }),
    alert: Type.Integer({ minimum: 0, maximum: 1000 }),
    alertAction: Type.String({ enum: ['challenge', 'review'] }),
    block: Type.Integer({ minimum: 0, maximum: 1000 }),
    strongAt: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000 })),
  },
  { additionalProperties: false },
);
const RuleSet = Type.Object(
  { rules: Type.Array(Rule, { maxItems: 300 }), typologies: Type.Array(Typology, { maxItems: 50 }) },
  { additionalProperties: false },
);
const ProposeBody = Type.Object(
  {
    document: RuleSet,
    basedOn: Type.Optional(Type.Integer({ minimum: 0 })),
    reason: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })),
  },
  { additionalProperties: false },
);
const Millis = Type.Integer({ minimum: 0, maximum: 8_640_000_000_000 });
const BacktestBody = Type.Object(
  { from: Millis, to: Millis, version: Type.Optional(Type.Integer({ minimum: 0 })), document: Type.Optional(RuleSet) },
  { additionalProperties: false },
);
const MillisText = Type.String({ pattern: '^[0-9]{1,13}$', description: 'Unix time in milliseconds' });
const Json = Type.Record(Type.String(), Type.Unknown());
const DecisionId = Type.Object({ decisionId: Id('rsk') });
const DecisionView = Type.Object({
  id: Type.String(),
  event: Type.String(),
  subjectRef: Type.Union([Type.String(), Type.Null()]),
  customerId: Type.Union([Type.String(), Type.Null()]),
  decision: Type.String(),
  score: Type.Integer(),
  reasons: Type.Array(Type.String()),
  hits: Type.Array(Json),
  shadowHits: Type.Array(Json),
  features: Json,
  version: Type.Integer(),
  label: Type.Union([Type.String(), Type.Null()]),
  at: Type.Integer(),
});
const DecisionQuery = Type.Object(
  {
    action: Type.Optional(Type.String({ enum: [...riskActions], description: 'the decision taken' })),
    event: Type.Optional(Type.String({ enum: [...riskEvents], description: 'the kind of subject decided' })),
    customer: Type.Optional(Id('cus')),
    from: Type.Optional(MillisText),
    to: Type.Optional(MillisText),
    cursor: Type.Optional(Id('rsk', 'the previous nextCursor')),
    limit: PageLimit(100),
  },
  { additionalProperties: false },
);
const DecisionPage = Type.Object({ items: Type.Array(DecisionView), nextCursor: Nullable(Type.String()) });
const maxDecisions = 50_000;

function refusedUnlessCompiled(document: unknown): CompiledRuleSet {
  const compiled = compileRuleSet(document);
  if (compiled.ok) return compiled.set;
  const first = compiled.problems[0];
  throw new AnfuError(
    'risk_ruleset_invalid',
    first === undefined ? undefined : `${first.where}: ${first.message}`.slice(0, 300),
    {
      problems: compiled.problems.map((p) => ({ code: p.code, where: p.where, message: p.message.slice(0, 200) })),
    },
  );
}

function proposalResult(outcome: ProposalOutcome) {
  if (!outcome.ok) throw new AnfuError(outcome.code);
  return proposalView(outcome.proposal);
}

function decisionView(d: StoredDecision) {
  const features = Object.fromEntries(
    Object.entries(d.features).map(([k, v]) => [
      k,
      typeof v === 'object' && 'minor' in v
        ? { minor: v.minor.toString(), currency: v.currency }
        : v instanceof Set
          ? [...v]
          : typeof v === 'number' && !Number.isFinite(v)
            ? null
            : v,
    ]),
  );
  return { ...d, features, hits: d.hits.map((h) => ({ ...h })), shadowHits: d.shadowHits.map((h) => ({ ...h })) };
}

const route = (permission: Permission) => ({ config: { auth: 'operator' as const, permission } });
const tags = ['risk'];

/** The running set, proposing a new one, back-testing. */
function ruleSetRoutes(app: FastifyInstance, context: AppContext): void {
  const { store, clock, access, risk } = context;
  app.get(
    '/risk/rulesets/active',
    {
      ...route('risk.read'),
      schema: {
        tags,
        security,
        summary: 'The rule set this process runs (version 0: the default set)',
        response: { 200: Type.Object({ version: Type.Integer(), document: Json }), ...errors },
      },
    },
    async () => {
      await risk.refresh();
      return { version: risk.version, document: risk.ruleSet.document as unknown as Record<string, unknown> };
    },
  );

  app.post(
    '/risk/rulesets',
    {
      ...route('risk.manage'),
      schema: {
        tags,
        security,
        summary: 'Propose a new rule set (maker); a second operator approves it as a risk.ruleset proposal',
        body: ProposeBody,
        response: { 201: ProposalView, ...errors },
      },
    },
    async (request, reply) => {
      const body = request.body as Static<typeof ProposeBody>;
      refusedUnlessCompiled(body.document);
      const basedOn = body.basedOn ?? (await latestRuleSetVersion(store));
      const outcome = await proposeAction(
        access.approvals,
        actorOf(request),
        { kind: 'risk.ruleset', payload: { document: body.document, basedOn }, reason: body.reason },
        clock(),
      );
      return reply.status(201).send(proposalResult(outcome));
    },
  );

  app.post(
    '/risk/backtest',
    {
      ...route('risk.manage'),
      schema: {
        tags,
        security,
        summary: 'Replay a rule set (a stored version, or a draft) over the decisions in [from, to)',
        body: BacktestBody,
        response: { 200: Json, ...errors },
      },
    },
    async (request) => {
      const body = request.body as Static<typeof BacktestBody>;
      refuseInvertedRange(body.from, body.to);
      const document =
        body.document ?? (body.version === undefined ? risk.ruleSet.document : await ruleSetAt(store, body.version));
      if (document === undefined) throw new AnfuError('risk_ruleset_not_found');
      const set = refusedUnlessCompiled(document);
      return { ...backtest(set, await decisionsBetween(store, body.from, body.to, maxDecisions)) };
    },
  );
}

/** A time range [from, to) whose end is not after its start is refused (either end may be open). */
function refuseInvertedRange(from: number | undefined, to: number | undefined): void {
  if (from !== undefined && to !== undefined && to <= from) {
    throw new AnfuError('validation_failed', 'to must be after from');
  }
}

/** Decision search: the stored decisions newest first, filtered, by keyset pages. */
function decisionSearchRoute(app: FastifyInstance, context: AppContext): void {
  const { store } = context;
  app.get(
    '/risk/decisions',
    {
      ...route('risk.read'),
      schema: {
        tags,
        security,
        summary: 'Stored decisions newest first, by action, event, customer and time range [from, to)',
        querystring: DecisionQuery,
        response: { 200: DecisionPage, ...errors },
      },
    },
    async (request) => {
      const q = request.query as Static<typeof DecisionQuery>;
      const from = q.from === undefined ? undefined : Number(q.from);
      const to = q.to === undefined ? undefined : Number(q.to);
      refuseInvertedRange(from, to);
      const limit = q.limit === undefined ? 50 : Number(q.limit);
      const filter = { decision: q.action, event: q.event, customerId: q.customer, from, to, before: q.cursor, limit };
      const rows = await searchDecisions(store, filter);
      const items = rows.slice(0, limit);
      const last = items.at(-1);
      return { items: items.map(decisionView), nextCursor: rows.length > limit && last ? last.id : null };
    },
  );
}

/** Decisions with their snapshots, labels, indicators. */
function decisionRoutes(app: FastifyInstance, context: AppContext): void {
  const { store, clock } = context;
  app.get(
    '/risk/decisions/:decisionId',
    {
      ...route('risk.read'),
      schema: {
        tags,
        security,
        summary: 'A decision with its feature snapshot, score, rules hit and reasons',
        params: DecisionId,
        response: { 200: DecisionView, ...errors },
      },
    },
    async (request) => {
      const decision = await decisionById(store, (request.params as Static<typeof DecisionId>).decisionId);
      if (decision === undefined) throw new AnfuError('risk_decision_not_found');
      return decisionView(decision);
    },
  );

  app.post(
    '/risk/decisions/:decisionId/label',
    {
      ...route('risk.manage'),
      schema: {
        tags,
        security,
        summary: 'Label the outcome (confirmed fraud or legitimate) for precision and recall',
        params: DecisionId,
        body: Type.Object({ label: Type.String({ enum: ['fraud', 'legitimate'] }) }, { additionalProperties: false }),
        response: { 204: Type.Null(), ...errors },
      },
    },
    async (request, reply) => {
      const id = (request.params as Static<typeof DecisionId>).decisionId;
      const label = (request.body as { label: 'fraud' | 'legitimate' }).label;
      const operatorId = actorOf(request).principal?.id ?? 'unknown';
      if (!(await labelOutcome(store, id, label, operatorId, clock()))) throw new AnfuError('risk_decision_not_found');
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/risk/indicators',
    {
      ...route('risk.read'),
      schema: {
        tags,
        security,
        summary: 'Deny, challenge and review rates, rule hit rates and the fraud rate in [from, to)',
        querystring: Type.Object({ from: MillisText, to: MillisText }, { additionalProperties: false }),
        response: { 200: Json, ...errors },
      },
    },
    async (request) => {
      const query = request.query as { from: string; to: string };
      const [from, to] = [Number(query.from), Number(query.to)];
      refuseInvertedRange(from, to);
      return { ...indicatorsOf(await decisionsBetween(store, from, to, maxDecisions), from, to) };
    },
  );
}

export function riskRoutes(context: AppContext): FastifyPluginAsync {
  return async (app) => {
    ruleSetRoutes(app, context);
    decisionSearchRoute(app, context);
    decisionRoutes(app, context);
  };
}
