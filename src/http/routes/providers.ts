// Callbacks from providers (docs/providers.md): the SMS gateway's delivery receipts. Public, but
// every request must carry the gateway's HMAC signature over the body exactly as sent, checked
// before the body is even validated.
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { Type, type Static } from 'typebox';
import { AnfuError } from '../../errors.ts';
import { recordSmsReceipt, verifySmsReceiptSignature } from '../../providers/index.ts';
import type { AppContext } from '../context.ts';

const ReceiptBody = Type.Object(
  {
    messageId: Type.String({ pattern: '^[A-Za-z0-9_.:-]{1,128}$' }),
    clientReference: Type.String({ pattern: '^smm_[0-9a-z]{26}$' }),
    status: Type.Union([Type.Literal('delivered'), Type.Literal('failed')]),
    errorCode: Type.Optional(Type.String({ pattern: '^[a-z][a-z0-9_]{0,63}$' })),
    at: Type.Optional(Type.String({ maxLength: 40 })),
  },
  { additionalProperties: false },
);
const errors = { 400: Type.Any(), 401: Type.Any(), 404: Type.Any() };
const rawBodies = new WeakMap<FastifyRequest, string>();

export function providerRoutes(context: AppContext): FastifyPluginAsync {
  const deps = context.providers.receipts;
  return async (app) => {
    // The signature covers the body exactly as sent, so this scope keeps the raw text.
    app.removeContentTypeParser('application/json');
    app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
      rawBodies.set(request, body as string);
      try {
        done(null, (body as string).length === 0 ? undefined : JSON.parse(body as string));
      } catch {
        done(new AnfuError('malformed_json'), undefined);
      }
    });
    app.post(
      '/providers/sms/receipts',
      {
        // Checked by the preValidation below (not a shared hook): the route declares it so the document does.
        config: { auth: 'provider' },
        schema: {
          tags: ['providers'],
          summary: "The SMS gateway's delivery receipt (signed by the gateway; docs/providers.md)",
          body: ReceiptBody,
          response: { 204: Type.Null(), ...errors },
        },
        preValidation: async (request) => {
          await verifySmsReceiptSignature(deps, {
            headers: request.headers,
            method: request.method,
            path: request.url,
            rawBody: rawBodies.get(request) ?? '',
            ip: request.ip,
          });
        },
      },
      async (request, reply) => {
        await recordSmsReceipt(deps, request.body as Static<typeof ReceiptBody>, request.ip);
        return reply.status(204).send();
      },
    );
  };
}
