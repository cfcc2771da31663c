// The merchants' API: onboarding (operators), and for merchants — requests signed with HMAC-SHA-256
// over method, path, timestamp and body — checkout orders, order query and refunds.
import type { FastifyPluginAsync } from 'fastify';
import { Type, type Static } from 'typebox';
import { AnfuError } from '../../errors.ts';
import { onboardScreenedMerchant } from '../../flows/onboard-screened-merchant.ts';
import { parseMajor } from '../../money/index.ts';
import {
  openCheckoutOrder,
  merchantById,
  merchantProtectionFor,
  orderById,
  orderQrSvg,
  paymentById,
  paymentSettingsOf,
  refundsOf,
  requestRefund,
} from '../../payments/index.ts';
import { paymentsContextOf, type AppContext } from '../context.ts';
import { merchantOf } from '../merchant-auth.ts';
import { outcomeResponses, paymentStatusOf } from '../payment-outcome.ts';
import { IdempotencyHeaders, Id, problemResponses } from '../schemas.ts';
import { OrderView, PaymentView, RefundView, orderView, paymentView, refundView } from './payment-views.ts';

const errors = problemResponses(401, 403, 404, 409, 422, 503);
const tags = ['merchants'];
const OnboardBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    businessRegistration: Type.String({ pattern: '^[0-9A-Z]{15,18}$' }),
    contactEmail: Type.String({ maxLength: 200, pattern: '^[^@\\s]+@[^@\\s]+$' }),
    settlementAccount: Type.String({ maxLength: 40 }),
    feeBps: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000 })),
  },
  { additionalProperties: false },
);
const OrderBody = Type.Object(
  {
    merchantReference: Type.String({ pattern: '^[A-Za-z0-9_.:-]{1,64}$' }),
    amount: Type.String({ maxLength: 40 }),
    currency: Type.String({ pattern: '^[A-Z]{3}$' }),
    description: Type.String({ minLength: 1, maxLength: 140 }),
    expiresInSeconds: Type.Integer({ minimum: 60, maximum: 30 * 24 * 3600 }),
  },
  { additionalProperties: false },
);
const RefundBody = Type.Object(
  { amount: Type.String({ maxLength: 40 }), reason: Type.String({ minLength: 1, maxLength: 140 }) },
  { additionalProperties: false },
);

export function merchantRoutes(context: AppContext): FastifyPluginAsync {
  const settings = paymentSettingsOf(context.config);
  const protection = () => merchantProtectionFor(context.keyring);

  return async (app) => {
    app.post(
      '/merchants',
      {
        config: { auth: 'operator', permission: 'ledger.accounts.open' },
        schema: {
          tags,
          summary: 'Onboard a merchant; the API key is shown once',
          body: OnboardBody,
          response: {
            201: Type.Object({ id: Type.String(), name: Type.String(), feeBps: Type.Integer(), apiKey: Type.String() }),
            ...errors,
          },
        },
      },
      async (request, reply) => {
        const { store, sanctions } = context;
        const feeBpsDefault = settings.merchantFeeBpsDefault;
        const parts = { store, sanctions, protection: await protection(), feeBpsDefault };
        const body = request.body as Static<typeof OnboardBody>;
        const onboarded = { ...parts, now: context.clock() };
        const { merchant, apiKey } = await onboardScreenedMerchant(onboarded, body, request.principal?.id ?? 'unknown');
        return reply
          .status(201)
          .send({ id: merchant.id, name: merchant.name, feeBps: merchant.feeBps, apiKey: apiKey.apiKey });
      },
    );

    app.post(
      '/merchant/orders',
      {
        config: { auth: 'merchant' },
        schema: {
          tags,
          summary: 'Create a checkout order with a QR code (its reference and body again: 200, that order)',
          body: OrderBody,
          response: { ...outcomeResponses(OrderView), ...errors },
        },
      },
      async (request, reply) => {
        const merchantId = merchantOf(request);
        const body = request.body as Static<typeof OrderBody>;
        const ttlMs = body.expiresInSeconds * 1000;
        if (ttlMs > settings.orderTtlMsMax)
          throw new AnfuError('validation_failed', `expiresInSeconds may be at most ${settings.orderTtlMsMax / 1000}`);
        const amount = parseMajor(body.amount, body.currency, {
          maxMinor: settings.amountMaxMinor,
          currencies: settings.currencies,
        }).minor;
        const { order, replayed } = await openCheckoutOrder(
          context.store,
          {
            merchantId,
            merchantReference: body.merchantReference,
            amount,
            currency: body.currency,
            description: body.description,
            ttlMs,
          },
          context.clock(),
        );
        const status = paymentStatusOf({ ...order, idField: 'orderId', failureCode: null, replayed, created: true });
        return reply.status(status).send(orderView(order, await orderQrSvg(order)));
      },
    );

    app.get(
      '/merchant/orders/:orderId',
      {
        config: { auth: 'merchant' },
        schema: {
          tags,
          summary: 'Query an order (for a merchant that missed a webhook)',
          params: Type.Object({ orderId: Id('ord') }),
          response: {
            200: Type.Object({
              order: OrderView,
              payment: Type.Union([PaymentView, Type.Null()]),
              refunds: Type.Array(RefundView),
            }),
            ...errors,
          },
        },
      },
      async (request) => {
        const merchantId = merchantOf(request);
        const order = await orderById(context.store, (request.params as { orderId: string }).orderId, context.clock());
        if (order === undefined || order.merchantId !== merchantId) throw new AnfuError('order_not_found');
        const payment = order.paymentId === null ? undefined : await paymentById(context.store, order.paymentId);
        return {
          order: orderView(order),
          payment: payment === undefined ? null : paymentView(payment),
          refunds: payment === undefined ? [] : (await refundsOf(context.store, payment.id)).map(refundView),
        };
      },
    );

    app.post(
      '/merchant/payments/:paymentId/refunds',
      {
        config: { auth: 'merchant' },
        schema: {
          tags,
          summary: 'Refund a payment in full or in part (idempotent)',
          headers: IdempotencyHeaders,
          params: Type.Object({ paymentId: Id('pay') }),
          body: RefundBody,
          response: { 200: RefundView, 201: RefundView, 202: RefundView, ...errors },
        },
      },
      async (request, reply) => {
        const merchantId = merchantOf(request);
        if ((await merchantById(context.store, merchantId)) === undefined) throw new AnfuError('merchant_not_found');
        const body = request.body as Static<typeof RefundBody>;
        const payment = await paymentById(context.store, (request.params as { paymentId: string }).paymentId);
        if (payment === undefined || payment.merchantId !== merchantId) throw new AnfuError('payment_not_found');
        const amount = parseMajor(body.amount, payment.currency, { maxMinor: settings.amountMaxMinor }).minor;
        const { refund, replayed } = await requestRefund(paymentsContextOf(context), merchantId, payment.id, {
          amount,
          reason: body.reason,
          idempotencyKey: (request.headers as { 'idempotency-key': string })['idempotency-key'],
        });
        const status = paymentStatusOf({ ...refund, idField: 'refundId', replayed, created: true });
        return reply.status(status).send(refundView(refund));
      },
    );
  };
}
