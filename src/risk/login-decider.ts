// Logins decided by the running rule set: the login features identity loads (log-in-customer.ts) as
// typed values, the engine's decision mapped back to what identity acts on (allow, challenge with the
// factor strength, deny). A `review` at login is a challenge with a strong factor: there is no money
// to hold, and the owner can still get in.
import type { RiskEngine } from './engine.ts';
import { loginFeatureValues } from './feature-values.ts';
import { neutralFeatures } from './features.ts';
import { localHourOf, type LoginFeatures, type LoginRiskDecision } from './login-risk.ts';

export type LoginRiskDecider = (features: LoginFeatures, now: number) => LoginRiskDecision;

export function loginDeciderOf(engine: RiskEngine): LoginRiskDecider {
  return (features, now) => {
    const values = { ...neutralFeatures('login', 'CNY'), ...loginFeatureValues(features, localHourOf(now)) };
    const d = engine.decide('login', values);
    const decision = d.decision === 'deny' ? 'deny' : d.decision === 'allow' ? 'allow' : 'challenge';
    const factorStrength = d.decision === 'review' ? 'strong' : d.factorStrength;
    return { decision, score: d.score, reasons: d.reasons as LoginRiskDecision['reasons'], factorStrength };
  };
}
