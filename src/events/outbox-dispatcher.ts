// Delivers committed outbox messages: claim a few due ones (a lease, in one short statement), make
// each attempt with no transaction open, record the outcome in a second short transaction. Several
// processes may run one each against the same database; each message is attempted by one of them at
// a time. Delivery is at least once: a process that dies after the merchant answered but before the
// outcome was recorded leaves the lease to expire, and the message is sent again with the same
// `Anfu-Event-Id`, which merchants use to ignore the repeat.
import { randomBytes, randomInt } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Store } from '../store/index.ts';
import { postWebhook } from './post-webhook.ts';
import { decideAfterAttempt, type AttemptResult, type RetryPolicy } from './retry-schedule.ts';
import { claimDueMessages, recordAttempt, releaseLeases, type ClaimedMessage } from './store.ts';
import type { TargetPolicy } from './target-policy.ts';
import { signatureHeader, signatureHeaderName } from './webhook-signature.ts';
import type { WebhookSecretSealer } from './webhook-secret-sealing.ts';

export interface HandlerDelivery {
  readonly eventId: string;
  readonly topic: string;
  readonly payload: unknown;
  readonly attempt: number;
  /** Aborted when the attempt's time is up; a handler doing I/O should pass it on. */
  readonly signal: AbortSignal;
}

/** An in-process destination (SMS sender, bank link …). Returning is success; throwing is a failed attempt. */
export type OutboxHandler = (delivery: HandlerDelivery) => Promise<void>;

export interface OutboxDispatcherOptions {
  readonly store: Store;
  readonly sealer: WebhookSecretSealer;
  readonly retry: RetryPolicy;
  readonly timeoutMs: number;
  readonly concurrencyMax: number;
  readonly targets: TargetPolicy;
  readonly handlers?: Readonly<Record<string, OutboxHandler>>;
  /** Attempts in flight to one endpoint at most, so a hanging endpoint leaves slots for the others. */
  readonly perEndpointConcurrencyMax?: number;
  /** How long a claim lasts; must outlast an attempt, or a slow attempt would be duplicated. */
  readonly leaseMs?: number;
  readonly pollIntervalMs?: number;
  readonly clock?: () => number;
  /** Uniform in [0, 1); for the retry jitter. */
  readonly random?: () => number;
  /** Called with errors of the loop itself (a database outage); never with secrets. */
  readonly onError?: (error: unknown) => void;
}

export const userAgent = 'Anfu-Webhooks/1';

/** The body a webhook endpoint receives; `data` is the payload exactly as enqueued. */
export function webhookBody(message: Pick<ClaimedMessage, 'eventId' | 'topic' | 'payload' | 'eventCreatedAt'>): string {
  return `{"id":${JSON.stringify(message.eventId)},"topic":${JSON.stringify(message.topic)},"createdAt":${JSON.stringify(new Date(message.eventCreatedAt).toISOString())},"data":${message.payload}}`;
}

export class OutboxDispatcher {
  readonly #options: OutboxDispatcherOptions;
  readonly #clock: () => number;
  readonly #random: () => number;
  readonly #leaseMs: number;
  readonly #perEndpointMax: number;
  readonly #inFlight = new Set<Promise<void>>();
  readonly #endpointLoad = new Map<string, number>();
  #running = false;
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;

  constructor(options: OutboxDispatcherOptions) {
    this.#options = options;
    this.#clock = options.clock ?? Date.now;
    this.#random = options.random ?? (() => randomInt(0, 2 ** 47) / 2 ** 47);
    this.#leaseMs = options.leaseMs ?? options.timeoutMs + 30_000;
    this.#perEndpointMax = options.perEndpointConcurrencyMax ?? Math.max(1, Math.ceil(options.concurrencyMax / 4));
    if (this.#leaseMs <= options.timeoutMs) throw new Error('the outbox lease must outlast the attempt timeout');
    if (!(options.concurrencyMax >= 1)) throw new Error('concurrencyMax must be at least 1');
  }

  /** Starts the background loop (the server calls this once). */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#loop = this.#run();
  }

