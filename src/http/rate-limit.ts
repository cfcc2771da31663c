// Request-rate limits: per signed-in customer (every device and address of theirs together) and per
// client address otherwise. On PostgreSQL the counts live in the database (src/throttle: one UPSERT
// per request on a fixed one-minute window, committed without waiting for the WAL flush — a lost
// count after a crash costs nothing), so every API process enforces the same limit. On SQLite one
// process serves, so its memory holds the same truth without a write per request.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import type { Config } from '../config.ts';
import type { Identity } from '../identity/index.ts';
import type { Store } from '../store/index.ts';
import { countRequest } from '../throttle/index.ts';

const windowMs = 60_000;
/** Probes and docs stay reachable under a flood (they write nothing and answer from memory). */
const unlimited = new Set(['/health', '/ready']);

interface StoreResult {
  current: number;
  ttl: number;
}

/** @fastify/rate-limit's store interface, answered by the shared counters. */
function databaseStore(store: Store, clock: () => number) {
  return class DatabaseRateLimitStore {
    incr(key: string, callback: (error: Error | null, result?: StoreResult) => void): void {
      const now = clock();
      countRequest(store, `rate:${key}`, windowMs, now)
        .then(
          (count) => callback(null, { current: count.hits, ttl: count.resetAt - now }),
          (error: unknown) => callback(error instanceof Error ? error : new Error('rate limit store failed')),
        );
    }

    child(): DatabaseRateLimitStore {
      return new DatabaseRateLimitStore();
    }
  };
}

/** The customer of a valid access token (signature and expiry only: no database read), else undefined. */
async function customerOfToken(identity: Identity, request: FastifyRequest, now: number): Promise<string | undefined> {
  const token = /^Bearer (anfu_ca_[\x21-\x7e]{1,600})$/.exec(request.headers.authorization ?? '')?.[1];
  if (typeof token !== 'string') return undefined;
  await identity.ready();
  return identity.tokens.verify(token, now)?.customerId;
}

export async function registerRateLimit(
  app: FastifyInstance,
  options: { config: Config; store: Store; identity: Identity; clock: () => number },
): Promise<void> {
  const { config, store, identity, clock } = options;
  await app.register(rateLimit, {
    // One app-wide onRequest hook (added below, before authentication), so refused and unknown requests count too.
    global: false,
    timeWindow: windowMs,
    max: (_request, key) =>
      key.startsWith('customer:') ? config.customerRateLimitPerMinute : config.rateLimitPerMinute,
    keyGenerator: async (request) => {
      const customerId = await customerOfToken(identity, request, clock());
      return customerId === undefined ? `ip:${request.ip}` : `customer:${customerId}`;
    },
    allowList: (request) => unlimited.has(request.url),
    ...(store.dialect === 'postgres' ? { store: databaseStore(store, clock) } : {}),
    errorResponseBuilder: () => Object.assign(new Error('rate limited'), { statusCode: 429 }),
  });
  app.addHook('onRequest', app.rateLimit());
}
