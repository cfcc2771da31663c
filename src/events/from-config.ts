// The events capability's settings, taken from the platform configuration.
import type { Config } from '../config.ts';
import type { Keyring } from '../crypto/index.ts';
import type { Store } from '../store/index.ts';
import { OutboxDispatcher, type OutboxDispatcherOptions, type OutboxHandler } from './outbox-dispatcher.ts';
import type { TargetPolicy } from './target-policy.ts';
import { webhookSecretSealer } from './webhook-secret-sealing.ts';

type EventsConfig = Pick<Config, 'environment' | 'webhookRetryBaseMs' | 'webhookRetryMaxMs' | 'webhookAttemptsMax' | 'webhookTimeoutMs' | 'webhookConcurrencyMax' | 'webhookAllowPrivateTargets'>;

/** Production: https only, public addresses only unless the operator allows private ones. Elsewhere anything http(s). */
export function targetPolicyOf(config: Pick<EventsConfig, 'environment' | 'webhookAllowPrivateTargets'>): TargetPolicy {
  const production = config.environment === 'production';
  return { httpsRequired: production, privateAddressesAllowed: !production || config.webhookAllowPrivateTargets };
}

export function outboxDispatcherFor(
  config: EventsConfig,
  store: Store,
  keyring: Keyring,
  extra: {
    handlers?: Readonly<Record<string, OutboxHandler>>;
    onError?: (error: unknown) => void;
    clock?: () => number;
  } = {},
): OutboxDispatcher {
  const options: OutboxDispatcherOptions = {
    store,
    sealer: webhookSecretSealer(keyring),
    retry: { baseMs: config.webhookRetryBaseMs, maxMs: config.webhookRetryMaxMs, attemptsMax: config.webhookAttemptsMax },
    timeoutMs: config.webhookTimeoutMs,
    concurrencyMax: config.webhookConcurrencyMax,
    targets: targetPolicyOf(config),
    ...extra,
  };
  return new OutboxDispatcher(options);
}