  /** Stops claiming, then waits for the attempts in flight (each ends within its timeout). */
  async stop(): Promise<void> {
    this.#running = false;
    this.#wake?.();
    await this.#loop;
    await Promise.all([...this.#inFlight]);
  }

  /**
   * Claims what is due now and fills the free slots, then waits for those attempts. Returns how many
   * attempts were made. Tests drive the dispatcher with this and an injected clock.
   */
  async runOnce(): Promise<number> {
    const started = await this.#claimAndLaunch();
    await Promise.all(started);
    return started.length;
  }

  async #run(): Promise<void> {
    const pollMs = this.#options.pollIntervalMs ?? 1000;
    while (this.#running) {
      let started = 0;
      try {
        started = (await this.#claimAndLaunch()).length;
      } catch (error) {
        this.#options.onError?.(error);
      }
      // Full slots: wait for one to free. Nothing due: wait for the poll interval (or stop()).
      if (started === 0 || this.#inFlight.size >= this.#options.concurrencyMax) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, pollMs);
          this.#wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.#wake = undefined;
      }
    }
  }

  async #claimAndLaunch(): Promise<Promise<void>[]> {
    const free = this.#options.concurrencyMax - this.#inFlight.size;
    if (free <= 0) return [];
    const busy = [...this.#endpointLoad].filter(([, load]) => load >= this.#perEndpointMax).map(([id]) => id);
    const messages = await claimDueMessages(this.#options.store, {
      token: randomBytes(16).toString('hex'), now: this.#clock(), leaseMs: this.#leaseMs, limit: free, busyEndpointIds: busy,
    });
    const started: Promise<void>[] = [];
    const deferred: ClaimedMessage[] = [];
    for (const message of messages) {
      // One claim may return several messages for one endpoint; keep within its share of the slots.
      const load = message.endpointId === null ? 0 : (this.#endpointLoad.get(message.endpointId) ?? 0);
      if (load >= this.#perEndpointMax) deferred.push(message);
      else started.push(this.#launch(message));
    }
    if (deferred.length > 0) await this.#giveBack(deferred);
    return started;
  }

  async #giveBack(messages: readonly ClaimedMessage[]): Promise<void> {
    const lease = messages[0]?.leaseToken;
    if (lease !== undefined) await releaseLeases(this.#options.store, lease, messages.map((m) => m.id));
  }

  #launch(message: ClaimedMessage): Promise<void> {
    const endpoint = message.endpointId;
    if (endpoint !== null) this.#endpointLoad.set(endpoint, (this.#endpointLoad.get(endpoint) ?? 0) + 1);
    const task = this.#attempt(message)
      .catch((error: unknown) => this.#options.onError?.(error))
      .finally(() => {
        this.#inFlight.delete(task);
        if (endpoint !== null) {
          const load = (this.#endpointLoad.get(endpoint) ?? 1) - 1;
          if (load <= 0) this.#endpointLoad.delete(endpoint);
          else this.#endpointLoad.set(endpoint, load);
        }
        this.#wake?.();
      });
    this.#inFlight.add(task);
    return task;
  }

  async #attempt(message: ClaimedMessage): Promise<void> {
    const attempt = message.attempts + 1;
    const startedAt = this.#clock();
    const t0 = performance.now();
    const result = await this.#deliver(message, attempt);
    const durationMs = performance.now() - t0;
    const now = this.#clock();
    const next = decideAfterAttempt(result, attempt, this.#options.retry, now, this.#random);
    await recordAttempt(this.#options.store, { message, attempt, startedAt, durationMs, result, next, now });
  }

  async #deliver(message: ClaimedMessage, attempt: number): Promise<AttemptResult> {
    if (message.destination === 'handler') return this.#callHandler(message, attempt);
    if (!message.endpointEnabled || message.url === null || message.secretSealed === null || message.endpointId === null) {
      return { outcome: 'failed', statusCode: undefined, errorClass: 'endpoint_disabled', permanent: true };
    }
    const body = webhookBody(message);
    const secret = await this.#options.sealer.open(message.endpointId, message.secretSealed);
    const headers = {
      'user-agent': userAgent,
      'anfu-event-id': message.eventId,
      'anfu-event-topic': message.topic,
      'anfu-delivery-attempt': String(attempt),
      [signatureHeaderName.toLowerCase()]: signatureHeader(secret, body, this.#clock()),
    };
    return postWebhook({ url: message.url, headers, body }, { timeoutMs: this.#options.timeoutMs, targets: this.#options.targets });
  }

  async #callHandler(message: ClaimedMessage, attempt: number): Promise<AttemptResult> {
    const handler = message.handler === null ? undefined : this.#options.handlers?.[message.handler];
    if (handler === undefined) return { outcome: 'failed', statusCode: undefined, errorClass: 'handler_missing', permanent: false };
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => {
        controller.abort();
        resolve('timeout');
      }, this.#options.timeoutMs);
    });
    try {
      const payload: unknown = JSON.parse(message.payload);
      const outcome = await Promise.race([handler({ eventId: message.eventId, topic: message.topic, payload, attempt, signal: controller.signal }), timeout]);
      if (outcome === 'timeout') return { outcome: 'failed', statusCode: undefined, errorClass: 'timeout', permanent: false };
      return { outcome: 'delivered', statusCode: undefined };
    } catch {
      return { outcome: 'failed', statusCode: undefined, errorClass: 'handler_error', permanent: false };
    } finally {
      clearTimeout(timer);
    }
  }
}
