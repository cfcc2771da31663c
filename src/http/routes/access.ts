// Operator access API: login and logout, who am I, operators, and maker–checker proposals.
// Thin: validate by schema, call one use case, map its outcome.
import type { FastifyPluginAsync } from 'fastify';
import { Type, type Static } from 'typebox';
import {
  approveProposal, createOperator, findProposal, listOperatorViews, listProposals, logInOperator, logOutOperator, operatorNamePattern, operatorRoles, proposeAction, rejectProposal,
  type Permission, type ProposalOutcome, type ProposalState,
} from '../../access/index.ts';
import { AnfuError } from '../../errors.ts';
import type { AppContext } from '../context.ts';
import { Id, operatorSecurity, problemResponses } from '../schemas.ts';
import { actorOf } from '../operator-auth.ts';
import { CreatedOperatorView, MeView, OperatorView, ProposalView, SessionView, proposalView } from './access-views.ts';

const security = operatorSecurity;
const errors = problemResponses(400, 401, 403, 404, 409, 422);
const ProposalId = Type.Object({ proposalId: Id('prp') });
const LoginBody = Type.Object({ name: Type.String({ minLength: 1, maxLength: 64 }), password: Type.String({ minLength: 1, maxLength: 200 }), totp: Type.String({ minLength: 1, maxLength: 10 }) }, { additionalProperties: false });
const NewOperatorBody = Type.Object({ name: Type.String({ pattern: operatorNamePattern }), role: Type.String({ enum: [...operatorRoles] }) }, { additionalProperties: false });
const ProposalBody = Type.Object({ kind: Type.String({ pattern: '^[a-z_]{1,32}\\.[a-z_]{1,32}$' }), payload: Type.Record(Type.String(), Type.Unknown()), reason: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })) }, { additionalProperties: false });
const proposalStates = ['pending', 'approved', 'rejected', 'expired', 'executed', 'failed'];

function proposalResult(outcome: ProposalOutcome) {
  if (!outcome.ok) throw new AnfuError(outcome.code);
  return proposalView(outcome.proposal);
}

export function accessRoutes(context: AppContext): FastifyPluginAsync {
  const { store, access, clock } = context;
  const route = (permission: Permission) => ({ config: { auth: 'operator' as const, permission } });
  return async (app) => {
    const tags = ['access'];

    app.post('/operator-sessions', {
      // Public (it is the login), and rate-limited harder than the rest.
      config: { rateLimit: { max: 30, timeWindow: 60_000 } },
      schema: { tags, summary: 'Log in with name, password and TOTP code', body: LoginBody, response: { 201: SessionView, ...errors } },
    }, async (request, reply) => {
      const outcome = await logInOperator(store, access.totpSecrets, actorOf(request), request.body as Static<typeof LoginBody>, access.loginPolicy, clock());
      access.alerts.kick();
      if (!outcome.ok) throw new AnfuError('operator_login_failed');
      return reply.status(201).send({ token: outcome.token, sessionId: outcome.sessionId, idleTimeoutSeconds: access.sessionPolicy.idleMs / 1000, absoluteTimeoutSeconds: access.sessionPolicy.absoluteMs / 1000 });
    });

    app.delete('/operator-sessions/current', { ...route('session.self'), schema: { tags, security, summary: 'Log out (end this session)', response: { 204: Type.Null(), ...errors } } }, async (request, reply) => {
      if (!(await logOutOperator(store, actorOf(request), clock()))) throw new AnfuError('mfa_required', 'only a login session can be logged out; revoke API tokens instead');
      return reply.status(204).send();
    });

    app.get('/operators/me', { ...route('session.self'), schema: { tags, security, summary: 'The calling operator', response: { 200: MeView, ...errors } } }, async (request) => {
      const p = request.principal;
      if (p === undefined) throw new AnfuError('unauthenticated');
      return { id: p.id, name: p.name, role: p.role, via: p.sessionId === undefined ? 'api_token' : 'session' };
    });

    app.get('/operators', { ...route('operators.read'), schema: { tags, security, summary: 'List operators', response: { 200: Type.Object({ items: Type.Array(OperatorView) }), ...errors } } }, async () => ({
      items: (await listOperatorViews(store, clock())).map((o) => ({ ...o, createdAt: new Date(o.createdAt).toISOString() })),
    }));

    app.post('/operators', { ...route('operators.create'), schema: { tags, security, summary: 'Create an operator (not an administrator: that is a role change under maker–checker)', body: NewOperatorBody, response: { 201: CreatedOperatorView, ...errors } } }, async (request, reply) => {
      const body = request.body as { name: string; role: (typeof operatorRoles)[number] };
      if (body.role === 'administrator') {
        await access.auditRefusal(actorOf(request), { action: 'operator.create', target: null, outcome: 'denied', details: { reason: 'role_escalation', role: body.role } });
        throw new AnfuError('forbidden', 'administrators are made by a role change that another administrator approves');
      }
      const outcome = await createOperator(store, access.totpSecrets, actorOf(request), body, clock());
      if (!outcome.ok) throw new AnfuError(outcome.code);
      return reply.status(201).send(outcome.operator);
    });

    app.post('/proposals', { ...route('proposals.create'), schema: { tags, security, summary: 'Propose a sensitive action (maker)', body: ProposalBody, response: { 201: ProposalView, ...errors } } }, async (request, reply) => {
      const body = request.body as Static<typeof ProposalBody>;
      return reply.status(201).send(proposalResult(await proposeAction(access.approvals, actorOf(request), body, clock())));
    });

    app.get('/proposals', { ...route('proposals.read'), schema: { tags, security, summary: 'List proposals, newest first', querystring: Type.Object({ state: Type.Optional(Type.String({ enum: proposalStates })) }, { additionalProperties: false }), response: { 200: Type.Object({ items: Type.Array(ProposalView) }), ...errors } } }, async (request) => {
      const { state } = request.query as { state?: ProposalState };
      return { items: (await listProposals(store, state, 200)).map(proposalView) };
    });

    app.get('/proposals/:proposalId', { ...route('proposals.read'), schema: { tags, security, summary: 'A proposal', params: ProposalId, response: { 200: ProposalView, ...errors } } }, async (request) => {
      const proposal = await findProposal(store, (request.params as Static<typeof ProposalId>).proposalId);
      if (proposal === undefined) throw new AnfuError('proposal_not_found');
      return proposalView(proposal);
    });

    app.post('/proposals/:proposalId/approve', { ...route('proposals.decide'), schema: { tags, security, summary: 'Approve a proposal (checker); it executes at once', params: ProposalId, response: { 200: ProposalView, ...errors } } }, async (request) =>
      proposalResult(await approveProposal(access.approvals, actorOf(request), (request.params as Static<typeof ProposalId>).proposalId, clock)));

    app.post('/proposals/:proposalId/reject', { ...route('proposals.decide'), schema: { tags, security, summary: 'Reject a proposal (checker)', params: ProposalId, response: { 200: ProposalView, ...errors } } }, async (request) =>
      proposalResult(await rejectProposal(access.approvals, actorOf(request), (request.params as Static<typeof ProposalId>).proposalId, clock())));
  };
}
