// Delivers security events to the configured webhook after they commit (the table is the outbox:
// `delivered_at` is set once the receiver answered 2xx). Never inside a database transaction.
// The body carries the event's type, severity and ids only: no personal data, no secrets.
import type { Store } from '../store/index.ts';
import { markSecurityEventDelivered, undeliveredSecurityEvents } from './store.ts';

const deliveryBatchMax = 100;
const deliveryTimeoutMs = 5_000;

export interface SecurityAlertsOptions {
  readonly store: Store;
  readonly webhookUrl: string | undefined;
  readonly clock: () => number;
  readonly onError?: (error: unknown) => void;
}

export class SecurityAlerts {
  readonly #options: SecurityAlertsOptions;
  #running: Promise<number> | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: SecurityAlertsOptions) {
    this.#options = options;
  }

  /** Sends every undelivered event once; returns how many were delivered. Runs one at a time. */
  deliverPending(): Promise<number> {
    if (this.#options.webhookUrl === undefined) return Promise.resolve(0);
    this.#running ??= this.#deliver(this.#options.webhookUrl).finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  /** Starts delivery in the background (after a commit that raised an event). */
  kick(): void {
    this.deliverPending().catch((error: unknown) => this.#options.onError?.(error));
  }

  start(intervalMs: number): void {
    if (this.#options.webhookUrl === undefined || this.#timer !== undefined) return;
    this.#timer = setInterval(() => this.kick(), intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  async #deliver(url: string): Promise<number> {
    const events = await undeliveredSecurityEvents(this.#options.store, deliveryBatchMax);
    let delivered = 0;
    for (const event of events) {
      const body = JSON.stringify({ id: event.id, type: event.type, severity: event.severity, source: event.source, subject: event.subject, createdAt: new Date(event.createdAt).toISOString() });
      const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(deliveryTimeoutMs), redirect: 'error' });
      if (!response.ok) break; // keep order; retried on the next kick
      await markSecurityEventDelivered(this.#options.store, event.id, this.#options.clock());
      delivered += 1;
    }
    return delivered;
  }
}
