// The providers as the configuration sets them up. With a provider URL configured, identity gets
// the real adapter (SMS through the outbox to the gateway; the identity provider's checks); without
// one it keeps its development stand-ins, which production never reaches (src/config.ts refuses to
// start without both providers).
import type { Config } from '../config.ts';
import type { Keyring } from '../crypto/index.ts';
import type { OutboxHandler } from '../events/index.ts';
import type { IdentityVerifier, SmsSender } from '../identity/index.ts';
import type { Store } from '../store/index.ts';
import { identityProviderClient } from './identity-provider-client.ts';
import type { ProviderEndpoint } from './provider-http.ts';
import { providerVerifiers } from './provider-verifiers.ts';
import { NonceMemory, type SigningKey } from './request-signing.ts';
import { smsGatewayClient } from './sms-gateway-client.ts';
import { outboxSmsSender, smsGatewayHandler, smsGatewayHandlerName } from './sms-outbox.ts';
import type { SmsReceiptDeps } from './sms-receipts.ts';

export interface Providers {
  /** Identity's SMS sender; undefined = identity's development sink. */
  readonly sms: SmsSender | undefined;
  /** Identity's verification sources; undefined = identity's development stand-ins. */
  readonly verifiers: readonly IdentityVerifier[] | undefined;
  /** Register these with the outbox dispatcher (the SMS gateway handler). */
  readonly outboxHandlers: Readonly<Record<string, OutboxHandler>>;
  /** What the delivery-receipt route needs. */
  readonly receipts: SmsReceiptDeps;
}

type ProviderConfig = Pick<
  Config,
  | 'environment'
  | 'smsGatewayUrl'
  | 'smsGatewayKeyId'
  | 'smsGatewaySecret'
  | 'smsReceiptUrl'
  | 'identityProviderUrl'
  | 'identityProviderKeyId'
  | 'identityProviderSecret'
  | 'providerTimeoutMs'
>;

function keyOf(keyId: string | undefined, secret: { reveal(): string } | undefined): SigningKey | undefined {
  return keyId === undefined || secret === undefined ? undefined : { keyId, secret: secret.reveal() };
}

export function providersFor(input: {
  config: ProviderConfig;
  store: Store;
  keyring: Keyring;
  clock: () => number;
}): Providers {
  const { config, store, keyring, clock } = input;
  const production = config.environment === 'production';
  const endpoint = (baseUrl: string | undefined, key: SigningKey | undefined): ProviderEndpoint | undefined =>
    baseUrl === undefined || key === undefined
      ? undefined
      : { baseUrl, key, timeoutMs: config.providerTimeoutMs, production, clock };
  const smsKey = keyOf(config.smsGatewayKeyId, config.smsGatewaySecret);
  const smsEndpoint = endpoint(config.smsGatewayUrl, smsKey);
  const identityEndpoint = endpoint(
    config.identityProviderUrl,
    keyOf(config.identityProviderKeyId, config.identityProviderSecret),
  );
  const handlers: Record<string, OutboxHandler> = {};
  if (smsEndpoint !== undefined) {
    handlers[smsGatewayHandlerName] = smsGatewayHandler({
      store,
      keyring,
      clock,
      client: smsGatewayClient(smsEndpoint),
      callbackUrl: config.smsReceiptUrl,
    });
  }
  return {
    sms: smsEndpoint === undefined ? undefined : outboxSmsSender({ store, keyring, clock }),
    verifiers: identityEndpoint === undefined ? undefined : providerVerifiers(identityProviderClient(identityEndpoint)),
    outboxHandlers: handlers,
    receipts: { store, key: smsEndpoint === undefined ? undefined : smsKey, clock, nonces: new NonceMemory() },
  };
}
