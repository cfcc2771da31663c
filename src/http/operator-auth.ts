// The operator side of the HTTP edge: authenticate the bearer credential (session or API token),
// check the route's permission against the role table, and audit every refusal, including
// forged tokens and malformed requests on operator routes.
import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify';
import { roleHolds, type Actor, type OperatorAccess } from '../access/index.ts';
import { untrustedHeader, untrustedText } from '../audit/index.ts';
import { AnfuError } from '../errors.ts';

function bearerOf(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const match = /^Bearer ([\x21-\x7e]{1,200})$/.exec(header);
  return match?.[1];
}

/** Longest client address kept (an IPv6 address with a zone fits; anything longer is not an address). */
export const clientAddressLengthMax = 64;

export function actorOf(request: FastifyRequest): Actor {
  // Both are the client's words: escaped and cut before they reach the audit log (TAB, CR/LF, bidi, 8 KB …).
  return { type: 'operator', principal: request.principal, ip: untrustedText(request.ip, clientAddressLengthMax), device: untrustedHeader(request.headers['user-agent'], 200) };
}

const routeOf = (request: FastifyRequest) => `${request.method} ${request.routeOptions.url ?? 'unmatched'}`;

/** The onRequest check for `config: { auth: 'operator', permission }` routes. A route without a permission is refused to all. */
export async function authorizeOperator(access: OperatorAccess, request: FastifyRequest): Promise<void> {
  const config = request.routeOptions.config;
  if (config.auth !== 'operator') return;
  const token = bearerOf(request.headers.authorization);
  const principal = token === undefined ? undefined : await access.authenticate(token);
  if (principal === undefined) {
    // The token itself is never recorded: a forged one may be a mistyped real one.
    await access.auditRefusal(actorOf(request), { action: 'operator.authenticate', target: routeOf(request), outcome: 'denied', details: { reason: token === undefined ? 'missing_token' : 'invalid_token' } });
    throw new AnfuError('unauthenticated', 'send an operator session or API token as "Authorization: Bearer …"');
  }
  request.principal = principal;
  const permission = config.permission;
  if (permission === undefined || !roleHolds(principal.role, permission)) {
    await access.auditRefusal(actorOf(request), { action: 'operator.authorize', target: routeOf(request), outcome: 'denied', details: { permission: permission ?? null, role: principal.role } });
    throw new AnfuError('forbidden', `the role ${principal.role} does not hold ${permission ?? 'a permission for this route'}`);
  }
}

/** onError: a malformed request from an authenticated operator is refused and audited. */
export async function auditMalformedOperatorRequest(access: OperatorAccess, request: FastifyRequest, error: FastifyError): Promise<void> {
  if (request.principal === undefined) return;
  const malformed = error.validation !== undefined || (typeof error.statusCode === 'number' && error.statusCode === 400 && !(error instanceof AnfuError));
  if (!malformed) return;
  await access.auditRefusal(actorOf(request), { action: 'operator.request', target: routeOf(request), outcome: 'denied', details: { reason: 'malformed_request' } });
}

export interface RouteNote {
  readonly method: string;
  readonly url: string;
  readonly auth: 'operator' | undefined;
  readonly permission: string | undefined;
}

const routeNotes = new WeakMap<FastifyInstance, RouteNote[]>();

/** Records every route as it is registered, so the route × role test sees new routes automatically. */
export function trackRoutes(app: FastifyInstance): void {
  const notes: RouteNote[] = [];
  routeNotes.set(app, notes);
  app.addHook('onRoute', (route) => {
    const config = route.config as { auth?: 'operator'; permission?: string } | undefined;
    for (const method of [route.method].flat()) notes.push({ method, url: route.url, auth: config?.auth, permission: config?.permission });
  });
}

export function routesOf(app: FastifyInstance): readonly RouteNote[] {
  return routeNotes.get(app) ?? [];
}
