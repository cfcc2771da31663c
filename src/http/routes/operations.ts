// Operations (issue 14): run and read the security self-assessment (JSON and a self-contained HTML
// report), the operational reports (JSON and CSV), and backup jobs with their progress.
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { Type, type Static } from 'typebox';
import type { Permission } from '../../access/index.ts';
import {
  assessmentProbes,
  attestationStatementCharsMax,
  attestedControls,
  indicators,
  listAttestations,
  recordAttestation,
  latestRun,
  listRuns,
  renderAssessmentHtml,
  results,
  runAssessment,
  standard,
  runById,
  reachableHost,
  type Assessment,
  type Attestation,
  type Listener,
} from '../../assessment/index.ts';
import { AnfuError } from '../../errors.ts';
import { operationsReport, reportCsv, reportRangeProblem, type ReportQuery } from '../../reports/index.ts';
import type { AppContext } from '../context.ts';
import { Id, Nullable, operatorSecurity as security, problemResponses } from '../schemas.ts';
import { backupRoutes } from './backups.ts';

const errors = problemResponses(400, 401, 403, 404, 409);
const ResultSchema = Type.String({ enum: [...results] });
const Summary = Type.Object(Object.fromEntries(indicators.map((i) => [i, ResultSchema])));
const Row = Type.Object({
  id: Type.String(),
  chapter: Type.String(),
  chapterTitle: Type.String(),
  indicator: Type.String({ enum: [...indicators] }),
  requirement: Type.String(),
  control: Type.String(),
  evidence: Type.String(),
  result: ResultSchema,
  advice: Type.String(),
  previous: Nullable(ResultSchema),
});
const AssessmentView = Type.Object({
  id: Type.String(),
  at: Type.String(),
  actor: Type.String(),
  standard: Type.String(),
  summary: Summary,
  rows: Type.Array(Row),
  previousRunId: Nullable(Type.String()),
});
const RunSummary = Type.Object({ id: Type.String(), at: Type.String(), actor: Type.String(), summary: Summary });
const RunId = Type.Object({ runId: Id('asr') });
const AttestationBody = Type.Object(
  {
    controlId: Type.String({ maxLength: 60 }),
    statement: Type.String({
      maxLength: attestationStatementCharsMax,
      description: 'what was checked, with a document reference',
    }),
    validDays: Type.Integer({ minimum: 1, maximum: 365 }),
  },
  { additionalProperties: false },
);
const AttestationView = Type.Object({
  id: Type.String(),
  controlId: Type.String(),
  statement: Type.String(),
  attestedBy: Type.String(),
  attestedAt: Type.String(),
  expiresAt: Type.String(),
});
const AttestedControlView = Type.Object({
  id: Type.String(),
  chapter: Type.String(),
  indicator: Type.String(),
  requirement: Type.String(),
  validityDaysMax: Type.Integer(),
});
const attestationView = (a: Attestation) => ({
  ...a,
  attestedAt: new Date(a.attestedAt).toISOString(),
  expiresAt: new Date(a.expiresAt).toISOString(),
});
const ReportQuerySchema = Type.Object(
  {
    from: Type.String({ maxLength: 40, description: 'ISO date or time (inclusive)' }),
    to: Type.String({ maxLength: 40, description: 'ISO date or time (exclusive)' }),
    granularity: Type.Optional(Type.String({ enum: ['day', 'week'] })),
  },
  { additionalProperties: false },
);
const ReportRow = Type.Object({
  period: Type.String(),
  dimension: Type.String(),
  metric: Type.String(),
  value: Type.Union([Type.Number(), Type.String(), Type.Null()]),
});
const ReportView = Type.Object({
  from: Type.String(),
  to: Type.String(),
  granularity: Type.String(),
  generatedAt: Type.String(),
  periods: Type.Array(Type.String()),
  sections: Type.Record(
    Type.String(),
    Type.Object({ available: Type.Boolean(), note: Type.String(), rows: Type.Array(ReportRow) }),
  ),
});

const viewOf = (a: Pick<Assessment, 'at'> & Record<string, unknown>) => ({ ...a, at: new Date(a.at).toISOString() });

/** The listener this app serves on, as the probe reaches it; undefined when not listening (tests by inject). */
function listenerOf(request: FastifyRequest): Listener | undefined {
  const address = request.server.server.address();
  if (address === null || typeof address === 'string') return undefined;
  const tls = 'setSecureContext' in request.server.server;
  return { host: reachableHost(address.address), port: address.port, tls };
}

function reportQueryOf(query: Static<typeof ReportQuerySchema>): ReportQuery {
  const parsed: ReportQuery = {
    from: Date.parse(query.from),
    to: Date.parse(query.to),
    granularity: query.granularity === 'week' ? 'week' : 'day',
  };
  const problem = reportRangeProblem(parsed);
  if (problem !== null) throw new AnfuError('report_range_invalid', problem);
  return parsed;
}

const tags = ['operations'];
const route = (permission: Permission, summary: string, schema: Record<string, unknown>) => ({
  config: { auth: 'operator' as const, permission },
  schema: { tags, security, summary, ...schema },
});

