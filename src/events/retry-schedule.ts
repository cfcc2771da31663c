// What happens after a delivery attempt: a pure decision, given the clock and randomness, so the
// schedule can be tested as a table and as a property without a network or a database.

export interface RetryPolicy {
  /** Delay ceiling before the second attempt; each further attempt doubles it. */
  readonly baseMs: number;
  /** No delay is longer than this. */
  readonly maxMs: number;
  /** Attempts (the first one included) before a message is dead-lettered. */
  readonly attemptsMax: number;
}

/**
 * "Equal jitter": half of the exponential ceiling is fixed and half random. The fixed half makes the
 * delays grow attempt after attempt (until the cap); the random half spreads out retries of many
 * messages that failed together, so a recovering endpoint is not hit by all of them at once.
 */
export function retryDelayMs(failedAttempts: number, policy: Pick<RetryPolicy, 'baseMs' | 'maxMs'>, random: () => number): number {
  if (!Number.isInteger(failedAttempts) || failedAttempts < 1) throw new Error(`failedAttempts must be a positive integer, got ${failedAttempts}`);
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(failedAttempts - 1, 40));
  const half = ceiling / 2;
  return Math.floor(half + random() * half);
}

export type AttemptResult =
  | { readonly outcome: 'delivered'; readonly statusCode: number | undefined }
  | {
      readonly outcome: 'failed';
      readonly statusCode: number | undefined;
      readonly errorClass: string;
      /** Retrying cannot help (the target is refused by policy, the endpoint is disabled). */
      readonly permanent: boolean;
    };

export type NextState =
  | { readonly state: 'delivered' }
  | { readonly state: 'pending'; readonly nextAttemptAt: number }
  | { readonly state: 'dead' };

/** `attempts` counts the attempt just made. */
export function decideAfterAttempt(result: AttemptResult, attempts: number, policy: RetryPolicy, nowMs: number, random: () => number): NextState {
  if (result.outcome === 'delivered') return { state: 'delivered' };
  if (result.permanent || attempts >= policy.attemptsMax) return { state: 'dead' };
  return { state: 'pending', nextAttemptAt: nowMs + retryDelayMs(attempts, policy, random) };
}

/** The whole schedule without jitter's random half (for docs and `anfu config`). */
export function retryScheduleMs(policy: RetryPolicy): number[] {
  const delays: number[] = [];
  for (let attempt = 1; attempt < policy.attemptsMax; attempt++) delays.push(Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(attempt - 1, 40)));
  return delays;
}
