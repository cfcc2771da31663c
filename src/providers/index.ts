// The providers capability's only door: adapters for the outside services identity depends on —
// the SMS gateway (signed requests, retries through the outbox, delivery receipts) and the
// identity-verification provider (two elements; bank card four elements) — and `anfu provider-sim`,
// which speaks both contracts for development and tests (its command: src/commands/provider-sim.ts).
// Contracts: docs/providers.md.
export { providersFor, type Providers } from './from-config.ts';
export {
  signRequest,
  verifySignedRequest,
  stringToSign,
  NonceMemory,
  signatureHeaders,
  signatureScheme,
  signatureWindowSecondsDefault,
  type SigningKey,
  type SignatureCheck,
  type SignedRequestParts,
} from './request-signing.ts';
export {
  postSigned,
  simulatorHeader,
  signedPathOf,
  type ProviderEndpoint,
  type ProviderAnswer,
} from './provider-http.ts';
export {
  smsGatewayClient,
  smsSubmitPath,
  type SmsGatewayClient,
  type SmsSubmission,
  type SmsSubmitOutcome,
} from './sms-gateway-client.ts';
export {
  identityProviderClient,
  twoElementPath,
  bankCardPath,
  type IdentityProviderClient,
  type IdentityCheckOutcome,
} from './identity-provider-client.ts';
export { providerVerifiers, twoElementSource, bankCardSource } from './provider-verifiers.ts';
export {
  outboxSmsSender,
  smsGatewayHandler,
  smsGatewayHandlerName,
  maskedPhone,
  smsMessageTtlMs,
  SmsGatewayRetry,
  sweepStaleSmsMessages,
  smsSweepIntervalMs,
} from './sms-outbox.ts';
export {
  verifySmsReceiptSignature,
  recordSmsReceipt,
  smsReceiptPath,
  type SmsReceipt,
  type SmsReceiptDeps,
} from './sms-receipts.ts';
export { smsMessageById, smsMessageStates, type SmsMessageState } from './store.ts';
export { startProviderSim, type ProviderSim, type ProviderSimState } from './provider-sim-server.ts';
export {
  parseProviderSimRules, defaultProviderSimRules, identityOutcomeFor, testIdentityNames,
  type ProviderSimRules, type IdentityOutcome,
} from './provider-sim-rules.ts';
