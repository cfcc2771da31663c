// The one customer authentication of the HTTP edge: an `Authorization: Bearer <access token>` whose
// session, device and customer are all live (src/identity, `authenticateBearer`). Identity's own routes
// (`config: { auth: 'customer' }`) get the principal from the onRequest hook; payments' routes ask
// through payments' identity port (answered by the same function, src/wiring/identity-for-payments.ts,
// or by the payments benchmark's stand-in). Anything else is 401 without saying why.
import type { FastifyRequest } from 'fastify';
import { AnfuError } from '../errors.ts';
import { authenticateBearer, type Identity, type RequestMeta } from '../identity/index.ts';
import type { PayingCustomer, PaymentsContext } from '../payments/index.ts';

const unauthenticated = () => new AnfuError('unauthenticated', 'send a customer access token as "Authorization: Bearer …"');

export async function authorizeCustomer(identity: Identity, request: FastifyRequest): Promise<void> {
  if (request.routeOptions.config.auth !== 'customer') return;
  const principal = await authenticateBearer(identity, request.headers.authorization);
  if (principal === undefined) throw unauthenticated();
  request.customer = principal;
}

/** The customer behind a payments request, as payments' limits see them (session strength as a tier). */
export async function customerOf(ctx: PaymentsContext, request: FastifyRequest): Promise<PayingCustomer> {
  const principal = await ctx.identity.authenticate(request.headers.authorization);
  if (principal === undefined) throw unauthenticated();
  return principal;
}

/** Where the request came from, as identity audits it and its risk rules see it. */
export function requestMeta(request: FastifyRequest): RequestMeta {
  const agent = request.headers['user-agent'];
  return { ip: request.ip, userAgent: typeof agent === 'string' ? agent.slice(0, 256) : null };
}
