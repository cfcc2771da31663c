// The compliance officer's API: the sanctions lists in force, an ad-hoc screening search, recorded
// hits and near hits; the daily large-value report, a monitor run on demand, and the suspicious-
// transaction report of a case. Thin: validate, call one use case, shape the answer.
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { join } from 'node:path';
import { Type, type Static, type TSchema } from 'typebox';
import {
  monitorSettingsIn,
  exportSuspiciousReport,
  pbocLargeValueThresholds,
  produceLargeValueReport,
  runMonitors,
} from '../../aml/index.ts';
import type { Permission } from '../../access/index.ts';
import { AnfuError } from '../../errors.ts';
import { amlPartyNames } from '../../flows/aml-party-names.ts';
import {
  listVersions,
  requestRescreen,
  rescreenRun,
  rescreenRuns,
  recordSearch,
  screeningsSince,
  searchLists,
  type ListVersion,
  type RescreenRun,
  type ScreeningMatch,
} from '../../sanctions/index.ts';
import type { AppContext } from '../context.ts';
import { operatorSecurity as security, problemResponses } from '../schemas.ts';
import { actorOf } from '../operator-auth.ts';
import { amlLevelFactorRoutes } from './aml-level-factors.ts';
import { amlRatingRoutes } from './aml-ratings.ts';

const errors = problemResponses(400, 401, 403, 404, 422, 503);
const Loose = Type.Record(Type.String(), Type.Unknown());
const SearchBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    birthDate: Type.Optional(Type.String({ pattern: '^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$' })),
    country: Type.Optional(Type.String({ minLength: 2, maxLength: 60 })),
  },
  { additionalProperties: false },
);
const MatchView = Type.Object({
  entryId: Type.String(),
  source: Type.String(),
  kind: Type.String(),
  name: Type.String(),
  matchedName: Type.String(),
  scorePermille: Type.Integer(),
  programs: Type.Array(Type.String()),
});
const VersionView = Type.Object({
  source: Type.String(),
  version: Type.Integer(),
  entries: Type.Integer(),
  sha256: Type.String(),
  loadedBy: Type.String(),
  loadedAt: Type.String(),
});
const ScreeningView = Type.Object({
  id: Type.String(),
  context: Type.String(),
  subjectType: Type.String(),
  subjectId: Type.String(),
  outcome: Type.String(),
  entryId: Type.String(),
  matchedName: Type.String(),
  scorePermille: Type.Integer(),
  listVersions: Type.String(),
  caseId: Type.Union([Type.String(), Type.Null()]),
  screenedAt: Type.String(),
});
const ReportBody = Type.Object(
  { date: Type.String({ pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' }), force: Type.Optional(Type.Boolean()) },
  {
    additionalProperties: false,
  },
);
const iso = (ms: number) => new Date(ms).toISOString();
const operatorId = (request: FastifyRequest) => actorOf(request).principal?.id ?? 'unknown';

type Route = (permission: Permission) => { config: { auth: 'operator'; permission: Permission } };
const route: Route = (permission) => ({ config: { auth: 'operator', permission } });
const tags = ['compliance'];
const schema = (summary: string, response: TSchema, more: Record<string, TSchema> = {}) => ({
  schema: { tags, security, summary, ...more, response: { 200: response, ...errors } },
});

function sanctionsRoutes(context: AppContext): FastifyPluginAsync {
  const { store, clock, sanctions } = context;
  const Items = (item: TSchema) => Type.Object({ items: Type.Array(item) });
  const SearchResult = Type.Object({ listVersions: Type.String(), matches: Type.Array(MatchView) });
  const Since = Type.Object(
    { since: Type.Optional(Type.String({ format: 'date-time' })) },
    { additionalProperties: false },
  );
  return async (app) => {
    app.get(
      '/sanctions/lists',
      { ...route('sanctions.read'), ...schema('Sanctions list versions, newest first', Items(VersionView)) },
      async () => ({ items: (await listVersions(store, 50)).map(versionView) }),
    );

    const searchSummary = 'Search the lists in force for a name (only the audit entry is recorded)';
    app.post(
      '/sanctions/searches',
      { ...route('sanctions.search'), ...schema(searchSummary, SearchResult, { body: SearchBody }) },
      async (request) => {
        const body = request.body as Static<typeof SearchBody>;
        const found = await searchLists(sanctions, body.name, { birthDate: body.birthDate, country: body.country });
        if (found === undefined) throw new AnfuError('sanctions_lists_not_loaded');
        await recordSearch(store, operatorId(request), found.matches.length, clock());
        return { listVersions: found.listVersions, matches: found.matches.map(matchView) };
      },
    );

    const screenings = schema('Recorded hits and near hits, newest first', Items(ScreeningView), {
      querystring: Since,
    });
    app.get('/sanctions/screenings', { ...route('sanctions.read'), ...screenings }, async (request) => {
      const since = (request.query as { since?: string }).since;
      const rows = await screeningsSince(store, since === undefined ? 0 : Date.parse(since), 500);
      return { items: rows.map((r) => ({ ...r, screenedAt: iso(r.screenedAt) })) };
    });
  };
}

const RescreenView = Type.Object({
  id: Type.String(),
  state: Type.String(),
  listVersions: Type.String(),
  phase: Type.String(),
  screened: Type.Integer(),
  hits: Type.Integer(),
  nearHits: Type.Integer(),
  requestedBy: Type.String(),
  requestedAt: Type.String(),
  startedAt: Type.Union([Type.String(), Type.Null()]),
  heartbeatAt: Type.Union([Type.String(), Type.Null()]),
  finishedAt: Type.Union([Type.String(), Type.Null()]),
  detail: Type.Union([Type.String(), Type.Null()]),
});
const RescreenParams = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 64, pattern: '^rsc_[0-9a-z]{1,40}$' }),
});
const rescreenPhases = ['customers', 'merchants'];

