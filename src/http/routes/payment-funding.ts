// Cards, top-ups, withdrawals and requests for money. Thin: authenticate, validate, call one use case,
// map the outcome. A declined or unanswered card ends the payment `failed` and answers the problem
// (card_declined with the response code, card_issuer_unavailable) with the payment id.
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { Type, type Static } from 'typebox';
import { AnfuError } from '../../errors.ts';
import { topUpByCard } from '../../flows/top-up-by-card.ts';
import { withdrawToCard } from '../../flows/withdraw-to-card.ts';
import { payCollectRequest } from '../../flows/pay-collect-request.ts';
import { originOf } from '../../flows/record-request-refusal.ts';
import { parseMajor } from '../../money/index.ts';
import {
  cardFundingOf, cardsOf, collectRequestsOf, declineCollectRequest, fundingById, fundingTransitionsOf, requestMoney,
  type CardFunding, type FundingPayment, type PaymentsContext,
} from '../../payments/index.ts';
import { paymentsContextOf, type AppContext } from '../context.ts';
import { customerOf } from '../customer-auth.ts';
import { outcomeResponses, paymentStatusOf } from '../payment-outcome.ts';
import { IdempotencyHeaders, Id, SignedBody, problemResponses } from '../schemas.ts';
import { CardView, CollectView, FundingView, cardView, collectView, fundingView } from './funding-views.ts';
import { cardBindingRoutes } from './card-binding.ts';
import { PaymentView, paymentView } from './payment-views.ts';

const errors = problemResponses(401, 403, 404, 409, 422, 503);
const tags = ['payments'];
const payer = { auth: 'paying-customer' as const };

function fundingOf(context: AppContext): CardFunding {
  const funding = cardFundingOf(context.store);
  if (funding === undefined) throw new AnfuError('card_issuer_unavailable', 'no card link is configured (ANFU_CARD_LINK_PORT)');
  return funding;
}

/** A card payment's view under the one outcome mapping (http/payment-outcome.ts); a failure is its problem. */
export function fundingReply(
  reply: { status(code: number): unknown },
  result: { funding: FundingPayment; replayed: boolean; created?: boolean },
) {
  const { funding } = result;
  const responseCode = funding.exchange.responseCode;
  const details: Record<string, string> = responseCode === null ? {} : { responseCode };
  reply.status(paymentStatusOf({ ...funding, replayed: result.replayed, created: result.created ?? true, details }));
  return fundingView(funding);
}

