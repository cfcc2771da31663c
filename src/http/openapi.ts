// The OpenAPI document as integrators meet it, derived from the routes themselves so a new route is
// documented correctly without writing anything twice: its operationId from method and path (or the
// route's own), its security from the `config.auth` the authentication hooks enforce, its problem+json
// error responses (with the registered codes of each status) from what the edge can answer, plus
// servers and the webhooks merchants receive. Redocly's recommended lint runs over it in the tests.
import type { FastifyInstance, RouteOptions } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { problems, type ProblemCode } from '../errors.ts';
import { withExample } from './openapi-examples.ts';
import { problemOf } from './problem.ts';
import { webhookDocs } from './webhook-docs.ts';

export type RouteAuth = 'operator' | 'customer' | 'paying-customer' | 'merchant' | 'provider';

/** The one mapping from what a route's hook enforces to what its documentation declares. */
export const securityOfAuth: Readonly<Record<RouteAuth, readonly Record<string, string[]>[]>> = {
  operator: [{ operatorToken: [] }],
  customer: [{ customerToken: [] }],
  'paying-customer': [{ customerToken: [] }],
  merchant: [{ merchantSignature: [] }],
  provider: [{ providerSignature: [] }],
};

export function securityOf(auth: RouteAuth | undefined): readonly Record<string, string[]>[] {
  return auth === undefined ? [] : securityOfAuth[auth];
}

const securitySchemes = {
  operatorToken: {
    type: 'http',
    scheme: 'bearer',
    description: 'Operator session (password + TOTP, `POST /v1/operator-sessions`) or API token (anfu_op_…)',
  },
  customerToken: {
    type: 'http',
    scheme: 'bearer',
    description: 'Customer access token (anfu_ca_…), short-lived, bound to the session and device',
  },
  merchantSignature: {
    type: 'apiKey',
    in: 'header',
    name: 'Anfu-Signature',
    description:
      'HMAC-SHA-256 (hex) with the key derived from the merchant API key over' +
      ' "<METHOD>\\n<path and query>\\n<Anfu-Timestamp>\\n<raw body>";' +
      ' send `Anfu-Key-Id` (the key id) and `Anfu-Timestamp` (Unix milliseconds) too. See docs/sdk.md.',
  },
  providerSignature: {
    type: 'apiKey',
    in: 'header',
    name: 'X-Provider-Signature',
    description: "A provider's callback, signed with the secret shared with that provider (docs/providers.md)",
  },
} as const;

/** `POST /v1/merchant/orders/{orderId}` → `postMerchantOrdersByOrderId`: unique because method + path are. */
export function operationIdOf(method: string, url: string): string {
  const words = url
    .split('/')
    .filter((segment) => segment !== '' && segment !== 'v1')
    .map((segment) => {
      const param = /^[:{]([A-Za-z0-9_]+)\}?$/.exec(segment)?.[1];
      return param === undefined ? segment : `by-${param}`;
    })
    .flatMap((segment) => segment.split(/[-_.]/))
    .filter((word) => word !== '');
  return [method.toLowerCase(), ...words.map((word) => word[0]!.toUpperCase() + word.slice(1))].join('');
}

const codesOf = (status: number) =>
  (Object.entries(problems) as [ProblemCode, { status: number }][])
    .filter(([, p]) => p.status === status)
    .map(([c]) => c);

const Problem = {
  type: 'object',
  description: 'RFC 9457 problem details; `code` is stable and registered in src/errors.ts',
  required: ['type', 'title', 'status', 'code'],
  properties: {
    type: { type: 'string', examples: ['https://anfu.dev/problems/validation_failed'] },
    title: { type: 'string' },
    status: { type: 'integer' },
    code: { type: 'string', enum: Object.keys(problems) },
    detail: { type: 'string' },
    instance: { type: 'string' },
  },
  additionalProperties: true,
};