function rescreenView(r: RescreenRun) {
  const at = (ms: number | null) => (ms === null ? null : iso(ms));
  const { id, state, listVersions: lists, screened, hits, nearHits, requestedBy, detail } = r;
  const phase = rescreenPhases[r.phase] ?? 'done';
  return { id, state, listVersions: lists, phase, screened, hits, nearHits, requestedBy, detail,
    requestedAt: iso(r.requestedAt), startedAt: at(r.startedAt), heartbeatAt: at(r.heartbeatAt),
    finishedAt: at(r.finishedAt) };
}

/** Re-screening runs: start one (the server's schedule runs it under its lease), follow its progress. */
function rescreenRoutes(context: AppContext): FastifyPluginAsync {
  const { store, sanctions } = context;
  const List = Type.Object({ items: Type.Array(RescreenView) });
  const startSummary = 'Re-screen every customer and merchant against the lists in force (the open run if one is)';
  return async (app) => {
    app.post(
      '/sanctions/rescreens',
      { ...route('sanctions.rescreen'), schema: { tags, security, summary: startSummary,
        response: { 202: RescreenView, 200: RescreenView, ...errors } } },
      async (request, reply) => {
        const { run, created } = await requestRescreen(sanctions, operatorId(request));
        return reply.code(created ? 202 : 200).send(rescreenView(run));
      },
    );
    app.get(
      '/sanctions/rescreens',
      { ...route('sanctions.read'), ...schema('Re-screening runs and their progress, newest first', List) },
      async () => ({ items: (await rescreenRuns(store, 50)).map(rescreenView) }),
    );
    app.get(
      '/sanctions/rescreens/:id',
      { ...route('sanctions.read'), ...schema('One re-screening run', RescreenView, { params: RescreenParams }) },
      async (request) => {
        const run = await rescreenRun(store, (request.params as Static<typeof RescreenParams>).id);
        if (run === undefined) throw new AnfuError('sanctions_rescreen_not_found');
        return rescreenView(run);
      },
    );
  };
}

function versionView(v: ListVersion) {
  const { source, version, sha256, loadedBy } = v;
  return { source, version, entries: v.entryCount, sha256, loadedBy, loadedAt: iso(v.loadedAt) };
}

function matchView(m: ScreeningMatch) {
  const { id: entryId, source, kind, name } = m.entry;
  return {
    entryId,
    source,
    kind,
    name,
    matchedName: m.matchedName,
    scorePermille: Math.round(m.score * 1000),
    programs: [...m.entry.programs],
  };
}

const ReportResult = Type.Object({
  date: Type.String(),
  rows: Type.Integer(),
  csvFile: Type.String(),
  jsonFile: Type.String(),
  sha256: Type.String(),
  produced: Type.Boolean(),
});
const MonitorResult = Type.Object({
  movements: Type.Integer(),
  hits: Type.Integer(),
  opened: Type.Array(Type.Object({ pattern: Type.String(), subjectId: Type.String(), caseId: Type.String() })),
});
const CaseParams = Type.Object({
  caseId: Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-z]{2,8}_[0-9a-z]{1,40}$' }),
});

function amlRoutes(context: AppContext): FastifyPluginAsync {
  const { store, clock } = context;
  const fileName = (path: string) => path.split('/').at(-1) ?? '';
  return async (app) => {
    const reportSummary = 'Produce (once) the large-value transaction report files of a day';
    app.post(
      '/aml/large-value-reports',
      { ...route('aml.report'), ...schema(reportSummary, ReportResult, { body: ReportBody }) },
      async (request) => {
        const body = request.body as Static<typeof ReportBody>;
        const options = {
          store,
          directory: join(context.config.dataDir, 'aml-reports'),
          thresholds: pbocLargeValueThresholds,
          names: amlPartyNames(context.identity, store),
          producedBy: operatorId(request),
          now: clock(),
          force: body.force === true,
        };
        const report = await produceLargeValueReport(options, body.date);
        const { date, rows, sha256, produced } = report;
        return { date, rows, csvFile: fileName(report.csvPath), jsonFile: fileName(report.jsonPath), sha256, produced };
      },
    );

    const monitorSummary = 'Run the suspicious-pattern monitors over the last window now';
    app.post('/aml/monitor-runs', { ...route('aml.report'), ...schema(monitorSummary, MonitorResult) }, async () => {
      const settings = await monitorSettingsIn(store, context.config.amlMonitorLevelFactors);
      const run = await runMonitors(store, settings, clock());
      return { movements: run.movements, hits: run.hits, opened: [...run.opened] };
    });

    const strSummary = 'The suspicious-transaction report of an AML or sanctions case';
    app.get(
      '/aml/cases/:caseId/suspicious-report',
      { ...route('aml.report'), ...schema(strSummary, Loose, { params: CaseParams }) },
      async (request) =>
        exportSuspiciousReport(store, (request.params as { caseId: string }).caseId, operatorId(request), clock()),
    );
  };
}

/**
 * The compliance routes: sanctions lists, searches and screenings; AML reports, monitor runs, level factors,
 * risk ratings.
 */
export function complianceRoutes(context: AppContext): FastifyPluginAsync {
  return async (app) => {
    await app.register(sanctionsRoutes(context));
    await app.register(rescreenRoutes(context));
    await app.register(amlRoutes(context));
    await app.register(amlRatingRoutes(context));
    await app.register(amlLevelFactorRoutes(context));
  };
}
