// Test support: a real webhook receiver on 127.0.0.1 (a random port) that verifies each delivery's
// signature the way a merchant would, and answers as each test tells it to.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { OutboxDispatcher, type OutboxDispatcherOptions } from './outbox-dispatcher.ts';
import { verifyWebhookSignature, type SignatureVerification } from './webhook-signature.ts';
import type { Store } from '../store/index.ts';

export type Behaviour = 'ok' | 'fail' | 'hang';

export interface Received {
  readonly path: string;
  readonly eventId: string;
  readonly attempt: number;
  readonly body: string;
  readonly headers: IncomingMessage['headers'];
  readonly verification: SignatureVerification;
  readonly at: number;
}

export interface Receiver {
  readonly baseUrl: string;
  readonly received: Received[];
  /** How the path answers (default 'ok'); the secret it verifies with. */
  route(path: string, behaviour: Behaviour, secret?: string): void;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const routes = new Map<string, { behaviour: Behaviour; secret: string }>();
  const received: Received[] = [];
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const path = request.url ?? '/';
      const route = routes.get(path) ?? { behaviour: 'ok' as const, secret: '' };
      const body = Buffer.concat(chunks).toString('utf8');
      const header = request.headers['anfu-signature'];
      received.push({
        path, body, headers: request.headers, at: Date.now(),
        eventId: String(request.headers['anfu-event-id']),
        attempt: Number(request.headers['anfu-delivery-attempt']),
        verification: verifyWebhookSignature(route.secret, typeof header === 'string' ? header : undefined, body, Date.now(), 300),
      });
      if (route.behaviour === 'hang') return;
      response.statusCode = route.behaviour === 'ok' ? 204 : 500;
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    received,
    route: (path, behaviour, secret = routes.get(path)?.secret ?? '') => routes.set(path, { behaviour, secret }),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export interface ManualClock {
  now: number;
  readonly read: () => number;
}

export function manualClock(start = Date.UTC(2025, 0, 1)): ManualClock {
  const clock = { now: start, read: () => clock.now };
  return clock;
}

/** A dispatcher for tests: loopback allowed, small numbers, the given clock, jitter fixed at the middle. */
export function testDispatcher(store: Store, options: Partial<OutboxDispatcherOptions> & Pick<OutboxDispatcherOptions, 'sealer'>): OutboxDispatcher {
  return new OutboxDispatcher({
    store,
    retry: { baseMs: 1000, maxMs: 60_000, attemptsMax: 4 },
    timeoutMs: 2000,
    concurrencyMax: 8,
    targets: { httpsRequired: false, privateAddressesAllowed: true },
    random: () => 0.5,
    pollIntervalMs: 20,
    ...options,
  });
}

/** Runs the dispatcher until an attempt round finds nothing due. */
export async function drain(dispatcher: OutboxDispatcher, roundsMax = 100): Promise<number> {
  let total = 0;
  for (let round = 0; round < roundsMax; round++) {
    const made = await dispatcher.runOnce();
    if (made === 0) return total;
    total += made;
  }
  throw new Error('the outbox did not drain');
}
