// The operator API of the shared case system (docs/cases.md): list a queue, read a case, assign,
// note, link evidence, wait on the customer, decide (or propose under four eyes), close. Thin: each
// route validates, calls one case function and maps its outcome.
import type { FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify';
import { Type, type Static } from 'typebox';
import type { Permission } from '../../access/index.ts';
import {
  addEvidence,
  addNote,
  asCaseWorker,
  assignCase,
  caseDetail,
  caseStatuses,
  closeCase,
  decideCase,
  listQueue,
  setWaiting,
  type CaseOutcome,
  type CaseStatus,
  type CasesContext,
} from '../../cases/index.ts';
import { AnfuError, isProblemCode } from '../../errors.ts';
import type { AppContext } from '../context.ts';
import { actorOf } from '../operator-auth.ts';
import { Cursor, Id, Page, PageLimit, operatorSecurity, problemResponses } from '../schemas.ts';
import { CaseSummaryView, CaseView, caseSummaryView, caseView } from './case-views.ts';

const security = operatorSecurity;
const errors = problemResponses(400, 401, 403, 404, 409, 422);
const tags = ['cases'];
const CaseParams = Type.Object({ caseId: Id('cas') });
const Name = (max: number) => Type.String({ minLength: 1, maxLength: max, pattern: '^[a-z][a-z0-9_]*$' });
const ListQuery = Type.Object(
  {
    kind: Type.Optional(Name(64)),
    queue: Type.Optional(Name(64)),
    status: Type.Optional(Type.String({ enum: [...caseStatuses] })),
    assignee: Type.Optional(Id('opr')),
    customerId: Type.Optional(Type.String({ maxLength: 64, pattern: '^[a-z]{2,8}_[0-9a-z]{26}$' })),
    cursor: Cursor,
    limit: PageLimit(200),
  },
  { additionalProperties: false },
);
const AssignBody = Type.Object(
  {
    assignee: Type.Optional(Id('opr', 'The operator to assign; yourself when absent')),
  },
  { additionalProperties: false },
);
const NoteBody = Type.Object({ body: Type.String({ minLength: 1, maxLength: 4000 }) }, { additionalProperties: false });
const EvidenceBody = Type.Object(
  {
    type: Name(32),
    ref: Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9_.:/-]+$' }),
    note: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })),
  },
  { additionalProperties: false },
);
const WaitingBody = Type.Object({ waiting: Type.Boolean() }, { additionalProperties: false });
const DecisionBody = Type.Object(
  {
    decision: Name(64),
    reason: Type.String({ minLength: 1, maxLength: 2000 }),
  },
  { additionalProperties: false },
);
const DecisionView = Type.Object({
  case: CaseView,
  proposalId: Type.Union([Type.String(), Type.Null()], { description: 'Set when the decision awaits a checker' }),
});

const idOf = (request: FastifyRequest) => (request.params as Static<typeof CaseParams>).caseId;

function failed(code: string): never {
  throw new AnfuError(isProblemCode(code) ? code : 'case_status_invalid', isProblemCode(code) ? undefined : code);
}

async function detailOf(cases: CasesContext, caseId: string) {
  const detail = await caseDetail(cases, caseId);
  if (detail === undefined) throw new AnfuError('case_not_found');
  return caseView(detail);
}

async function resultOf<T>(cases: CasesContext, caseId: string, outcome: CaseOutcome<T>) {
  if (!outcome.ok) failed(outcome.code);
  return detailOf(cases, caseId);
}

const route = (permission: Permission) => ({ config: { auth: 'operator' as const, permission } });
const post = (summary: string, body: object) => ({
  schema: { tags, security, summary, params: CaseParams, body, response: { 200: CaseView, ...errors } },
});
type Worked = (request: FastifyRequest, action: string, work: () => Promise<CaseOutcome<unknown>>) => Promise<unknown>;

