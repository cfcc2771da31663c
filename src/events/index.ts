// The events capability's only door: the transactional outbox, merchants' webhooks (endpoints,
// signatures, delivery, dead letters) and customers' notifications. See docs/webhooks.md.
export { enqueueOutbox, payloadBytesMax, type OutboxDestination, type OutboxEvent, type EnqueuedEvent } from './enqueue-outbox.ts';
export { OutboxDispatcher, webhookBody, userAgent, type OutboxDispatcherOptions, type OutboxHandler, type HandlerDelivery } from './outbox-dispatcher.ts';
export { outboxDispatcherFor, targetPolicyOf } from './from-config.ts';
export { retryDelayMs, retryScheduleMs, decideAfterAttempt, type RetryPolicy, type AttemptResult, type NextState } from './retry-schedule.ts';
export { checkTargetUrl, isPrivateAddress, type TargetPolicy } from './target-policy.ts';
export {
  verifyWebhookSignature, signatureHeader, webhookSignature, signatureHeaderName, signatureToleranceSecondsDefault, type SignatureVerification,
} from './webhook-signature.ts';
export {
  createWebhookEndpoint, disableWebhookEndpoint, listWebhookEndpoints, rotateWebhookSecret, webhookEndpoint, isTopic, endpointsPerMerchantMax,
  type WebhookEndpoint, type CreatedEndpoint, type EndpointDeps,
} from './webhook-endpoints.ts';
export { webhookSecretSealer, type WebhookSecretSealer } from './webhook-secret-sealing.ts';
export { listDeadLetters, redeliverDeadLetter, deliveryIdPattern, type DeadLetter } from './dead-letters.ts';
export { listDeliveries, deliveriesPerQueryMax, type Delivery, type DeliveryAttempt, type DeliveryFilter } from './delivery-history.ts';
export { systemAuditActor, type AuditActor } from './audit-actor.ts';
export { notify, listNotifications, type Notification, type NotificationInput } from './notify.ts';
