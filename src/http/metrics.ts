// Prometheus metrics: process defaults, HTTP requests by route and status, and the ledger's group
// commit (batch sizes, durations, transfers by outcome). One registry per app instance.
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface Metrics {
  readonly registry: Registry;
  readonly httpRequests: Counter<'method' | 'route' | 'status'>;
  readonly httpDuration: Histogram<'method' | 'route'>;
  readonly ledgerBatchSize: Histogram;
  readonly ledgerBatchSeconds: Histogram;
  readonly ledgerTransfers: Counter<'kind' | 'outcome'>;
  /** Security events by type and severity, read from the database at scrape time (so every process agrees). */
  readonly securityEvents: Counter<'type' | 'severity'>;
  countSecurityEventsFrom(source: SecurityEventCountSource): void;
}

export type SecurityEventCountSource = () => Promise<readonly { type: string; severity: string; count: number }[]>;

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'anfu_' });
  let securityEventSource: SecurityEventCountSource | undefined;
  const securityEvents = new Counter({
    name: 'anfu_security_events_total',
    help: 'Security events raised, by type and severity',
    labelNames: ['type', 'severity'] as const,
    registers: [registry],
    async collect() {
      if (securityEventSource === undefined) return;
      const rows = await securityEventSource();
      this.reset();
      for (const row of rows) this.inc({ type: row.type, severity: row.severity }, row.count);
    },
  });
  return {
    registry,
    httpRequests: new Counter({ name: 'anfu_http_requests_total', help: 'HTTP requests by route and status', labelNames: ['method', 'route', 'status'], registers: [registry] }),
    httpDuration: new Histogram({
      name: 'anfu_http_request_duration_seconds',
      help: 'HTTP request duration',
      labelNames: ['method', 'route'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    ledgerBatchSize: new Histogram({ name: 'anfu_ledger_batch_size', help: 'Transfers per group commit', buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096], registers: [registry] }),
    ledgerBatchSeconds: new Histogram({
      name: 'anfu_ledger_batch_duration_seconds',
      help: 'Time to decide and durably commit one batch',
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25],
      registers: [registry],
    }),
    ledgerTransfers: new Counter({ name: 'anfu_ledger_transfers_total', help: 'Transfer requests by kind and outcome code', labelNames: ['kind', 'outcome'], registers: [registry] }),
    securityEvents,
    countSecurityEventsFrom: (source) => {
      securityEventSource = source;
    },
  };
}
