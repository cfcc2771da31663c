// @anfu/sdk: the typed client of the Anfu API (types generated from docs/openapi.json by
// openapi-typescript, calls by openapi-fetch) and what a generator cannot write: merchant request
// signing, device-key instruction signing, idempotency keys, webhook verification, retries with
// back-off, cursor pagination. SM2 device keys: `@anfu/sdk/sm2` (Node only).
export { createAnfuClient, data, AnfuApiError } from './client.ts';
export type { AnfuClient, ClientOptions, Credentials, Problem } from './client.ts';
export { createTransport, retryAfterMs, retrySafe, backoffMs } from './transport.ts';
export type { Authenticator, Outgoing, RetryOptions, TransportOptions } from './transport.ts';
export { merchantAuthenticator, merchantKeyOf, merchantSignature, bearerAuthenticator } from './merchant-signing.ts';
export {
  canonicalJson,
  derSignature,
  generateP256DeviceKey,
  newInstruction,
  p256DeviceKey,
  signInstruction,
  signLoginChallenge,
} from './device-keys.ts';
export type { DeviceKey, Instruction, InstructionKind, SignedInstruction } from './device-keys.ts';
export { IdempotencyKeys, isIdempotencyKey, keyForIntent, newIdempotencyKey } from './idempotency.ts';
export { verifyWebhook, WebhookSignatureError } from './webhooks.ts';
export type { WebhookEvent, WebhookTopic, VerifyOptions } from './webhooks.ts';
export { allItems, items, pages } from './pagination.ts';
export type { Page } from './pagination.ts';
export type { components, operations, paths, webhooks } from './schema.ts';
