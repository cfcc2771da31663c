// Binding a card (account verification with the issuer, then the issuer's one-time code) and the
// step-up of a challenged top-up or withdrawal. Thin: authenticate, validate, call one use case.
import type { FastifyPluginAsync } from 'fastify';
import { Type, type Static } from 'typebox';
import { AnfuError } from '../../errors.ts';
import { bindCard } from '../../flows/bind-card.ts';
import { confirmCardBinding } from '../../flows/confirm-card-binding.ts';
import { resumeChallengedFunding, sendFundingStepUpCode } from '../../flows/resume-challenged-funding.ts';
import { cardFundingOf, type CardBinding, type CardFunding } from '../../payments/index.ts';
import { paymentsContextOf, type AppContext } from '../context.ts';
import { customerOf } from '../customer-auth.ts';
import { Id } from '../schemas.ts';
import { CardView, FundingView, cardView } from './funding-views.ts';
import { fundingReply } from './payment-funding.ts';

const StepUp = Type.Object(
  { kind: Type.String({ enum: ['totp', 'sms'] }), code: Type.String({ pattern: '^[0-9]{6,8}$' }) },
  { additionalProperties: false },
);
/** A challenged top-up's or withdrawal's answer: a TOTP code, or the SMS code sent for it (with its id). */
const FundingStepUp = Type.Object(
  {
    kind: Type.String({ enum: ['totp', 'sms'] }),
    code: Type.String({ pattern: '^[0-9]{6,8}$' }),
    codeId: Type.Optional(Type.String({ pattern: '^suc_[0-9a-z]{26}$' })),
  },
  { additionalProperties: false },
);
const CardBody = Type.Object(
  {
    pan: Type.String({ pattern: '^[0-9 -]{12,23}$' }),
    expiryMonth: Type.Integer({ minimum: 1, maximum: 12 }),
    expiryYear: Type.Integer({ minimum: 2000, maximum: 2099 }),
    // Sent to the issuer in the account verification, then forgotten (never stored or logged).
    cvv: Type.String({ pattern: '^[0-9]{3,4}$' }),
    // A factor the customer already holds; without it the binding is refused with step_up_required.
    stepUp: Type.Optional(StepUp),
  },
  { additionalProperties: false },
);
const BindingView = Type.Object({
  id: Type.String(),
  state: Type.String(),
  maskedPan: Type.String(),
  expiresAt: Type.String(),
});
const errors = {
  401: Type.Any(),
  403: Type.Any(),
  404: Type.Any(),
  409: Type.Any(),
  422: Type.Any(),
  429: Type.Any(),
  503: Type.Any(),
};
const tags = ['payments'];

function fundingOf(context: AppContext): CardFunding {
  const funding = cardFundingOf(context.store);
  if (funding === undefined)
    throw new AnfuError('card_issuer_unavailable', 'no card link is configured (ANFU_CARD_LINK_PORT)');
  return funding;
}

function bindingView(b: CardBinding) {
  return { id: b.id, state: b.state, maskedPan: b.maskedPan ?? '', expiresAt: new Date(b.expiresAt).toISOString() };
}

export function cardBindingRoutes(context: AppContext): FastifyPluginAsync {
  return async (app) => {
    app.post(
      '/cards',
      {
        config: { auth: 'paying-customer' },
        schema: {
          tags,
          summary:
            'Bind a bank card: step-up, then the issuer verifies card, CVV2 and cardholder and sends a one-time code',
          body: CardBody,
          response: { 200: CardView, 202: BindingView, ...errors },
        },
      },
      async (request, reply) => {
        const ctx = paymentsContextOf(context);
        const body = request.body as Static<typeof CardBody>;
        const details = { pan: body.pan, expiryMonth: body.expiryMonth, expiryYear: body.expiryYear, cvv2: body.cvv };
        const stepUp = body.stepUp as { kind: 'totp' | 'sms'; code: string } | undefined;
        // Authenticated before the card link is looked up: an anonymous caller gets 401, never 503.
        const customer = await customerOf(ctx, request);
        const result = await bindCard(ctx, fundingOf(context), customer, { details, stepUp, ip: request.ip });
        if (result.kind === 'already_bound') return cardView(result.card);
        reply.status(202);
        return bindingView(result.binding);
      },
    );

    app.post(
      '/card-bindings/:id/confirmation',
      {
        config: { auth: 'paying-customer' },
        schema: {
          tags,
          summary: "Complete a card binding with the issuer's one-time code",
          params: Type.Object({ id: Id('cbd') }),
          body: Type.Object({ code: Type.String({ pattern: '^[0-9]{4,8}$' }) }, { additionalProperties: false }),
          response: { 201: CardView, ...errors },
        },
      },
      async (request, reply) => {
        const ctx = paymentsContextOf(context);
        const input = {
          bindingId: (request.params as { id: string }).id,
          code: (request.body as { code: string }).code,
          ip: request.ip,
        };
        const customer = await customerOf(ctx, request);
        const card = await confirmCardBinding(ctx, fundingOf(context), customer, input);
        reply.status(201);
        return cardView(card);
      },
    );

    app.post(
      '/funding/:id/step-up/sms',
      {
        config: { auth: 'paying-customer' },
        schema: {
          tags,
          summary: 'Send an SMS code that answers this challenged top-up or withdrawal only',
          params: Type.Object({ id: Id('fnd') }),
          response: { 202: Type.Object({ codeId: Type.String(), expiresAt: Type.String() }), ...errors },
        },
      },
      async (request, reply) => {
        const ctx = paymentsContextOf(context);
        const customer = await customerOf(ctx, request);
        const sent = await sendFundingStepUpCode(ctx, customer, (request.params as { id: string }).id);
        return reply.status(202).send({ codeId: sent.codeId, expiresAt: new Date(sent.expiresAt).toISOString() });
      },
    );

    app.post(
      '/funding/:id/step-up',
      {
        config: { auth: 'paying-customer' },
        schema: {
          tags,
          summary: 'Resume a challenged top-up or withdrawal with a step-up factor',
          params: Type.Object({ id: Id('fnd') }),
          body: FundingStepUp,
          response: { 200: FundingView, 202: FundingView, ...errors },
        },
      },
      async (request, reply) => {
        const ctx = paymentsContextOf(context);
        const factor = request.body as { kind: 'totp' | 'sms'; code: string; codeId?: string };
        const customer = await customerOf(ctx, request);
        const resumed = await resumeChallengedFunding(
          ctx,
          fundingOf(context),
          customer,
          (request.params as { id: string }).id,
          factor,
        );
        return fundingReply(reply, { funding: resumed, replayed: false, created: false });
      },
    );
  };
}
