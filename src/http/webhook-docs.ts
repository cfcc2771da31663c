// The webhooks merchants receive, as OpenAPI 3.1 `webhooks`: each topic's body (the envelope the
// outbox dispatcher sends, src/events/outbox-dispatcher.ts, around the payload the payments code
// enqueues) and the headers that come with it. The SDK's `verifyWebhook` checks `Anfu-Signature`.
const Amount = { type: 'string', description: 'Decimal string in major units', examples: ['12.34'] };
const Currency = { type: 'string', pattern: '^[A-Z]{3}$', examples: ['CNY'] };

function envelope(topic: string, data: Record<string, unknown>, example: Record<string, unknown>) {
  return {
    type: 'object',
    required: ['id', 'topic', 'createdAt', 'data'],
    properties: {
      id: { type: 'string', pattern: '^evt_[0-9a-z]{26}$', description: 'Event id; deliveries of one event share it' },
      topic: { type: 'string', const: topic },
      createdAt: { type: 'string', format: 'date-time' },
      data: { type: 'object', required: Object.keys(data), properties: data },
    },
    examples: [
      { id: 'evt_01j9zq3v8k2m4n6p8r0t2v4x6z', topic, createdAt: '2026-12-02T10:00:00.000Z', data: example },
    ],
  };
}

const headers = [
  {
    name: 'Anfu-Signature',
    in: 'header',
    required: true,
    description:
      '`t=<unix seconds>,v1=<hex HMAC-SHA-256>` over "<t>.<raw body>" keyed with the endpoint secret;' +
      ' several v1 values appear while a secret is rotated. Refuse a t older than 5 minutes.',
    schema: { type: 'string', examples: ['t=1764669600,v1=5f2b…'] },
  },
  { name: 'Anfu-Event-Id', in: 'header', required: true, schema: { type: 'string' } },
  { name: 'Anfu-Event-Topic', in: 'header', required: true, schema: { type: 'string' } },
  { name: 'Anfu-Delivery-Attempt', in: 'header', required: true, schema: { type: 'string', pattern: '^[0-9]+$' } },
];

function webhook(topic: string, summary: string, data: Record<string, unknown>, example: Record<string, unknown>) {
  const operationId = `webhook${topic.split(/[._]/).map((w) => w[0]!.toUpperCase() + w.slice(1)).join('')}`;
  return {
    post: {
      operationId,
      summary,
      tags: ['webhooks'],
      security: [],
      parameters: headers,
      requestBody: { required: true, content: { 'application/json': { schema: envelope(topic, data, example) } } },
      responses: {
        '200': { description: 'Any 2xx acknowledges the delivery; anything else is retried with back-off' },
        '400': { description: 'The signature did not verify: the delivery is retried, then dead-lettered' },
      },
    },
  };
}

const paymentId = { type: 'string', pattern: '^pay_[0-9a-z]{26}$' };
const orderId = { type: 'string', pattern: '^ord_[0-9a-z]{26}$' };
const refundId = { type: 'string', pattern: '^ref_[0-9a-z]{26}$' };
const ids = {
  paymentId: 'pay_01j9zq3v8k2m4n6p8r0t2v4x6z',
  orderId: 'ord_01j9zq3v8k2m4n6p8r0t2v4x6z',
  refundId: 'ref_01j9zq3v8k2m4n6p8r0t2v4x6z',
};

export const webhookDocs = {
  'order.paid': webhook(
    'order.paid',
    'A checkout order was paid and the money settled to the merchant',
    {
      paymentId, orderId, state: { type: 'string', const: 'succeeded' }, amount: Amount, fee: Amount, net: Amount,
      currency: Currency,
    },
    {
      paymentId: ids.paymentId, orderId: ids.orderId, state: 'succeeded', amount: '12.34', fee: '0.07', net: '12.27',
      currency: 'CNY',
    },
  ),
  'order.expired': webhook(
    'order.expired',
    'A checkout order lapsed unpaid',
    {
      orderId, merchantReference: { type: 'string' }, state: { type: 'string', const: 'expired' }, amount: Amount,
      currency: Currency, expiredAt: { type: 'integer', description: 'Unix milliseconds' },
    },
    {
      orderId: ids.orderId, merchantReference: 'cart-42', state: 'expired', amount: '12.34', currency: 'CNY',
      expiredAt: 1764669600000,
    },
  ),
  'refund.succeeded': webhook(
    'refund.succeeded',
    'A refund moved the money back to the customer',
    { refundId, paymentId, orderId: { type: ['string', 'null'] }, amount: Amount, currency: Currency },
    { refundId: ids.refundId, paymentId: ids.paymentId, orderId: ids.orderId, amount: '2.00', currency: 'CNY' },
  ),
  'refund.rejected': webhook(
    'refund.rejected',
    'A refund that needed an operator approval was rejected',
    { refundId, paymentId, amount: Amount, currency: Currency, reason: { type: 'string' } },
    { refundId: ids.refundId, paymentId: ids.paymentId, amount: '2.00', currency: 'CNY', reason: 'rejected' },
  ),
};
