// The one customer authentication of the HTTP edge: an `Authorization: Bearer <access token>` whose
// session, device and customer are all live (src/identity, `authenticateBearer`). Identity's own routes
// (`config: { auth: 'customer' }`) get the principal from the onRequest hook; payments' routes ask
// through payments' identity port (answered by the same function, src/wiring/identity-for-payments.ts,
// or by the payments benchmark's stand-in). Anything else is 401 without saying why.
import type { FastifyRequest } from 'fastify';
import { untrustedHeader, untrustedText } from '../audit/index.ts';
import { AnfuError } from '../errors.ts';
import { authenticateBearer, type Identity, type RequestMeta } from '../identity/index.ts';
import type { PayingCustomer, PaymentIdentity, PaymentsContext } from '../payments/index.ts';

const unauthenticated = () => new AnfuError('unauthenticated', 'send a customer access token as "Authorization: Bearer …"');

export async function authorizeCustomer(identity: Identity, request: FastifyRequest): Promise<void> {
  if (request.routeOptions.config.auth !== 'customer') return;
  const principal = await authenticateBearer(identity, request.headers.authorization);
  if (principal === undefined) throw unauthenticated();
  request.customer = principal;
}

/** The onRequest check for `config: { auth: 'paying-customer' }` routes: payments' view of the caller. */
export async function authorizePayingCustomer(identity: PaymentIdentity, request: FastifyRequest): Promise<void> {
  if (request.routeOptions.config.auth !== 'paying-customer') return;
  const principal = await identity.authenticate(request.headers.authorization);
  if (principal === undefined) throw unauthenticated();
  request.payer = principal;
}

/**
 * The customer behind a payments request, as payments' limits see them (session strength as a tier).
 * Only a route that declares `auth: 'paying-customer'` has one: a route that authenticated in its
 * handler would be documented as public, so an undeclared route fails loudly instead.
 */
export async function customerOf(_ctx: PaymentsContext, request: FastifyRequest): Promise<PayingCustomer> {
  if (request.routeOptions.config.auth !== 'paying-customer' || request.payer === undefined) {
    throw new Error(`${request.method} ${request.routeOptions.url ?? ''} reads a customer but declares no auth`);
  }
  return request.payer;
}

/** Where the request came from, as identity audits it and its risk rules see it. */
export function requestMeta(request: FastifyRequest): RequestMeta {
  return { ip: untrustedText(request.ip, 64), userAgent: untrustedHeader(request.headers['user-agent'], 256) };
}
