// The one merchant authentication of the HTTP edge: a request signed with the merchant's API key
// (HMAC-SHA-256 over method, path and query, timestamp and the raw body; src/payments verifies it).
// Routes declare `config: { auth: 'merchant' }`; this preValidation hook runs before the schema is
// checked, so an unsigned request is 401 whatever its body, and the OpenAPI document declares the
// `merchantSignature` scheme from the same declaration (src/http/openapi.ts).
import type { FastifyRequest } from 'fastify';
import { AnfuError } from '../errors.ts';
import { originOf, recordMerchantRequestRefusal } from '../flows/record-request-refusal.ts';
import { authenticateMerchantRequest, merchantProtectionFor, paymentSettingsOf } from '../payments/index.ts';
import type { AppContext } from './context.ts';

const rawBodies = new WeakMap<FastifyRequest, string>();

/** Keeps the body exactly as sent for merchant routes (the signature covers its bytes). */
export function keepRawBody(request: FastifyRequest, body: string): void {
  if (request.routeOptions.config.auth === 'merchant') rawBodies.set(request, body);
}

const headerOf = (request: FastifyRequest, name: string) => {
  const value = request.headers[name];
  return typeof value === 'string' ? value : undefined;
};

export async function authorizeMerchant(context: AppContext, request: FastifyRequest): Promise<void> {
  if (request.routeOptions.config.auth !== 'merchant') return;
  const settings = paymentSettingsOf(context.config);
  const outcome = await authenticateMerchantRequest(
    context.store,
    await merchantProtectionFor(context.keyring),
    {
      keyId: headerOf(request, 'anfu-key-id'),
      timestamp: headerOf(request, 'anfu-timestamp'),
      signature: headerOf(request, 'anfu-signature'),
      method: request.method,
      path: request.url,
      body: rawBodies.get(request) ?? '',
    },
    settings.merchantRequestWindowMs,
    context.clock(),
  );
  if (outcome.ok) {
    request.merchantId = outcome.merchantId;
    return;
  }
  // One answer for every refusal; the reason goes to the audit log and the security events only.
  await recordMerchantRequestRefusal(
    { ...context, refusals: context.access.refusals },
    originOf(request.ip, request.url),
    outcome,
  );
  throw new AnfuError('merchant_signature_invalid');
}

/** The authenticated merchant of a `config: { auth: 'merchant' }` route. */
export function merchantOf(request: FastifyRequest): string {
  if (request.merchantId === undefined) {
    throw new Error(`${request.method} ${request.routeOptions.url ?? ''} reads a merchant but does not declare auth`);
  }
  return request.merchantId;
}
