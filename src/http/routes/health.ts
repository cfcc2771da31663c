// Liveness and readiness, public: they reveal nothing but whether the service is up. Metrics need an
// operator credential holding `metrics.read` (a Prometheus scraper sends an auditor's API token).
import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import { databaseAnswers, pendingMigrations, probeDurability } from '../../store/index.ts';
import { AnfuError } from '../../errors.ts';
import type { AppContext } from '../context.ts';

export function healthRoutes(context: AppContext): FastifyPluginAsync {
  return async (app) => {
    app.get('/health', { schema: { tags: ['health'], summary: 'Liveness: the process answers', response: { 200: Type.Object({ status: Type.Literal('ok') }) } } }, async () => ({ status: 'ok' as const }));

    app.get(
      '/ready',
      {
        schema: {
          tags: ['health'],
          summary: 'Readiness: the database answers, its schema is current, and it can make writes durable '
            + '(PostgreSQL: primary, with a synchronous standby when required)',
          response: { 200: Type.Object({ status: Type.Literal('ready'), store: Type.String() }) },
        },
      },
      async (request) => {
        // The database first: when it does not answer, the migration count cannot be read either (and
        // would read as "all pending"), so the reason given must be that it does not answer.
        if (!(await databaseAnswers(context.store))) {
          request.log.warn({ reason: 'the database does not answer' }, 'not ready: the database does not answer');
          throw new AnfuError('not_ready', 'the database does not answer');
        }
        if (context.store.dialect === 'postgres') {
          const required = context.config.databaseRequireSyncStandby;
          const unanswered = { refusal: 'the database does not answer' };
          const durability = await probeDurability(context.store, required).catch(() => unanswered);
          if (durability.refusal !== undefined) {
            request.log.warn({ reason: durability.refusal }, 'not ready: writes cannot be made durable');
            throw new AnfuError('not_ready', durability.refusal);
          }
        }
        const pending = await pendingMigrations(context.store).catch(() => -1);
        if (pending !== 0) throw new AnfuError('not_ready', pending < 0 ? 'the database does not answer' : 'migrations are pending');
        return { status: 'ready' as const, store: context.store.dialect };
      },
    );

    app.get('/metrics', {
      config: { auth: 'operator', permission: 'metrics.read' },
      schema: { tags: ['health'], security: [{ operatorToken: [] }], summary: 'Prometheus metrics (operator token with metrics.read)', hide: false },
    }, async (_request, reply) => {
      reply.type(context.metrics.registry.contentType);
      return context.metrics.registry.metrics();
    });
  };
}
