// Logins decided by the running rule set: the login features identity loads (log-in-customer.ts) as
// typed values, the engine's decision mapped back to what identity acts on (allow, challenge with the
// factor strength, deny). A `review` at login is a challenge with a strong factor: there is no money
// to hold, and the owner can still get in (the review case still opens, for an analyst to look).
// Given the customer and the client address (and a store), the decision also reads the customer's
// last location — `ip.country`, `ip.region`, `travel.*` — and comes back with `record`: identity
// calls it in the login's transaction to store the decision (snapshot, score, rules hit), audit it
// (`risk.decision`) and, unless denied, move the last location to this address.
import type { Queryable, Tx } from '../store/index.ts';
import type { RiskEngine } from './engine.ts';
import { loginFeatureValues } from './feature-values.ts';
import { neutralFeatures } from './features.ts';
import { assessIdentityEvent, recordIdentityDecision } from './identity-decision.ts';
import { localHourOf, type LoginFeatures, type LoginRiskDecision } from './login-risk.ts';
import { profileFeatures } from './profile.ts';
import { identityStoredFeatures } from './identity-store.ts';
import { profileOf, recordLoginLocation } from './store.ts';

/** Who is logging in, from where: what the stored decision is about. */
export interface LoginSubject {
  readonly customerId: string;
  readonly ip: string | null;
  readonly customer: {
    readonly createdAt: number;
    readonly accountClass: string;
    /** Hex of the ID-number blind index (the `id` list). */
    readonly idNumberHash?: string | undefined;
  };
  /** The device fingerprint (hex): what `device.count_*` counts logins by, across accounts. */
  readonly deviceKey?: string | undefined;
}

export type LoginRiskDecider = (
  features: LoginFeatures,
  now: number,
  subject?: LoginSubject,
) => LoginRiskDecision | Promise<LoginRiskDecision>;

function mapped(d: { decision: string; score: number; reasons: readonly string[]; factorStrength: 'any' | 'strong' }) {
  const decision = d.decision === 'deny' ? 'deny' : d.decision === 'allow' ? 'allow' : 'challenge';
  const factorStrength = d.decision === 'review' ? 'strong' : d.factorStrength;
  return { decision, score: d.score, reasons: d.reasons as LoginRiskDecision['reasons'], factorStrength } as const;
}

export function loginDeciderOf(engine: RiskEngine, store?: Queryable): LoginRiskDecider {
  return async (features, now, subject) => {
    const hour = localHourOf(now);
    if (store === undefined || subject === undefined) {
      const values = { ...neutralFeatures('login', 'CNY'), ...loginFeatureValues(features, hour) };
      return mapped(engine.decide('login', values));
    }
    const profile = await profileOf(store, subject.customerId);
    // The device is not known before the login succeeds: the address range and the ID number are what a
    // list can block; logins are counted per customer, device fingerprint and /24.
    const counted = {
      event: 'login', customerId: subject.customerId, deviceId: null, deviceKey: subject.deviceKey ?? null,
      ip: subject.ip, idHash: subject.customer.idNumberHash,
    } as const;
    const stored = await identityStoredFeatures(store, counted, now);
    // Location and travel only: the hour habit counts money events, not logins.
    const located = Object.fromEntries(
      Object.entries(profileFeatures(profile, subject.ip, hour, now)).filter(([name]) => !name.startsWith('hour.')),
    );
    const assessment = assessIdentityEvent(engine, {
      event: 'login', customerId: subject.customerId, deviceId: null,
      subject: { type: 'customer', id: subject.customerId }, customer: subject.customer,
      known: { ...loginFeatureValues(features, hour), ...located, ...stored }, counted,
    }, now);
    const record = async (tx: Tx, deviceId: string): Promise<void> => {
      await recordIdentityDecision(tx, { ...assessment, input: { ...assessment.input, deviceId } }, subject, now);
      // A refused login does not move the customer: else a stranger abroad would make the owner's next
      // login at home look like impossible travel.
      if (assessment.decision.decision !== 'deny') await recordLoginLocation(tx, subject.customerId, subject.ip, now);
    };
    return { ...mapped(assessment.decision), record };
  };
}
