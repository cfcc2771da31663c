// The customers' payments API: payee lookup, signed transfers and order payments, step-up of a
// challenged payment, history and receipts. Thin: authenticate, validate, call one use case.
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { Type, type Static } from 'typebox';
import { AnfuError } from '../../errors.ts';
import { lookUpPayee, transferToCustomer } from '../../flows/transfer-to-customer.ts';
import { payOrder } from '../../flows/pay-order.ts';
import {
  paymentStepUpPasskeyOptions,
  resumeChallengedPayment,
  sendPaymentStepUpCode,
} from '../../flows/resume-challenged-payment.ts';
import { originOf } from '../../flows/record-request-refusal.ts';
import {
  historyKinds,
  instructionOf,
  paymentHistory,
  refundStates,
  orderByCode,
  paymentById,
  paymentStates,
  transitionsOf,
  type HistoryKind,
  type PaymentStepUpFactor,
} from '../../payments/index.ts';
import { paymentsContextOf, type AppContext } from '../context.ts';
import { customerOf } from '../customer-auth.ts';
import { outcomeResponses, paymentStatusOf } from '../payment-outcome.ts';
import { Currency, IdempotencyHeaders, Id, PageLimit, SignedBody, problemResponses } from '../schemas.ts';
import { webauthnOrigin } from './identity.ts';
import { fundingRoutes } from './payment-funding.ts';
import { paymentOperationsRoutes } from './payment-operations.ts';
import {
  HistoryPage,
  OrderView,
  PaymentView,
  ReceiptView,
  historyEntryView,
  orderView,
  paymentView,
  receiptView,
} from './payment-views.ts';

const errors = problemResponses(401, 403, 404, 409, 422, 503);
const tags = ['payments'];
const StepUpBody = Type.Object(
  {
    kind: Type.String({ enum: ['totp', 'sms', 'passkey'] }),
    code: Type.Optional(Type.String({ pattern: '^[0-9]{6,8}$' })),
    codeId: Type.Optional(Type.String({ pattern: '^suc_[0-9a-z]{26}$' })),
    response: Type.Optional(Type.Object({}, { additionalProperties: true })),
  },
  { additionalProperties: false },
);

function stepUpFactorOf(body: Static<typeof StepUpBody>, origin: string): PaymentStepUpFactor {
  if (body.kind === 'passkey') return { kind: 'passkey', response: (body.response ?? {}) as never, origin };
  if (body.kind === 'sms') return { kind: 'sms', codeId: body.codeId ?? '', code: body.code ?? '' };
  return { kind: 'totp', code: body.code ?? '' };
}

