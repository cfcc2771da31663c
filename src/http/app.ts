// The Fastify application: network-layer protections (TLS, body limits, rate limits, security
// headers), authentication, the error mapping, OpenAPI, and the route files of each capability.
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { Config } from '../config.ts';
import type { Ledger } from '../ledger/index.ts';
import type { Store } from '../store/index.ts';
import { authenticateApiToken, type Principal } from '../access/index.ts';
import { AnfuError } from '../errors.ts';
import { createMetrics, type Metrics } from './metrics.ts';
import { problemOf, problemContentType, sendProblem } from './problem.ts';
import { loggerOptions } from './logging.ts';
import { tlsServerOptions, type TlsMaterial } from './tls.ts';
import { healthRoutes } from './routes/health.ts';
import { ledgerRoutes } from './routes/ledger.ts';

export interface AppContext {
  readonly config: Config;
  readonly store: Store;
  readonly ledger: Ledger;
  readonly metrics: Metrics;
  readonly clock: () => number;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | undefined;
  }
  interface FastifyContextConfig {
    /** Who may call the route; routes without it are public. */
    auth?: 'operator';
  }
}

export interface BuildAppOptions {
  readonly config: Config;
  readonly store: Store;
  readonly ledger: Ledger;
  readonly metrics?: Metrics;
  readonly tls?: TlsMaterial | undefined;
  readonly clock?: () => number;
  /** Where log lines go (tests capture them); default stdout. */
  readonly logStream?: NodeJS.WritableStream;
}

export type App = FastifyInstance & { context: AppContext };

function bearerOf(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const match = /^Bearer ([\x21-\x7e]{1,200})$/.exec(header);
  return match?.[1];
}

export async function buildApp(options: BuildAppOptions): Promise<App> {
  const { config } = options;
  const context: AppContext = { config, store: options.store, ledger: options.ledger, metrics: options.metrics ?? createMetrics(), clock: options.clock ?? Date.now };
  const serverOptions: FastifyServerOptions = {
    logger: loggerOptions(config.logLevel, options.logStream),
    bodyLimit: config.bodyLimitBytes,
    trustProxy: config.trustProxy,
    // Bodies are validated exactly as sent: no coercion (a float is not an amount), unknown fields refused.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, useDefaults: true, allErrors: false } },
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    return503OnClosing: true,
    requestTimeout: 30_000,
  };
  const https = options.tls === undefined ? null : tlsServerOptions(options.tls);
  const app = Fastify({ ...serverOptions, ...(https === null ? {} : { https }) }) as unknown as App;
  app.decorate('context', context);
  // The API speaks JSON only; any other body is 415 rather than a string handed to a schema.
  app.removeContentTypeParser('text/plain');
  app.decorateRequest('principal', undefined);

  app.setErrorHandler((error, request, reply) => sendProblem(request, reply, error));
  app.setNotFoundHandler((request, reply) => reply.status(404).type(problemContentType).send({ ...problemOf('not_found'), instance: request.url.split('?')[0] }));

  await app.register(helmet, {
    hsts: { maxAge: 63_072_000, includeSubDomains: true, preload: false },
    contentSecurityPolicy: { directives: { defaultSrc: ["'self'"], scriptSrc: ["'self'"], styleSrc: ["'self'", 'https:'], imgSrc: ["'self'", 'data:'] } },
  });
  await app.register(rateLimit, {
    max: config.rateLimitPerMinute,
    timeWindow: 60_000,
    errorResponseBuilder: () => Object.assign(new Error('rate limited'), { statusCode: 429 }),
  });
  await registerOpenApi(app);

  app.addHook('onRequest', async (request) => {
    if (request.routeOptions.config.auth !== 'operator') return;
    const token = bearerOf(request.headers.authorization);
    const principal = token === undefined ? undefined : await authenticateApiToken(context.store, token);
    if (principal === undefined) throw new AnfuError('unauthenticated', 'send an operator token as "Authorization: Bearer …"');
    request.principal = principal;
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    context.metrics.httpRequests.inc({ method: request.method, route, status: String(reply.statusCode) });
    context.metrics.httpDuration.observe({ method: request.method, route }, reply.elapsedTime / 1000);
  });

  await app.register(healthRoutes(context));
  await app.register(ledgerRoutes(context), { prefix: '/v1' });
  return app;
}

async function registerOpenApi(app: App): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'Anfu (安付) API', version: '0.1.0', description: 'Secure electronic payment platform. Amounts travel as decimal strings in major units; errors are RFC 9457 problem+json with a stable `code`.' },
      components: { securitySchemes: { operatorToken: { type: 'http', scheme: 'bearer', description: 'Operator API token (anfu_op_…)' } } },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });
}
