// The risk engine where identity moves, wired here so identity only sees two ports: the login decider
// (the engine's login decision, read with the customer's last location and stored in the login's
// transaction) and the factor-change decision (TOTP, passkey, device certificate, recovery codes),
// stored with its snapshot, score and rules hit, audited, a review opening a risk_review case — and the
// failed-login count (`*.failed_logins_*`), written in the transaction of identity's failure path.
import type { FactorChangeRisk, IdNumberBlocked, FailedAttemptRisk } from '../identity/index.ts';
import {
  assessIdentityEvent, countFailedAttempt, identityStoredFeatures, idNumberBlocked, loginDeciderOf,
  recordIdentityDecision,
  type LoginRiskDecider,
  type RiskEngine,
} from '../risk/index.ts';
import type { Store } from '../store/index.ts';

export interface IdentityRiskPorts {
  readonly loginRisk: LoginRiskDecider;
  readonly factorChangeRisk: FactorChangeRisk;
  readonly idNumberBlocked: IdNumberBlocked;
  readonly failedAttemptRisk: FailedAttemptRisk;
}

export function identityRiskPorts(engine: RiskEngine, store: Store, clock: () => number): IdentityRiskPorts {
  const factorChangeRisk: FactorChangeRisk = async (change) => {
    const now = clock();
    const counted = {
      event: 'factor_change', customerId: change.customerId, deviceId: change.deviceId, deviceKey: change.deviceId,
      ip: change.ip, idHash: change.customer.idNumberHash,
    } as const;
    const stored = await identityStoredFeatures(store, counted, now);
    const assessment = assessIdentityEvent(engine, {
      event: 'factor_change', customerId: change.customerId, deviceId: change.deviceId,
      subject: { type: 'customer', id: change.customerId }, customer: change.customer,
      known: {
        'device.age': change.deviceCreatedAt === undefined ? 0 : Math.max(0, now - change.deviceCreatedAt),
        ...(change.factorChangedAt === undefined
          ? {}
          : { 'factor.changed_ago': Math.max(0, now - change.factorChangedAt) }),
        ...stored,
      },
      counted,
    }, now);
    await store.transaction((tx) => recordIdentityDecision(tx, assessment, { ip: change.ip }, now));
    return assessment.decision.decision;
  };
  const blocked: IdNumberBlocked = (hashes) => idNumberBlocked(store, hashes);
  return {
    loginRisk: loginDeciderOf(engine, store), factorChangeRisk, idNumberBlocked: blocked,
    failedAttemptRisk: countFailedAttempt,
  };
}