function assessmentRoutes(context: AppContext): FastifyPluginAsync {
  const { store, clock } = context;
  let listener: Listener | undefined;
  let running: Promise<Assessment> | undefined;
  const probes = assessmentProbes({
    store, config: context.config, clock, keyring: context.keyring,
    verifyLedger: () => context.ledger.verify(), listener: () => listener,
  });
  const stored = async (id: string) => {
    const run = await runById(store, id);
    if (run === undefined) throw new AnfuError('assessment_not_found');
    return { ...run, standard, previousRunId: null };
  };
  const runIdOf = (request: FastifyRequest) => (request.params as Static<typeof RunId>).runId;
  return async (app) => {
    const summary = 'Run the security self-assessment now (live checks), store and return it';
    app.post('/assessments', route('assessment.verify', summary, { response: { 201: AssessmentView, ...errors } }),
      async (request, reply) => {
        listener = listenerOf(request);
        const actor = { type: 'operator' as const, id: request.principal?.id ?? 'operator' };
        // One run at a time per process: a second request while one runs gets that run's result.
        running ??= runAssessment(probes(), actor).finally(() => {
          running = undefined;
        });
        return reply.status(201).send(viewOf({ ...(await running) }));
      });
    const list = { response: { 200: Type.Object({ items: Type.Array(RunSummary) }), ...errors } };
    app.get('/assessments', route('assessment.read', 'Stored self-assessment runs, newest first (the trend)', list),
      async () => ({ items: (await listRuns(store, 100)).map((run) => viewOf({ ...run })) }));
    const one = { response: { 200: AssessmentView, ...errors } };
    app.get('/assessments/latest', route('assessment.read', 'The newest stored self-assessment', one), async () => {
      const run = await latestRun(store);
      if (run === undefined) throw new AnfuError('assessment_not_found');
      return viewOf({ ...(await stored(run.id)) });
    });
    app.get('/assessments/:runId', route('assessment.read', 'One stored self-assessment', { params: RunId, ...one }),
      async (request) => viewOf({ ...(await stored(runIdOf(request))) }));
    const html = { params: RunId, produces: ['text/html'], response: { 200: Type.String(), ...errors } };
    const htmlSummary = 'One stored self-assessment as a self-contained HTML report';
    app.get('/assessments/:runId/report.html', route('assessment.read', htmlSummary, html), async (request, reply) =>
      reply
        .type('text/html; charset=utf-8')
        .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'")
        .send(renderAssessmentHtml(await stored(runIdOf(request)))));
  };
}

function attestationRoutes(context: AppContext): FastifyPluginAsync {
  const { store, clock } = context;
  return async (app) => {
    const list = {
      response: {
        200: Type.Object({ controls: Type.Array(AttestedControlView), items: Type.Array(AttestationView) }),
        ...errors,
      },
    };
    const listSummary = 'The controls that rest on an attestation, and the attestations recorded (newest first)';
    app.get('/assessments/attestations', route('assessment.read', listSummary, list), async () => ({
      controls: attestedControls.map(({ id, chapter, indicator, requirement, validityDaysMax }) => ({
        id, chapter, indicator, requirement, validityDaysMax,
      })),
      items: (await listAttestations(store, 200)).map(attestationView),
    }));
    const post = { body: AttestationBody, response: { 201: AttestationView, ...errors } };
    const postSummary = 'Attest a control no live check can see (physical security, JR/T 0122 chapters 7–9)';
    app.post('/assessments/attestations', route('assessment.attest', postSummary, post), async (request, reply) => {
      const actor = { type: 'operator' as const, id: request.principal?.id ?? 'operator' };
      const body = request.body as Static<typeof AttestationBody>;
      const attestation = await recordAttestation(store, body, actor, clock());
      return reply.status(201).send(attestationView(attestation));
    });
  };
}

function reportRoutes(context: AppContext): FastifyPluginAsync {
  const { store, clock, reportSections: sections } = context;
  const reportOf = (request: FastifyRequest) =>
    operationsReport({ store, clock, sections }, reportQueryOf(request.query as Static<typeof ReportQuerySchema>));
  return async (app) => {
    const json = { querystring: ReportQuerySchema, response: { 200: ReportView, ...errors } };
    const summary = 'Operational report (R9.4): volumes, outcomes, latency, risk, incidents, breaks, complaints';
    app.get('/reports/operations', route('reports.read', summary, json), async (request) => reportOf(request));
    const csv = { querystring: ReportQuerySchema, produces: ['text/csv'], response: { 200: Type.String(), ...errors } };
    const csvSummary = 'The operational report as CSV (period, section, dimension, metric, value)';
    app.get('/reports/operations.csv', route('reports.read', csvSummary, csv), async (request, reply) =>
      reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', 'attachment; filename="operations-report.csv"')
        .send(reportCsv(await reportOf(request))));
  };
}

export function operationsRoutes(context: AppContext): FastifyPluginAsync {
  return async (app) => {
    await app.register(assessmentRoutes(context));
    await app.register(attestationRoutes(context));
    await app.register(reportRoutes(context));
    await app.register(backupRoutes(context));
  };
}