export function paymentRoutes(context: AppContext): FastifyPluginAsync {
  return async (app) => {
    await app.register(fundingRoutes(context));
    await app.register(paymentOperationsRoutes(context));
    const signed = (request: FastifyRequest) => ({
      ...(request.body as Static<typeof SignedBody>),
      idempotencyKey: (request.headers as Static<typeof IdempotencyHeaders>)['idempotency-key'],
      origin: originOf(request.ip, request.url),
    });
    const started = (
      reply: { status(code: number): unknown },
      result: { payment: Parameters<typeof paymentView>[0]; replayed: boolean },
    ) => {
      reply.status(paymentStatusOf({ ...result.payment, replayed: result.replayed, created: true }));
      return paymentView(result.payment);
    };

    app.post(
      '/payees/lookup',
      {
        config: { auth: 'paying-customer' },
        schema: {
          tags,
          summary: 'Find a payee by mobile number or wallet id; shows the masked name for confirmation',
          body: Type.Object(
            { phone: Type.Optional(Type.String({ maxLength: 20 })), walletId: Type.Optional(Id('cus')) },
            { additionalProperties: false },
          ),
          response: { 200: Type.Object({ walletId: Type.String(), maskedName: Type.String() }), ...errors },
        },
      },
      async (request) => {
        const ctx = paymentsContextOf(context);
        return lookUpPayee(
          ctx,
          await customerOf(ctx, request),
          request.body as { phone?: string; walletId?: string },
          request.ip,
        );
      },
    );

    app.post(
      '/payments/transfers',
      {
        config: { auth: 'paying-customer' },
        schema: {
          tags,
          summary: 'Transfer to another customer with a signed instruction',
          headers: IdempotencyHeaders,
          body: SignedBody,
          response: { 200: PaymentView, 201: PaymentView, 202: PaymentView, ...errors },
        },
      },
      async (request, reply) => {
        const ctx = paymentsContextOf(context);
        return started(reply, await transferToCustomer(ctx, await customerOf(ctx, request), signed(request)));
      },
    );

    app.get(
      '/orders/by-code/:code',
      {
        config: { auth: 'paying-customer' },
        schema: {
          tags,
          summary: 'An order by its payment code (what the QR code carries)',
          params: Type.Object({ code: Type.String({ pattern: '^AF[0-9A-F]{20}$' }) }),
          response: { 200: OrderView, ...errors },
        },
      },
      async (request) => {
        const ctx = paymentsContextOf(context);
        await customerOf(ctx, request);
        const order = await orderByCode(ctx.store, (request.params as { code: string }).code, ctx.clock());
        if (order === undefined) throw new AnfuError('order_not_found');
        return orderView(order);
      },
    );

    app.post(
      '/orders/:orderId/payments',
      {
        config: { auth: 'paying-customer' },
        schema: {
          tags,
          summary: "Pay a merchant's order from the wallet with a signed instruction",
          headers: IdempotencyHeaders,
          params: Type.Object({ orderId: Id('ord') }),
          body: SignedBody,
          response: { 200: PaymentView, 201: PaymentView, 202: PaymentView, ...errors },
        },
      },
      async (request, reply) => {
        const ctx = paymentsContextOf(context);
        return started(
          reply,
          await payOrder(
            ctx,
            await customerOf(ctx, request),
            (request.params as { orderId: string }).orderId,
            signed(request),
          ),
        );
      },
    );

    app.post(
      '/payments/:paymentId/step-up',
      {
        config: { auth: 'paying-customer' },
        schema: {
          tags,
          summary:
            'Resume a challenged payment with a step-up factor (TOTP, an SMS code sent for it, or a passkey); 5 attempts',
          params: Type.Object({ paymentId: Id('pay') }),
          body: StepUpBody,
          response: { ...outcomeResponses(PaymentView), ...errors },
        },
      },
      async (request, reply) => {
        const ctx = paymentsContextOf(context);
        const resumed = await resumeChallengedPayment(
          ctx,
          await customerOf(ctx, request),
          (request.params as { paymentId: string }).paymentId,
          stepUpFactorOf(request.body as Static<typeof StepUpBody>, webauthnOrigin(context.identity, request)),
          request.ip,
        );
        reply.status(paymentStatusOf({ ...resumed, replayed: false, created: false }));
        return paymentView(resumed);
      },
    );

    app.post(
      '/payments/:paymentId/step-up/sms',
      {
        config: { auth: 'paying-customer' },
        schema: {
          tags,
          summary: 'Send an SMS code that authorises this challenged payment only',
          params: Type.Object({ paymentId: Id('pay') }),
          response: { 202: Type.Object({ codeId: Type.String(), expiresAt: Type.String() }), ...errors },
        },
      },
      async (request, reply) => {
        const ctx = paymentsContextOf(context);
        const sent = await sendPaymentStepUpCode(
          ctx,
          await customerOf(ctx, request),
          (request.params as { paymentId: string }).paymentId,
        );
        return reply.status(202).send({ codeId: sent.codeId, expiresAt: new Date(sent.expiresAt).toISOString() });
      },
    );

    app.post(
      '/payments/:paymentId/step-up/passkey-options',
      {
        config: { auth: 'paying-customer' },
        schema: {
          tags,
          summary: 'WebAuthn options for answering this payment’s step-up with a passkey',
          params: Type.Object({ paymentId: Id('pay') }),
          response: { 200: Type.Object({}, { additionalProperties: true }), ...errors },
        },
      },
      async (request) => {
        const ctx = paymentsContextOf(context);
        return paymentStepUpPasskeyOptions(
          ctx,
          await customerOf(ctx, request),
          (request.params as { paymentId: string }).paymentId,
        );
      },
    );

    app.get(
      '/payments',
      {
        config: { auth: 'paying-customer' },
        schema: {
          tags,
          summary:
            "The customer's payment history, newest first: transfers, order and request payments, " +
            'top-ups, withdrawals and refunds',
          querystring: Type.Object(
            {
              kind: Type.Optional(Type.String({ enum: [...historyKinds] })),
              state: Type.Optional(Type.String({ enum: [...new Set<string>([...paymentStates, ...refundStates])] })),
              currency: Type.Optional(Currency),
              cursor: Type.Optional(
                Type.String({ pattern: '^(pay|fnd|rfd)_[0-9a-z]{26}$', description: 'the previous nextCursor' }),
              ),
              limit: PageLimit(200),
            },
            { additionalProperties: false },
          ),
          response: { 200: HistoryPage, ...errors },
        },
      },
      async (request) => {
        const ctx = paymentsContextOf(context);
        const principal = await customerOf(ctx, request);
        type Query = { kind?: HistoryKind; state?: string; currency?: string; cursor?: string; limit?: string };
        const q = request.query as Query;
        const limit = q.limit === undefined ? 50 : Number(q.limit);
        const page = await paymentHistory(ctx.store, principal.customerId, { ...q, limit });
        return { items: page.items.map(historyEntryView), nextCursor: page.nextCursor };
      },
    );

    app.get(
      '/payments/:paymentId',
      {
        config: { auth: 'paying-customer' },
        schema: {
          tags,
          summary: 'A payment with every state transition',
          params: Type.Object({ paymentId: Id('pay') }),
          response: { 200: PaymentView, ...errors },
        },
      },
      async (request) => {
        const ctx = paymentsContextOf(context);
        const principal = await customerOf(ctx, request);
        const payment = await paymentById(ctx.store, (request.params as { paymentId: string }).paymentId);
        if (
          payment === undefined ||
          (payment.payerId !== principal.customerId && payment.payeeId !== principal.customerId)
        )
          throw new AnfuError('payment_not_found');
        return paymentView(payment, await transitionsOf(ctx.store, payment.id));
      },
    );

    app.get(
      '/payments/:paymentId/receipt',
      {
        config: { auth: 'paying-customer' },
        schema: {
          tags,
          summary: 'The receipt: the payment and the signed instruction with its certificate chain',
          params: Type.Object({ paymentId: Id('pay') }),
          response: { 200: ReceiptView, ...errors },
        },
      },
      async (request) => {
        const ctx = paymentsContextOf(context);
        const principal = await customerOf(ctx, request);
        const payment = await paymentById(ctx.store, (request.params as { paymentId: string }).paymentId);
        if (payment === undefined || payment.payerId !== principal.customerId) throw new AnfuError('payment_not_found');
        return receiptView(payment, await instructionOf(ctx.store, payment.id));
      },
    );
  };
}
