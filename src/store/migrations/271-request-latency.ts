import type { Migration } from './index.ts';

// Request latency as the operational reports need it (R9.4): per hour and route, a count per
// logarithmic latency bucket, flushed by each API process from memory (nothing added to a request's
// own transaction). Percentiles of a day or week are read from the summed buckets.
export const requestLatency: Migration = {
  id: 271,
  name: 'request-latency',
  sql: `
CREATE TABLE request_latency (
  hour_start BIGINT NOT NULL,
  route TEXT NOT NULL,
  status_class TEXT NOT NULL,
  bucket INTEGER NOT NULL,
  count BIGINT NOT NULL,
  PRIMARY KEY (hour_start, route, status_class, bucket)
)
`,
};
