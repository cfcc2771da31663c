// The Fastify application: network-layer protections (TLS, body limits, rate limits, security
// headers), authentication, the error mapping, OpenAPI, and the route files of each capability.
import { fileURLToPath } from 'node:url';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import helmet from '@fastify/helmet';
import type { Permission, Principal } from '../access/index.ts';
import type { CustomerPrincipal } from '../identity/index.ts';
import type { PayingCustomer } from '../payments/index.ts';
import type { AppContext } from './context.ts';
import { authorizeCustomer, authorizePayingCustomer } from './customer-auth.ts';
import { authorizeMerchant, keepRawBody } from './merchant-auth.ts';
import { registerOpenApi, type RouteAuth } from './openapi.ts';
import { registerRateLimit } from './rate-limit.ts';
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
import { operatorTokenRoutes } from './routes/operator-tokens.ts';
import { operatorEnrolmentRoutes } from './routes/operator-enrolment.ts';
import { keyRoutes } from './routes/keys.ts';
import { securityRoutes } from './routes/security.ts';
import { incidentRoutes } from './routes/incidents.ts';
import { paymentRoutes } from './routes/payments.ts';
import { merchantRoutes } from './routes/merchants.ts';
import { providerRoutes } from './routes/providers.ts';
import { walletRoutes } from './routes/wallet.ts';
import { webAppRoutes } from './routes/web-apps.ts';
import { riskRoutes } from './routes/risk.ts';
import { caseRoutes } from './routes/cases.ts';
import { complianceRoutes } from './routes/compliance.ts';
import { supportRoutes } from './routes/support.ts';
import { supportMerchantRoutes } from './routes/support-merchant.ts';
import { operationsRoutes } from './routes/operations.ts';
import { clearingRoutes } from './routes/clearing.ts';
import { auditMalformedOperatorRequest, authorizeOperator, trackRoutes } from './operator-auth.ts';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | undefined;
    /** Set on `auth: 'customer'` routes. */
    customer: CustomerPrincipal | undefined;
    /** Set on `auth: 'paying-customer'` routes (payments' view of the customer). */
    payer: PayingCustomer | undefined;
    /** Set on `auth: 'merchant'` routes once the request signature verified. */
    merchantId: string | undefined;
  }
  interface FastifyContextConfig {
    /** Who may call the route; routes without it are public. The OpenAPI security is derived from it. */
    auth?: RouteAuth;
    /** The OpenAPI operationId when the one derived from method and path is not wanted. */
    operationId?: string;
    /** What an operator route needs (src/access/permissions.ts); `auth` without it is refused to every role. */
    permission?: Permission;
  }
}

export interface BuildAppOptions {
  readonly tls?: TlsMaterial | undefined;
  /** Where log lines go (tests capture them); default stdout. */
  readonly logStream?: NodeJS.WritableStream | undefined;
}

export type App = FastifyInstance & { context: AppContext };

/** The Fastify app over capabilities the composition root built (src/wiring/app.ts composes both). */
export async function buildApp(context: AppContext, options: BuildAppOptions = {}): Promise<App> {
  const { config, access, identity } = context;
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
  app.decorateRequest('payer', undefined);
  app.decorateRequest('merchantId', undefined);
  keepRawJsonForSignedRoutes(app);

  app.setErrorHandler((error, request, reply) => sendProblem(request, reply, error));
  app.setNotFoundHandler((request, reply) => reply.status(404).type(problemContentType).send({ ...problemOf('not_found'), instance: request.url.split('?')[0] }));

  await app.register(helmet, {
    hsts: { maxAge: 63_072_000, includeSubDomains: true, preload: false },
    contentSecurityPolicy: { directives: { defaultSrc: ["'self'"], scriptSrc: ["'self'"], styleSrc: ["'self'", 'https:'], imgSrc: ["'self'", 'data:'] } },
  });
  await registerRateLimit(app, { config, store: context.store, identity, clock: context.clock });
  await registerOpenApi(app);

  trackRoutes(app);
  registerAuthentication(app, context);
  app.addHook('onError', (request, _reply, error) => auditMalformedOperatorRequest(access, request, error));
  app.addHook('onClose', async () => access.close());
  app.addHook('onClose', async () => context.cases.close());
  app.addHook('onClose', async () => context.signatureChecks?.close());
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    context.metrics.httpRequests.inc({ method: request.method, route, status: String(reply.statusCode) });
    context.metrics.httpDuration.observe({ method: request.method, route }, reply.elapsedTime / 1000);
    context.latency.record(`${request.method} ${route}`, reply.statusCode, reply.elapsedTime, context.clock());
    await access.recordResponse(reply.statusCode).catch((error: unknown) => request.log.error({ err: error }, 'error-rate signal failed'));
  });

  await registerRoutes(app, context);
  return app;
}

/** The route files: the public API under /v1, then health, the passkey page and the web apps at the root. */
async function registerRoutes(app: App, context: AppContext): Promise<void> {
  const api = [
    ledgerRoutes(context),
    identityRoutes(context.identity),
    customerSelfRoutes(context.identity),
    webhookRoutes(context),
    auditRoutes(context),
    accessRoutes(context),
    operatorTokenRoutes(context),
    operatorEnrolmentRoutes(context),
    securityRoutes(context),
    keyRoutes(context),
    incidentRoutes(context),
    paymentRoutes(context),
    merchantRoutes(context),
    providerRoutes(context),
    walletRoutes(context),
    riskRoutes(context),
    caseRoutes(context),
    complianceRoutes(context),
    supportRoutes(context),
    supportMerchantRoutes(context),
    operationsRoutes(context),
    clearingRoutes(context),
  ];
  for (const routes of api) await app.register(routes, { prefix: '/v1' });
  await app.register(healthRoutes(context));
  await app.register(passkeyPageRoutes());
  await app.register(webAppRoutes(fileURLToPath(new URL('../../dist/web/', import.meta.url))));
}

/** Each `config.auth` kind's check, before the schema is; src/http/openapi.ts documents the same kinds. */
function registerAuthentication(app: App, context: AppContext): void {
  app.addHook('onRequest', (request) => authorizeOperator(context.access, request));
  app.addHook('onRequest', (request) => authorizeCustomer(context.identity, request));
  app.addHook('onRequest', (request) => authorizePayingCustomer(context.paymentIdentity, request));
  app.addHook('preValidation', (request) => authorizeMerchant(context, request));
}

/** JSON as Fastify parses it (prototype poisoning refused); merchant routes also keep the signed raw text. */
function keepRawJsonForSignedRoutes(app: App): void {
  const json = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    keepRawBody(request, body as string);
    json(request, body as string, done);
  });
}
