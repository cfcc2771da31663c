// Login throttling, decided purely from a subject's state and the clock. A subject is a phone
// number's blind index or a client address. Per phone: a few free failures, then a delay that doubles
// with each failure, then a lock for `lockoutMs`; per address: a lock once `failuresMax` is reached
// (addresses are shared behind NAT, so no delay before that).
export interface ThrottleState {
  readonly failures: number;
  readonly lastFailureAt: number;
  readonly blockedUntil: number;
}

export interface ThrottlePolicy {
  readonly freeFailures: number;
  readonly failuresMax: number;
  readonly baseDelayMs: number;
  readonly lockoutMs: number;
  /** Failures older than this are forgotten. */
  readonly resetAfterMs: number;
}

export type ThrottleDecision = { readonly allowed: true } | { readonly allowed: false; readonly retryAfterMs: number };

export function throttleDecision(state: ThrottleState | undefined, now: number): ThrottleDecision {
  if (state === undefined || state.blockedUntil <= now) return { allowed: true };
  return { allowed: false, retryAfterMs: state.blockedUntil - now };
}

/** The state after one more failure, and whether this failure locked the subject. */
export function afterFailure(state: ThrottleState | undefined, now: number, policy: ThrottlePolicy): ThrottleState & { readonly locked: boolean } {
  const previous = state === undefined || now - state.lastFailureAt > policy.resetAfterMs ? 0 : state.failures;
  const failures = previous + 1;
  if (failures >= policy.failuresMax) return { failures, lastFailureAt: now, blockedUntil: now + policy.lockoutMs, locked: true };
  const over = failures - policy.freeFailures;
  const delay = over <= 0 ? 0 : Math.min(policy.baseDelayMs * 2 ** (over - 1), policy.lockoutMs);
  return { failures, lastFailureAt: now, blockedUntil: now + delay, locked: false };
}

export function phoneThrottlePolicy(failuresMax: number, lockoutMs: number): ThrottlePolicy {
  return { freeFailures: 3, failuresMax, baseDelayMs: 1000, lockoutMs, resetAfterMs: 24 * 3600_000 };
}

export function addressThrottlePolicy(failuresMax: number, lockoutMs: number): ThrottlePolicy {
  return { freeFailures: failuresMax, failuresMax, baseDelayMs: 0, lockoutMs, resetAfterMs: lockoutMs };
}