function readRoutes(app: FastifyInstance, cases: CasesContext): void {
  const listSchema = {
    tags,
    security,
    summary: 'List cases, oldest first (a queue is worked in order)',
    querystring: ListQuery,
    response: { 200: Page(CaseSummaryView), ...errors },
  };
  app.get('/cases', { ...route('cases.read'), schema: listSchema }, async (request) => {
    const q = request.query as Static<typeof ListQuery>;
    const page = await listQueue(cases, {
      kind: q.kind,
      queue: q.queue,
      status: q.status as CaseStatus | undefined,
      assignee: q.assignee,
      customerId: q.customerId,
      cursor: q.cursor,
      limit: q.limit === undefined ? 50 : Number(q.limit),
    });
    return { items: page.items.map(caseSummaryView), nextCursor: page.nextCursor };
  });

  const readSchema = {
    tags,
    security,
    summary: 'A case with its evidence, notes, timeline and SLA clocks',
    params: CaseParams,
    response: { 200: CaseView, ...errors },
  };
  app.get('/cases/:caseId', { ...route('cases.read'), schema: readSchema }, async (request) =>
    detailOf(cases, idOf(request)),
  );
}

function workRoutes(app: FastifyInstance, context: AppContext, worked: Worked): void {
  const { clock } = context;
  app.post(
    '/cases/:caseId/assign',
    { ...route('cases.work'), ...post('Assign the case (to yourself by default)', AssignBody) },
    async (request) => {
      const assignee = (request.body as Static<typeof AssignBody>).assignee ?? request.principal?.id ?? '';
      return worked(request, 'assigned', () =>
        assignCase(context.store, idOf(request), assignee, actorOf(request), clock()),
      );
    },
  );

  app.post('/cases/:caseId/notes', { ...route('cases.work'), ...post('Add a note', NoteBody) }, async (request) => {
    const { body } = request.body as Static<typeof NoteBody>;
    return worked(request, 'note', () => addNote(context.store, idOf(request), body, actorOf(request), clock()));
  });

  const evidenceSummary = 'Link evidence (payment, device, login, list entry …)';
  app.post(
    '/cases/:caseId/evidence',
    { ...route('cases.work'), ...post(evidenceSummary, EvidenceBody) },
    async (request) => {
      const link = request.body as Static<typeof EvidenceBody>;
      return worked(request, 'evidence', () =>
        addEvidence(context.store, idOf(request), link, actorOf(request), clock()),
      );
    },
  );

  const waitingSummary = 'Wait on the customer (SLA clocks pause) or resume';
  app.post(
    '/cases/:caseId/waiting',
    { ...route('cases.work'), ...post(waitingSummary, WaitingBody) },
    async (request) => {
      const { waiting } = request.body as Static<typeof WaitingBody>;
      return worked(request, 'waiting', () =>
        setWaiting(context.store, idOf(request), waiting, actorOf(request), clock()),
      );
    },
  );
}

function decisionRoutes(app: FastifyInstance, context: AppContext, worked: Worked): void {
  const { cases, clock } = context;
  const decideSchema = {
    tags,
    security,
    summary: 'Decide; a four-eyes decision becomes a case.decide proposal for a checker',
    params: CaseParams,
    body: DecisionBody,
    response: { 200: DecisionView, ...errors },
  };
  app.post('/cases/:caseId/decisions', { ...route('cases.decide'), schema: decideSchema }, async (request) => {
    const body = request.body as Static<typeof DecisionBody>;
    const outcome = await decideCase(cases, idOf(request), body.decision, actorOf(request), body.reason, clock());
    if (!outcome.ok) failed(outcome.code);
    return { case: await detailOf(cases, idOf(request)), proposalId: outcome.proposalId ?? null };
  });

  const closeSchema = {
    tags,
    security,
    summary: 'Close a decided case',
    params: CaseParams,
    response: { 200: CaseView, ...errors },
  };
  app.post('/cases/:caseId/close', { ...route('cases.work'), schema: closeSchema }, async (request) =>
    worked(request, 'closed', () => closeCase(context.store, idOf(request), actorOf(request), clock())),
  );
}

export function caseRoutes(context: AppContext): FastifyPluginAsync {
  const { cases } = context;
  const worked: Worked = (request, action, work) =>
    asCaseWorker(cases, actorOf(request), idOf(request), action, work).then((o) => resultOf(cases, idOf(request), o));
  return async (app) => {
    readRoutes(app, cases);
    workRoutes(app, context, worked);
    decisionRoutes(app, context, worked);
  };
}
