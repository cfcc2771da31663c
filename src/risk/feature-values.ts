// The typed feature values of an event from what the callers already load (the login and payment
// feature records of login-risk.ts and payment-risk.ts). Counters, first-seen marks and lists
// (features-store.ts) are added on top of these by the engine.
import type { FeatureValues } from './features.ts';
import type { LoginFeatures } from './login-risk.ts';
import type { PaymentFeatures } from './payment-risk.ts';

export function paymentFeatureValues(f: PaymentFeatures, currency: string): Record<string, FeatureValues[string]> {
  return {
    amount: { minor: f.amountMinor, currency },
    'payer.recent_payments': f.recentPaymentCount,
    'device.age': f.deviceAgeMs,
    'payee.new': f.newPayee,
    'factor.changed_ago': f.sinceFactorChangeMs ?? Number.POSITIVE_INFINITY,
  };
}

export function loginFeatureValues(f: LoginFeatures, localHour: number): Record<string, FeatureValues[string]> {
  return {
    'device.new': f.newDevice,
    'address.new': f.newNetwork,
    'address.region_new': f.newRegion,
    hour: localHour,
    'login.failures_24h': f.recentFailures,
    'login.attempts_1h': f.attemptsLastHour,
    'login.locked_for_strangers': f.lockedForStrangers === true,
  };
}