export function fundingRoutes(context: AppContext): FastifyPluginAsync {
  return async (app) => {
    const signed = (request: FastifyRequest) => ({ ...(request.body as Static<typeof SignedBody>), idempotencyKey: (request.headers as Static<typeof IdempotencyHeaders>)['idempotency-key'], origin: originOf(request.ip, request.url) });
    // The caller is authenticated before the card link is looked up: an anonymous request learns
    // nothing about the platform's configuration (it gets 401, not 503).
    const both = async (request: FastifyRequest): Promise<[PaymentsContext, CardFunding, Awaited<ReturnType<typeof customerOf>>]> => {
      const ctx = paymentsContextOf(context);
      const customer = await customerOf(ctx, request);
      return [ctx, fundingOf(context), customer];
    };

    await app.register(cardBindingRoutes(context));

    app.get('/cards', { config: payer, schema: { tags, summary: "The customer's bound cards (masked)", response: { 200: Type.Object({ items: Type.Array(CardView) }), ...errors } } }, async (request) => {
      const ctx = paymentsContextOf(context);
      return { items: (await cardsOf(ctx.store, (await customerOf(ctx, request)).customerId)).map(cardView) };
    });

    app.post('/top-ups', { config: payer, schema: { tags, summary: 'Top up the wallet from a bound card (signed instruction of kind top_up naming the card)', headers: IdempotencyHeaders, body: SignedBody, response: { 200: FundingView, 201: FundingView, 202: FundingView, ...errors } } }, async (request, reply) => {
      const [ctx, funding, customer] = await both(request);
      return fundingReply(reply, await topUpByCard(ctx, funding, customer, signed(request)));
    });

    app.post('/withdrawals', { config: payer, schema: { tags, summary: 'Withdraw to a verified card (signed instruction of kind withdrawal naming the card)', headers: IdempotencyHeaders, body: SignedBody, response: { 200: FundingView, 201: FundingView, 202: FundingView, ...errors } } }, async (request, reply) => {
      const [ctx, funding, customer] = await both(request);
      return fundingReply(reply, await withdrawToCard(ctx, funding, customer, signed(request)));
    });

    app.get('/funding/:id', { config: payer, schema: { tags, summary: 'A top-up or withdrawal with every state transition', params: Type.Object({ id: Id('fnd') }), response: { 200: FundingView, ...errors } } }, async (request) => {
      const ctx = paymentsContextOf(context);
      const principal = await customerOf(ctx, request);
      const row = await fundingById(ctx.store, (request.params as { id: string }).id);
      if (row === undefined || row.customerId !== principal.customerId) throw new AnfuError('payment_not_found');
      return fundingView(row, await fundingTransitionsOf(ctx.store, row.id));
    });

    app.post('/collect-requests', { config: payer, schema: { tags, summary: 'Request money from another customer', body: Type.Object({ payerWalletId: Id('cus'), amount: Type.String({ maxLength: 40 }), currency: Type.String({ pattern: '^[A-Z]{3}$' }), note: Type.String({ maxLength: 140 }), expiresInSeconds: Type.Integer({ minimum: 60, maximum: 30 * 86_400 }) }, { additionalProperties: false }), response: { ...outcomeResponses(CollectView), ...errors } } }, async (request, reply) => {
      const ctx = paymentsContextOf(context);
      const body = request.body as { payerWalletId: string; amount: string; currency: string; note: string; expiresInSeconds: number };
      const amount = parseMajor(body.amount, body.currency, { maxMinor: ctx.settings.amountMaxMinor, currencies: ctx.settings.currencies }).minor;
      const made = await requestMoney(ctx, await customerOf(ctx, request), { payerId: body.payerWalletId, amount, currency: body.currency, note: body.note, ttlMs: body.expiresInSeconds * 1000 });
      reply.status(paymentStatusOf({ ...made, failureCode: null, replayed: false, created: true }));
      return collectView(made);
    });

    app.get('/collect-requests', { config: payer, schema: { tags, summary: 'Requests for money made or received, newest first', response: { 200: Type.Object({ items: Type.Array(CollectView) }), ...errors } } }, async (request) => {
      const ctx = paymentsContextOf(context);
      return { items: (await collectRequestsOf(ctx.store, (await customerOf(ctx, request)).customerId, ctx.clock(), 100)).map(collectView) };
    });

    app.post('/collect-requests/:id/payments', { config: payer, schema: { tags, summary: 'Approve a request for money with a signed instruction (kind collect_payment)', headers: IdempotencyHeaders, params: Type.Object({ id: Id('col') }), body: SignedBody, response: { 200: PaymentView, 201: PaymentView, 202: PaymentView, ...errors } } }, async (request, reply) => {
      const ctx = paymentsContextOf(context);
      const result = await payCollectRequest(ctx, await customerOf(ctx, request), (request.params as { id: string }).id, signed(request));
      reply.status(paymentStatusOf({ ...result.payment, replayed: result.replayed, created: true }));
      return paymentView(result.payment);
    });

    app.post('/collect-requests/:id/decline', { config: payer, schema: { tags, summary: 'Decline a request for money', params: Type.Object({ id: Id('col') }), response: { 200: CollectView, ...errors } } }, async (request) => {
      const ctx = paymentsContextOf(context);
      return collectView(await declineCollectRequest(ctx, await customerOf(ctx, request), (request.params as { id: string }).id));
    });
  };
}
