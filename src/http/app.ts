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
import type { Keyring } from '../crypto/index.ts';
import { createOperatorAccess, type OperatorAccess, type Permission, type Principal } from '../access/index.ts';
import { openIdentity, type CustomerPrincipal, type Identity } from '../identity/index.ts';
import { identityForPayments } from '../flows/identity-for-payments.ts';
import type { PaymentIdentity } from '../payments/index.ts';
import { providersFor, type Providers } from '../providers/index.ts';
import { authorizeCustomer } from './customer-auth.ts';
import { createMetrics, type Metrics } from './metrics.ts';
import { problemOf, problemContentType, sendProblem } from './problem.ts';
import { loggerOptions } from './logging.ts';
import { tlsServerOptions, type TlsMaterial } from './tls.ts';
import { healthRoutes } from './routes/health.ts';
import { ledgerRoutes } from './routes/ledger.ts';
import { identityRoutes } from './routes/identity.ts';
import { customerSelfRoutes } from './routes/customer-self.ts';
import { passkeyPageRoutes } from './routes/passkey-page.ts';
import { webhookRoutes } from './routes/webhooks.ts';
import { auditRoutes } from './routes/audit.ts';
import { accessRoutes } from './routes/access.ts';
import { securityRoutes } from './routes/security.ts';
import { incidentRoutes } from './routes/incidents.ts';
import { paymentRoutes } from './routes/payments.ts';
import { merchantRoutes } from './routes/merchants.ts';
import { providerRoutes } from './routes/providers.ts';
import { auditMalformedOperatorRequest, authorizeOperator, trackRoutes } from './operator-auth.ts';

export interface AppContext {
  readonly config: Config;
  readonly store: Store;
  readonly ledger: Ledger;
  readonly metrics: Metrics;
  readonly clock: () => number;
  /** The app's one keyring (KEK-wrapped data keys; key events audited), shared by every capability. */
  readonly keyring: Keyring;
  readonly access: OperatorAccess;
  /** Customer identity and authentication (src/identity). */
  readonly identity: Identity;
  /** Payments' view of identity (customers, devices, sessions, step-up), answered by `identity`. */
  readonly paymentIdentity: PaymentIdentity;
  /** SMS gateway and identity provider adapters (src/providers); the outbox dispatcher takes their handlers. */
  readonly providers: Providers;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | undefined;
    /** Set on `auth: 'customer'` routes. */
    customer: CustomerPrincipal | undefined;
  }
  interface FastifyContextConfig {
    /** Who may call the route; routes without it are public. */
    auth?: 'operator' | 'customer';
    /** What an operator route needs (src/access/permissions.ts); `auth` without it is refused to every role. */
    permission?: Permission;
  }
}

export interface BuildAppOptions {
  readonly config: Config;
  readonly store: Store;
  readonly ledger: Ledger;
  /** The keyring opened once for this app (serve: after loadKek + migrate; tests: createTestApp). */
  readonly keyring: Keyring;
  readonly metrics?: Metrics;
  readonly tls?: TlsMaterial | undefined;
  readonly clock?: () => number;
  /** Where log lines go (tests capture them); default stdout. */
  readonly logStream?: NodeJS.WritableStream;
  /** Customer identity with its SMS sender and verification sources (tests pass their own). */
  readonly identity?: Identity;
  /** Replaces payments' view of identity (the payments benchmark's pre-made customers); default: `identity`. */
  readonly paymentIdentity?: PaymentIdentity | undefined;
  /** Replaces the providers the configuration sets up (tests). */
  readonly providers?: Providers;
}

export type App = FastifyInstance & { context: AppContext };

export async function buildApp(options: BuildAppOptions): Promise<App> {
  const { config } = options;
  const clock = options.clock ?? Date.now;
  const access = createOperatorAccess({ config, store: options.store, ledger: options.ledger, keyring: options.keyring, clock });
  // Real providers when configured; otherwise identity keeps its development stand-ins (production refuses those).
  const { store, keyring } = options;
  const providers = options.providers ?? providersFor({ config, store, keyring, clock });
  const identity = options.identity ?? (await openIdentity({
    store: options.store, config, clock, keyring: options.keyring, lazy: true,
    ...(providers.sms === undefined ? {} : { sms: providers.sms }),
    ...(providers.verifiers === undefined ? {} : { verifiers: providers.verifiers }),
  }));
  const paymentIdentity = options.paymentIdentity ?? identityForPayments(identity);
  const context: AppContext = {
    config, store: options.store, ledger: options.ledger, metrics: options.metrics ?? createMetrics(), clock,
    keyring: options.keyring, access, identity, paymentIdentity, providers,
  };
  context.metrics.countSecurityEventsFrom(() => access.securityEventCounts());
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
  app.decorateRequest('customer', undefined);

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

  trackRoutes(app);
  app.addHook('onRequest', (request) => authorizeOperator(access, request));
  app.addHook('onRequest', (request) => authorizeCustomer(identity, request));
  app.addHook('onError', (request, _reply, error) => auditMalformedOperatorRequest(access, request, error));
  app.addHook('onClose', async () => access.close());
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    context.metrics.httpRequests.inc({ method: request.method, route, status: String(reply.statusCode) });
    context.metrics.httpDuration.observe({ method: request.method, route }, reply.elapsedTime / 1000);
    await access.recordResponse(reply.statusCode).catch((error: unknown) => request.log.error({ err: error }, 'error-rate signal failed'));
  });

  await app.register(healthRoutes(context));
  await app.register(ledgerRoutes(context), { prefix: '/v1' });
  await app.register(identityRoutes(identity), { prefix: '/v1' });
  await app.register(customerSelfRoutes(identity), { prefix: '/v1' });
  await app.register(passkeyPageRoutes());
  await app.register(webhookRoutes(context), { prefix: '/v1' });
  await app.register(auditRoutes(context), { prefix: '/v1' });
  await app.register(accessRoutes(context), { prefix: '/v1' });
  await app.register(securityRoutes(context), { prefix: '/v1' });
  await app.register(incidentRoutes(context), { prefix: '/v1' });
  await app.register(paymentRoutes(context), { prefix: '/v1' });
  await app.register(merchantRoutes(context), { prefix: '/v1' });
  await app.register(providerRoutes(context), { prefix: '/v1' });
  return app;
}

async function registerOpenApi(app: App): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'Anfu (安付) API', version: '0.1.0', description: 'Secure electronic payment platform. Amounts travel as decimal strings in major units; errors are RFC 9457 problem+json with a stable `code`.' },
      components: { securitySchemes: { operatorToken: { type: 'http', scheme: 'bearer', description: 'Operator API token (anfu_op_…)' }, customerToken: { type: 'http', scheme: 'bearer', description: 'Customer access token (anfu_ca_…), short-lived, bound to the session and device' } } },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });
}
