// Example: a merchant's server on @anfu/sdk. It creates checkout orders (signed with the merchant
// API key), receives Anfu's webhooks and verifies their signature before trusting them, marks its
// cart paid on `order.paid`, and refunds. Run it:
//   ANFU_BASE_URL=https://localhost:8443 ANFU_MERCHANT_API_KEY=mk_….… ANFU_WEBHOOK_SECRET=… \
//     node --import tsx examples/merchant-server.ts
// then POST /checkout {"reference":"cart-42","amount":"12.34"} and register
// http://<this host>:8080/anfu/webhooks as the merchant's webhook endpoint (docs/sdk.md).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createAnfuClient, data, keyForIntent, verifyWebhook, WebhookSignatureError, type WebhookEvent } from '@anfu/sdk';

export interface MerchantServerOptions {
  readonly baseUrl: string;
  readonly apiKey: string;
  /** The endpoint's signing secret (a function when it is known only once the endpoint is registered). */
  readonly webhookSecret: string | (() => string);
  /** The clock requests are signed and webhooks checked with (default Date.now). */
  readonly now?: () => number;
  readonly port?: number;
}

export interface MerchantServer {
  readonly url: string;
  /** Verified events, in the order they arrived (a real shop would store them). */
  readonly events: WebhookEvent[];
  /** Deliveries refused because their signature did not verify. */
  readonly refused: number;
  close(): Promise<void>;
}

async function bodyOf(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function send(response: ServerResponse, status: number, body?: unknown): void {
  response.writeHead(status, body === undefined ? {} : { 'content-type': 'application/json' });
  response.end(body === undefined ? undefined : JSON.stringify(body));
}

export async function startMerchantServer(options: MerchantServerOptions): Promise<MerchantServer> {
  const now = options.now ?? Date.now;
  const anfu = createAnfuClient({ baseUrl: options.baseUrl, credentials: { kind: 'merchant', apiKey: options.apiKey, now } });
  const events: WebhookEvent[] = [];
  let refused = 0;

  async function checkout(input: { reference: string; amount: string }) {
    return data(
      anfu.POST('/v1/merchant/orders', {
        body: {
          merchantReference: input.reference,
          amount: input.amount,
          currency: 'CNY',
          description: `Order ${input.reference}`,
          expiresInSeconds: 900,
        },
      }),
    );
  }

  async function refund(input: { paymentId: string; amount: string; reason: string }) {
    // One key per intent: a retry of this very refund (after a timeout, a crash) cannot refund twice.
    const key = await keyForIntent('refund', `${input.paymentId}:${input.amount}:${input.reason}`);
    return data(
      anfu.POST('/v1/merchant/payments/{paymentId}/refunds', {
        params: { path: { paymentId: input.paymentId }, header: { 'idempotency-key': key } },
        body: { amount: input.amount, reason: input.reason },
      }),
    );
  }

  async function webhook(request: IncomingMessage, response: ServerResponse) {
    const raw = await bodyOf(request);
    try {
      const secret = typeof options.webhookSecret === 'string' ? options.webhookSecret : options.webhookSecret();
      const event = await verifyWebhook(secret, request.headers['anfu-signature'] as string, raw, { now: now() });
      events.push(event);
      if (event.topic === 'order.paid') {
        // Confirm with a signed query before shipping: the order as Anfu holds it now.
        const order = await data(anfu.GET('/v1/merchant/orders/{orderId}', { params: { path: { orderId: event.data.orderId } } }));
        if (order.order.state !== 'paid') throw new Error(`order ${order.order.id} is ${order.order.state}`);
      }
      send(response, 204);
    } catch (error) {
      if (!(error instanceof WebhookSignatureError)) throw error;
      refused += 1;
      send(response, 400, { refused: error.reason });
    }
  }

  const server: Server = createServer((request, response) => {
    const route = `${request.method} ${request.url}`;
    const handle = async () => {
      if (route === 'POST /anfu/webhooks') return webhook(request, response);
      if (route === 'POST /checkout') return send(response, 201, await checkout(JSON.parse(await bodyOf(request))));
      if (route === 'POST /refunds') return send(response, 201, await refund(JSON.parse(await bodyOf(request))));
      return send(response, 404);
    };
    handle().catch((error: unknown) => send(response, 500, { error: String(error) }));
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    events,
    get refused() {
      return refused;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const env = (name: string) => {
    const value = process.env[name];
    if (value === undefined) throw new Error(`set ${name}`);
    return value;
  };
  const server = await startMerchantServer({
    baseUrl: env('ANFU_BASE_URL'),
    apiKey: env('ANFU_MERCHANT_API_KEY'),
    webhookSecret: env('ANFU_WEBHOOK_SECRET'),
    port: Number(process.env.PORT ?? '8080'),
  });
  process.stdout.write(`merchant example listening on ${server.url}\n`);
}
