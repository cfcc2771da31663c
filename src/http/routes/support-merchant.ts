// The merchant's side of disputes, through the signed merchant API: list its disputes with their
// deadlines, and answer one with its evidence (text, and attachments through the same call's
// `attachments`) before the deadline. Signed like every merchant request (the raw body is kept).
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { Type, type Static } from 'typebox';
import { AnfuError, isProblemCode } from '../../errors.ts';
import { originOf, recordMerchantRequestRefusal } from '../../flows/record-request-refusal.ts';
import { authenticateMerchantRequest, merchantProtectionFor, paymentSettingsOf } from '../../payments/index.ts';
import {
  addAttachment,
  attachmentBytesMax,
  attachmentTypes,
  disputesOfMerchant,
  merchantRespond,
  type SupportOutcome,
} from '../../support/index.ts';
import type { AppContext } from '../context.ts';
import { Id, problemResponses } from '../schemas.ts';
import { DisputeView, disputeView } from './support-views.ts';

const errors = problemResponses(400, 401, 403, 404, 409, 422);
const tags = ['merchants'];
const CaseParams = Type.Object({ caseId: Id('cas') });
const EvidenceBody = Type.Object(
  {
    text: Type.String({ minLength: 1, maxLength: 4000 }),
    attachments: Type.Optional(
      Type.Array(
        Type.Object(
          {
            mediaType: Type.String({ enum: [...attachmentTypes] }),
            contentBase64: Type.String({ minLength: 4, maxLength: Math.ceil(attachmentBytesMax / 3) * 4 + 8 }),
          },
          { additionalProperties: false },
        ),
        { maxItems: 3 },
      ),
    ),
  },
  { additionalProperties: false },
);
const rawBodies = new WeakMap<FastifyRequest, string>();

function valueOf<T>(outcome: SupportOutcome<T>): T {
  if (outcome.ok) return outcome.value;
  throw new AnfuError(isProblemCode(outcome.code) ? outcome.code : 'validation_failed');
}

export function supportMerchantRoutes(context: AppContext): FastifyPluginAsync {
  const settings = paymentSettingsOf(context.config);
  const { support } = context;
  async function merchantOf(request: FastifyRequest): Promise<string> {
    const header = (name: string) =>
      typeof request.headers[name] === 'string' ? (request.headers[name] as string) : undefined;
    const outcome = await authenticateMerchantRequest(
      context.store,
      await merchantProtectionFor(context.keyring),
      {
        keyId: header('anfu-key-id'),
        timestamp: header('anfu-timestamp'),
        signature: header('anfu-signature'),
        method: request.method,
        path: request.url,
        body: rawBodies.get(request) ?? '',
      },
      settings.merchantRequestWindowMs,
      context.clock(),
    );
    if (outcome.ok) return outcome.merchantId;
    await recordMerchantRequestRefusal(
      { ...context, refusals: context.access.refusals },
      originOf(request.ip, request.url),
      outcome,
    );
    throw new AnfuError('merchant_signature_invalid');
  }
  return async (app) => {
    app.removeContentTypeParser('application/json');
    app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
      rawBodies.set(request, body as string);
      try {
        done(null, (body as string).length === 0 ? undefined : JSON.parse(body as string));
      } catch {
        done(new AnfuError('malformed_json'), undefined);
      }
    });
    const listSchema = {
      tags,
      summary: "The merchant's disputes with their deadlines",
      response: { 200: Type.Object({ items: Type.Array(DisputeView) }), ...errors },
    };
    app.get('/merchant/disputes', { schema: listSchema }, async (request) => ({
      items: (await disputesOfMerchant(context.store, await merchantOf(request))).map(disputeView),
    }));
    const answerSchema = {
      tags,
      summary: 'Answer a dispute with evidence before its deadline',
      params: CaseParams,
      body: EvidenceBody,
      response: { 200: DisputeView, ...errors },
    };
    const bodyLimit = (Math.ceil(attachmentBytesMax / 3) * 4 + 1024) * 3 + 8192;
    app.post('/merchant/disputes/:caseId/evidence', { bodyLimit, schema: answerSchema }, async (request) => {
      const merchantId = await merchantOf(request);
      const { caseId } = request.params as Static<typeof CaseParams>;
      const body = request.body as Static<typeof EvidenceBody>;
      const actor = { type: 'merchant' as const, id: merchantId, ip: request.ip };
      const dispute = await disputesOfMerchant(context.store, merchantId).then((all) =>
        all.find((d) => d.caseId === caseId),
      );
      if (dispute !== undefined && dispute.status === 'needs_response' && dispute.respondBy > context.clock()) {
        for (const upload of body.attachments ?? []) valueOf(await addAttachment(support, actor, caseId, upload));
      }
      return disputeView(valueOf(await merchantRespond(support, merchantId, caseId, body.text)));
    });
  };
}
