// Merchants' webhook endpoints: where a merchant's events go and the secret they are signed with.
// The secret is shown once, when the endpoint is created or its secret rotated.
import { randomBytes } from 'node:crypto';
import { AnfuError } from '../errors.ts';
import { newId } from '../ids.ts';
import type { Queryable, Store } from '../store/index.ts';
import { toBigInt } from '../store/index.ts';
import { auditEvents, type AuditActor } from './audit-actor.ts';
import { checkTargetUrl, type TargetPolicy } from './target-policy.ts';
import type { WebhookSecretSealer } from './webhook-secret-sealing.ts';

const topicPartPattern = /^[a-z][a-z0-9_]{0,39}$/;

/** Topics are two to four dot-separated lower-case words: `order.paid`, `refund.succeeded`. */
export function isTopic(text: string): boolean {
  const parts = text.split('.');
  return parts.length >= 2 && parts.length <= 4 && parts.every((part) => topicPartPattern.test(part));
}
export const topicsPerEndpointMax = 32;
export const endpointsPerMerchantMax = 16;

export interface WebhookEndpoint {
  readonly id: string;
  readonly merchantId: string;
  readonly url: string;
  /** Topics the endpoint receives; `['*']` means every topic. */
  readonly topics: readonly string[];
  readonly status: 'enabled' | 'disabled';
  readonly createdAt: number;
}

export interface CreatedEndpoint {
  readonly endpoint: WebhookEndpoint;
  /** The signing secret, shown once. */
  readonly secret: string;
}

export interface EndpointRow extends Record<string, unknown> {
  id: string;
  merchant_id: string;
  url: string;
  topics: string;
  status: 'enabled' | 'disabled';
  created_at: bigint;
}

export function endpointOf(row: EndpointRow): WebhookEndpoint {
  return { id: row.id, merchantId: row.merchant_id, url: row.url, topics: JSON.parse(row.topics) as string[], status: row.status, createdAt: Number(toBigInt(row.created_at)) };
}

export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

function validTopics(topics: readonly string[]): readonly string[] {
  if (topics.length === 0 || topics.length > topicsPerEndpointMax) throw new AnfuError('validation_failed', `an endpoint takes 1 to ${topicsPerEndpointMax} topics`);
  if (topics.includes('*')) return ['*'];
  const bad = topics.find((topic) => !isTopic(topic));
  if (bad !== undefined) throw new AnfuError('validation_failed', 'topics look like "order.paid"');
  return [...new Set(topics)].sort();
}

export interface EndpointDeps {
  readonly store: Store;
  readonly sealer: WebhookSecretSealer;
  readonly targets: TargetPolicy;
}

export async function createWebhookEndpoint(deps: EndpointDeps, actor: AuditActor, input: { merchantId: string; url: string; topics: readonly string[] }, now: number): Promise<CreatedEndpoint> {
  const target = checkTargetUrl(input.url, deps.targets);
  if (!target.ok) throw new AnfuError('webhook_url_refused', target.reason);
  const topics = validTopics(input.topics);
  const secret = newWebhookSecret();
  const id = newId('whe', now);
  const sealed = await deps.sealer.seal(id, secret);
  await deps.store.transaction(async (tx) => {
    const count = await tx.get<{ n: bigint }>("SELECT COUNT(*) AS n FROM webhook_endpoints WHERE merchant_id = ? AND status = 'enabled'", [input.merchantId]);
    if (toBigInt(count?.n ?? 0n) >= BigInt(endpointsPerMerchantMax)) throw new AnfuError('webhook_endpoint_limit', `a merchant has at most ${endpointsPerMerchantMax} enabled endpoints`);
    await tx.run(
      "INSERT INTO webhook_endpoints (id, merchant_id, url, topics, secret_sealed, status, created_at) VALUES (?, ?, ?, ?, ?, 'enabled', ?)",
      [id, input.merchantId, target.url.toString(), JSON.stringify(topics), sealed, now],
    );
    await auditEvents(tx, actor, 'webhook.endpoint.create', id, { merchantId: input.merchantId, url: target.url.toString(), topics }, now);
  });
  return { endpoint: { id, merchantId: input.merchantId, url: target.url.toString(), topics, status: 'enabled', createdAt: now }, secret };
}

const endpointColumns = 'id, merchant_id, url, topics, status, created_at';

export async function webhookEndpoint(db: Queryable, id: string): Promise<WebhookEndpoint | undefined> {
  const row = await db.get<EndpointRow>(`SELECT ${endpointColumns} FROM webhook_endpoints WHERE id = ?`, [id]);
  return row === undefined ? undefined : endpointOf(row);
}

export async function listWebhookEndpoints(db: Queryable, merchantId: string): Promise<WebhookEndpoint[]> {
  const rows = await db.all<EndpointRow>(`SELECT ${endpointColumns} FROM webhook_endpoints WHERE merchant_id = ? ORDER BY id`, [merchantId]);
  return rows.map(endpointOf);
}

/** Stops future fan-out to the endpoint; messages already queued for it are dead-lettered when due. */
export async function disableWebhookEndpoint(store: Store, actor: AuditActor, id: string, now: number): Promise<WebhookEndpoint> {
  return store.transaction(async (tx) => {
    const changed = await tx.run("UPDATE webhook_endpoints SET status = 'disabled', disabled_at = ? WHERE id = ? AND status = 'enabled'", [now, id]);
    const endpoint = await webhookEndpoint(tx, id);
    if (endpoint === undefined) throw new AnfuError('webhook_endpoint_not_found');
    if (changed === 1) await auditEvents(tx, actor, 'webhook.endpoint.disable', id, { merchantId: endpoint.merchantId }, now);
    return endpoint;
  });
}

/** A new secret takes effect for the next attempt; the old one stops working at once. */
export async function rotateWebhookSecret(deps: Pick<EndpointDeps, 'store' | 'sealer'>, actor: AuditActor, id: string, now: number): Promise<string> {
  const secret = newWebhookSecret();
  const sealed = await deps.sealer.seal(id, secret);
  await deps.store.transaction(async (tx) => {
    const changed = await tx.run('UPDATE webhook_endpoints SET secret_sealed = ? WHERE id = ?', [sealed, id]);
    if (changed === 0) throw new AnfuError('webhook_endpoint_not_found');
    await auditEvents(tx, actor, 'webhook.endpoint.rotate_secret', id, {}, now);
  });
  return secret;
}
