// The onRequest check for `config: { auth: 'customer' }` routes: a customer access token whose
// session, device and customer are all live (src/identity). Anything else is 401 without saying why.
import type { FastifyRequest } from 'fastify';
import { untrustedHeader, untrustedText } from '../audit/index.ts';
import { AnfuError } from '../errors.ts';
import { authenticateCustomer, type Identity, type RequestMeta } from '../identity/index.ts';

function bearerOf(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  return /^Bearer ([\x21-\x7e]{1,600})$/.exec(header)?.[1];
}

export async function authorizeCustomer(identity: Identity, request: FastifyRequest): Promise<void> {
  if (request.routeOptions.config.auth !== 'customer') return;
  const bearer = bearerOf(request.headers.authorization);
  await identity.ready();
  const principal = bearer === undefined ? undefined : await authenticateCustomer(identity, bearer);
  if (principal === undefined) throw new AnfuError('unauthenticated', 'send a customer access token as "Authorization: Bearer …"');
  request.customer = principal;
}

/** Where the request came from, as identity audits it and its risk rules see it. */
export function requestMeta(request: FastifyRequest): RequestMeta {
  return { ip: untrustedText(request.ip, 64), userAgent: untrustedHeader(request.headers['user-agent'], 256) };
}
