// The large-value reporting thresholds (大额交易报告标准) of PBOC Order [2016] No. 3, Article 5, which
// PBOC applied to non-bank payment institutions' payment accounts in 2018: a single transaction or the
// day's cumulative amount, per customer and per direction (money in, money out), at or above
//   (1) cash: CNY 50,000 / USD 10,000;
//   (2) non-natural-person customers' transfers: CNY 2,000,000 / USD 200,000;
//   (3) natural persons' domestic transfers: CNY 500,000 / USD 100,000;
//   (4) natural persons' cross-border transfers: CNY 200,000 / USD 10,000.
// Amounts are minor units (fen, cents). Configurable: a deployment passes its own table.

export type LargeValueRule =
  'cash' | 'non_natural_transfer' | 'natural_domestic_transfer' | 'natural_cross_border_transfer';

export type ThresholdTable = Readonly<Record<LargeValueRule, Readonly<Record<string, bigint>>>>;

export const pbocLargeValueThresholds: ThresholdTable = {
  cash: { CNY: 5_000_000n, USD: 1_000_000n },
  non_natural_transfer: { CNY: 200_000_000n, USD: 20_000_000n },
  natural_domestic_transfer: { CNY: 50_000_000n, USD: 10_000_000n },
  natural_cross_border_transfer: { CNY: 20_000_000n, USD: 1_000_000n },
};

/** The article item each rule implements, written into every report row. */
export const ruleArticle: Readonly<Record<LargeValueRule, string>> = {
  cash: 'PBOC 2016-3 art.5(1)',
  non_natural_transfer: 'PBOC 2016-3 art.5(2)',
  natural_domestic_transfer: 'PBOC 2016-3 art.5(3)',
  natural_cross_border_transfer: 'PBOC 2016-3 art.5(4)',
};

/** The monitors a customer's money-laundering risk level tunes (docs/aml.md "Suspicious-pattern monitors"). */
export const levelTunedMonitors = ['structuring', 'rapid_in_out', 'fan'] as const;
export type LevelTunedMonitor = (typeof levelTunedMonitors)[number];

/** Per level, the percentage of each tuned threshold that applies to the customer (100: unchanged). */
export type LevelFactorsPercent = Readonly<Record<'medium' | 'high', Readonly<Record<LevelTunedMonitor, number>>>>;

/** Medium-risk customers are watched at 75 % of each threshold, high-risk ones at 50 %; low and unrated at 100 %. */
export const defaultLevelFactorsPercent: LevelFactorsPercent = {
  medium: { structuring: 75, rapid_in_out: 75, fan: 75 },
  high: { structuring: 50, rapid_in_out: 50, fan: 50 },
};

/** Suspicious-pattern monitor settings (amounts in CNY fen unless the currency says otherwise). */
export interface MonitorSettings {
  readonly currency: string;
  /** Structuring: at least `structuringCountMin` movements within the window, each in the band just under the line. */
  readonly structuringLine: bigint;
  readonly structuringBandPercent: number;
  readonly structuringCountMin: number;
  /** Rapid in-and-out: received at least this much and sent on at least `rapidOutPercent` of it within the window. */
  readonly rapidInMin: bigint;
  readonly rapidOutPercent: number;
  /** Fan-in / fan-out: distinct counterparties within the window. */
  readonly fanCounterpartiesMin: number;
  /** Dormant account waking: no settled movement for this long, then this much moved within the window. */
  readonly dormantDays: number;
  readonly dormantWakeAmountMin: bigint;
  /** Many payees from one device within the window. */
  readonly devicePayeesMin: number;
  readonly windowMs: number;
  /** The customer's risk level scales the structuring count, the rapid in-and-out amount and the fan counts. */
  readonly levelFactorsPercent: LevelFactorsPercent;
}

/** The thresholds a monitor applies to one customer, tuned by its money-laundering risk level. */
export interface CustomerThresholds {
  readonly structuringCountMin: number;
  readonly rapidInMin: bigint;
  readonly fanCounterpartiesMin: number;
}

/** A count scaled down, rounded up, never below 2 (one payment or counterparty is no pattern). */
const scaledCount = (count: number, percent: number) => Math.max(2, Math.ceil((count * percent) / 100));

/** Pure: the thresholds for a customer of `level` (undefined: never rated, as low). */
export function thresholdsFor(s: MonitorSettings, level: 'low' | 'medium' | 'high' | undefined): CustomerThresholds {
  const { structuringCountMin, rapidInMin, fanCounterpartiesMin } = s;
  const base = { structuringCountMin, rapidInMin, fanCounterpartiesMin };
  if (level === undefined || level === 'low') return base;
  const f = s.levelFactorsPercent[level];
  return {
    structuringCountMin: Math.min(base.structuringCountMin, scaledCount(base.structuringCountMin, f.structuring)),
    rapidInMin: (base.rapidInMin * BigInt(f.rapid_in_out)) / 100n,
    fanCounterpartiesMin: Math.min(base.fanCounterpartiesMin, scaledCount(base.fanCounterpartiesMin, f.fan)),
  };
}


export const defaultMonitorSettings: MonitorSettings = {
  currency: 'CNY',
  structuringLine: 5_000_000n,
  structuringBandPercent: 20,
  structuringCountMin: 3,
  rapidInMin: 1_000_000n,
  rapidOutPercent: 90,
  fanCounterpartiesMin: 10,
  dormantDays: 180,
  dormantWakeAmountMin: 1_000_000n,
  devicePayeesMin: 5,
  windowMs: 24 * 3600 * 1000,
  levelFactorsPercent: defaultLevelFactorsPercent,
};

/** The default monitors with a deployment's level factors (ANFU_AML_MONITOR_LEVEL_FACTORS), or the defaults. */
export function monitorSettingsWith(levelFactorsPercent: LevelFactorsPercent | undefined): MonitorSettings {
  if (levelFactorsPercent === undefined) return defaultMonitorSettings;
  return { ...defaultMonitorSettings, levelFactorsPercent };
}