/** components.responses.Problem<status>: problem+json whose `code` is one of that status's registered codes. */
function problemResponse(codes: readonly ProblemCode[]) {
  return {
    description: `Problem: ${codes.map((c) => `\`${c}\``).join(', ')}`,
    content: {
      'application/problem+json': {
        schema: {
          allOf: [{ $ref: '#/components/schemas/Problem' }, { properties: { code: { enum: [...codes] } } }],
        },
        example: { ...problemOf(codes[0]!), instance: '/v1/…' },
      },
    },
  };
}

function problemComponents(statuses: readonly number[]): Record<string, unknown> {
  return Object.fromEntries(statuses.map((status) => [`Problem${status}`, problemResponse(codesOf(status))]));
}

interface Operation {
  security?: unknown[];
  parameters?: unknown[];
  requestBody?: unknown;
  responses?: Record<string, unknown>;
}

/** The statuses the edge itself may answer on this operation, whatever the handler does. */
function edgeStatuses(operation: Operation): number[] {
  const statuses = [429, 500];
  if ((operation.parameters?.length ?? 0) > 0 || operation.requestBody !== undefined) statuses.push(400);
  if (operation.requestBody !== undefined) statuses.push(413, 415);
  if ((operation.security?.length ?? 0) > 0) statuses.push(401, 403);
  return statuses;
}

/** Request and success examples written from the schemas (src/http/openapi-examples.ts). */
function withExamples(operation: Operation): void {
  const body = operation.requestBody as { content?: Record<string, object> } | undefined;
  for (const media of Object.values(body?.content ?? {})) withExample(media);
  for (const [status, response] of Object.entries(operation.responses ?? {})) {
    if (!/^2/.test(status)) continue;
    for (const media of Object.values((response as { content?: Record<string, object> }).content ?? {})) {
      withExample(media);
    }
  }
}

/** Every 4xx/5xx response becomes problem+json listing the registered codes of that status. */
export function withProblemResponses(operation: Operation, used: Set<number>): void {
  const responses = (operation.responses ??= {});
  const declared = Object.keys(responses).map(Number).filter((s) => s >= 400);
  for (const status of new Set([...declared, ...edgeStatuses(operation)])) {
    if (codesOf(status).length === 0) continue;
    used.add(status);
    responses[String(status)] = { $ref: `#/components/responses/Problem${status}` };
  }
  for (const key of Object.keys(responses)) {
    if (Number(key) >= 400 && codesOf(Number(key)).length === 0) delete responses[key];
  }
}

type RouteConfig = { auth?: RouteAuth; operationId?: string } | undefined;

/** Per route: operationId and security from the route; refuses a hand-written security that disagrees. */
function transformRoute({ schema, url, route }: { schema: object; url: string; route: RouteOptions }) {
  const config = route.config as RouteConfig;
  const method = [route.method].flat()[0] ?? 'GET';
  const own = schema as { operationId?: string; security?: unknown };
  const security = securityOf(config?.auth);
  if (own.security !== undefined && JSON.stringify(own.security) !== JSON.stringify(security)) {
    throw new Error(`${method} ${url}: schema.security disagrees with config.auth (${config?.auth ?? 'public'})`);
  }
  const operationId = own.operationId ?? config?.operationId ?? operationIdOf(method, url);
  return { schema: { ...schema, operationId, security }, url };
}

function transformDocument({ openapiObject }: { openapiObject: Record<string, unknown> }) {
  const paths = (openapiObject.paths ?? {}) as Record<string, Record<string, Operation>>;
  const used = new Set<number>();
  for (const item of Object.values(paths)) {
    for (const operation of Object.values(item)) {
      withExamples(operation);
      withProblemResponses(operation, used);
    }
  }
  const components = (openapiObject.components ?? {}) as Record<string, Record<string, unknown> | undefined>;
  components.schemas = { ...components.schemas, Problem };
  components.responses = { ...components.responses, ...problemComponents([...used].sort()) };
  return { ...openapiObject, components };
}

export const openApiInfo = {
  title: 'Anfu (安付) API',
  version: '0.1.0',
  description:
    'Secure electronic payment platform. Amounts travel as decimal strings in major units; errors are RFC 9457' +
    ' problem+json with a stable `code`. A typed client with request signing is in packages/sdk (docs/sdk.md).',
  license: { name: 'UNLICENSED', identifier: 'LicenseRef-Anfu-Proprietary' },
  contact: { name: 'Anfu platform team', url: 'https://anfu.dev' },
};

export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: openApiInfo,
      servers: [
        {
          url: 'https://{host}',
          description: 'An Anfu server (`anfu serve`; HTTPS on port 8443 by default)',
          variables: { host: { default: 'localhost:8443' } },
        },
      ],
      components: { securitySchemes },
      webhooks: webhookDocs,
    } as never,
    transform: transformRoute as never,
    transformObject: transformDocument as never,
  });
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });
}

