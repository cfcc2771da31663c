// Liveness, readiness and metrics. Public: they reveal nothing but whether the service is up.
import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import { pendingMigrations } from '../../store/index.ts';
import { AnfuError } from '../../errors.ts';
import type { AppContext } from '../context.ts';

export function healthRoutes(context: AppContext): FastifyPluginAsync {
  return async (app) => {
    app.get('/health', { schema: { tags: ['health'], summary: 'Liveness: the process answers', response: { 200: Type.Object({ status: Type.Literal('ok') }) } } }, async () => ({ status: 'ok' as const }));

    app.get(
      '/ready',
      { schema: { tags: ['health'], summary: 'Readiness: the database answers and its schema is current', response: { 200: Type.Object({ status: Type.Literal('ready'), store: Type.String() }) } } },
      async () => {
        const pending = await pendingMigrations(context.store).catch(() => -1);
        if (pending !== 0) throw new AnfuError('not_ready', pending < 0 ? 'the database does not answer' : 'migrations are pending');
        return { status: 'ready' as const, store: context.store.dialect };
      },
    );

    app.get('/metrics', { schema: { tags: ['health'], summary: 'Prometheus metrics', hide: false } }, async (_request, reply) => {
      reply.type(context.metrics.registry.contentType);
      return context.metrics.registry.metrics();
    });
  };
}
