// Clearing's background work in `serve`, each under its own lease so a cluster does it once: a clearing
// run for every active partner every ANFU_CLEARING_RUN_INTERVAL_MS (off when 0, the development default),
// and, always, the posting of break corrections approved through their cases (once a minute, idempotent).
import type { Config } from '../config.ts';
import type { AppContext } from '../http/context.ts';
import { postApprovedCorrections, runScheduledClearing } from '../reconciliation/index.ts';

export const breakPostingIntervalMs = 60_000;
export const clearingLeases = ['clearing:run', 'reconciliation:post-breaks'] as const;

type Leased = (name: string, intervalMs: number, work: () => Promise<unknown>) => () => Promise<void>;

export function startClearingSchedule(
  config: Config,
  context: AppContext,
  leased: Leased,
  onError: (e: unknown) => void,
  postingIntervalMs = breakPostingIntervalMs,
) {
  const { clearing } = context;
  const timers: NodeJS.Timeout[] = [];
  const interval = config.clearingRunIntervalMs;
  if (interval > 0) {
    const run = leased('clearing:run', interval, () =>
      runScheduledClearing(clearing, 'system:clearing', (_partnerId, error) => onError(error)),
    );
    timers.push(setInterval(() => run().catch(onError), interval));
  }
  const post = leased('reconciliation:post-breaks', postingIntervalMs, () =>
    postApprovedCorrections(clearing, 'system:reconciliation'),
  );
  timers.push(setInterval(() => post().catch(onError), postingIntervalMs));
  for (const timer of timers) timer.unref();
  return { stop: () => timers.forEach((timer) => clearInterval(timer)) };
}
