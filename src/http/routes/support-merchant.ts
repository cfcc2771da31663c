// The merchant's side of disputes, through the signed merchant API: list its disputes with their
// deadlines, and answer one with its evidence (text, and attachments through the same call's
// `attachments`) before the deadline. Signed like every merchant request (the raw body is kept).
import type { FastifyPluginAsync } from 'fastify';
import { Type, type Static } from 'typebox';
import { AnfuError, isProblemCode } from '../../errors.ts';
import {
  addAttachment,
  attachmentBytesMax,
  attachmentTypes,
  disputesOfMerchant,
  merchantRespond,
  type SupportOutcome,
} from '../../support/index.ts';
import type { AppContext } from '../context.ts';
import { merchantOf } from '../merchant-auth.ts';
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
function valueOf<T>(outcome: SupportOutcome<T>): T {
  if (outcome.ok) return outcome.value;
  throw new AnfuError(isProblemCode(outcome.code) ? outcome.code : 'validation_failed');
}

export function supportMerchantRoutes(context: AppContext): FastifyPluginAsync {
  const { support } = context;
  return async (app) => {
    const listSchema = {
      tags,
      summary: "The merchant's disputes with their deadlines",
      response: { 200: Type.Object({ items: Type.Array(DisputeView) }), ...errors },
    };
    app.get('/merchant/disputes', { config: { auth: 'merchant' as const }, schema: listSchema }, async (request) => ({
      items: (await disputesOfMerchant(context.store, merchantOf(request))).map(disputeView),
    }));
    const answerSchema = {
      tags,
      summary: 'Answer a dispute with evidence before its deadline',
      params: CaseParams,
      body: EvidenceBody,
      response: { 200: DisputeView, ...errors },
    };
    const bodyLimit = (Math.ceil(attachmentBytesMax / 3) * 4 + 1024) * 3 + 8192;
    app.post(
      '/merchant/disputes/:caseId/evidence',
      { config: { auth: 'merchant' as const }, bodyLimit, schema: answerSchema },
      async (request) => {
        const merchantId = merchantOf(request);
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
      },
    );
  };
}
