// AML's background work in `serve`, each under its own lease so a cluster does it once: the
// suspicious-pattern monitors every 15 minutes, and yesterday's large-value report (China Standard
// Time) as soon as the day has ended — produced once, recorded in aml_reports; and the daily re-rating
// of customers' money-laundering risk (every customer rated more than a day ago, a batch an hour).
import { join } from 'node:path';
import {
  monitorSettingsIn,
  pbocLargeValueThresholds,
  previousDay,
  produceLargeValueReport,
  rerateDueCustomers,
  runMonitors,
} from '../aml/index.ts';
import type { Config } from '../config.ts';
import { amlPartyNames } from '../flows/aml-party-names.ts';
import type { AppContext } from '../http/context.ts';
import { rescreenStep } from '../sanctions/index.ts';
import { rescreenSourcesOf } from './sanctions-screening.ts';

export const amlMonitorIntervalMs = 15 * 60_000;
export const amlReportCheckIntervalMs = 10 * 60_000;
export const amlRatingIntervalMs = 60 * 60_000;
/** Customers re-rated per run of the daily re-rating (the next run takes the rest). */
export const amlRatingBatchMax = 2_000;
export const complianceLeases = ['aml:monitor', 'aml:report', 'aml:rating'] as const;
/** Re-screening (a new list version, or an operator's request) advances this often, under its own lease. */
export const rescreenIntervalMs = 15_000;

type Leased = (name: string, intervalMs: number, work: () => Promise<unknown>) => () => Promise<void>;

export function startComplianceSchedule(
  config: Config,
  context: AppContext,
  leased: Leased,
  onError: (e: unknown) => void,
) {
  const { store, clock } = context;
  // The level factors in force are read at each run: one approved in any process counts from the next.
  const monitor = leased('aml:monitor', amlMonitorIntervalMs, async () =>
    runMonitors(store, await monitorSettingsIn(store, config.amlMonitorLevelFactors), clock()),
  );
  const report = leased('aml:report', amlReportCheckIntervalMs, () =>
    produceLargeValueReport(
      {
        store,
        directory: join(config.dataDir, 'aml-reports'),
        thresholds: pbocLargeValueThresholds,
        names: amlPartyNames(context.identity, store),
        producedBy: 'system:aml',
        now: clock(),
      },
      previousDay(clock()),
    ),
  );
  const rating = leased('aml:rating', amlRatingIntervalMs, () =>
    rerateDueCustomers(store, clock(), { budget: amlRatingBatchMax }),
  );
  const sources = rescreenSourcesOf(context.identity, store, clock);
  const rescreen = () => rescreenStep(context.sanctions, sources, { auto: true, budgetMs: 5_000 });
  const timers = [
    setInterval(() => rescreen().catch(onError), rescreenIntervalMs),
    setInterval(() => monitor().catch(onError), amlMonitorIntervalMs),
    setInterval(() => report().catch(onError), amlReportCheckIntervalMs),
    setInterval(() => rating().catch(onError), amlRatingIntervalMs),
  ];
  for (const timer of timers) timer.unref();
  return { stop: () => timers.forEach((timer) => clearInterval(timer)) };
}
