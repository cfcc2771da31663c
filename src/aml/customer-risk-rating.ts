// The customer money-laundering risk rating (客户洗钱风险等级; PBOC's customer risk classification): a
// pure decider from the customer's facts to a level (low / medium / high), a score and the factors that
// made it, each factor a documented weight. The weights and the thresholds are settings a deployment may
// replace; docs/aml.md "Customer risk rating" lists them. Loading the facts and storing the rating are
// rate-customer.ts's; this file reads no clock and no store.

export const riskLevels = ['low', 'medium', 'high'] as const;
export type RiskLevel = (typeof riskLevels)[number];

/** Where the customer's ID document was issued, read from the ID number at registration. */
export type IdRegion = 'mainland' | 'hk_mo_tw' | 'foreign' | 'unknown';

export interface CustomerRiskFacts {
  readonly accountClass: 'I' | 'II' | 'III';
  readonly idRegion: IdRegion;
  /** ISO country of the customer's last located event (risk profile), or null when none is known. */
  readonly usageCountry: string | null;
  /** Sanctions screenings of the customer in the look-back: near hits and hits. */
  readonly sanctionsNearHits: number;
  readonly sanctionsHits: number;
  /** AML alert cases about the customer still undecided. */
  readonly openAmlCases: number;
  /** AML or sanctions cases decided `report_suspicious` in the look-back. */
  readonly reportedAmlCases: number;
  /** Settled money in and out of the customer's wallets over the last 30 days, CNY minor units. */
  readonly volume30dMinor: bigint;
  readonly accountAgeMs: number;
}

export interface RatingSettings {
  /** A score at or above `medium` rates medium, at or above `high` rates high. */
  readonly thresholds: { readonly medium: number; readonly high: number };
  readonly weights: {
    readonly accountClass: Readonly<Record<CustomerRiskFacts['accountClass'], number>>;
    readonly idRegion: Readonly<Record<IdRegion, number>>;
    readonly usageHighRiskCountry: number;
    readonly usageAbroad: number;
    readonly usageHkMoTw: number;
    readonly sanctionsNearHit: number;
    readonly sanctionsHit: number;
    readonly openAmlCase: number;
    readonly openAmlCasesMax: number;
    readonly reportedAmlCase: number;
    readonly volumeHigh: number;
    readonly volumeVeryHigh: number;
    readonly newAccount: number;
  };
  /** FATF "call for action" jurisdictions (ISO codes) at the time of writing; replace with the current list. */
  readonly highRiskCountries: readonly string[];
  readonly volumeHighMinor: bigint;
  readonly volumeVeryHighMinor: bigint;
  readonly newAccountMs: number;
  /** How far back screenings and reported cases count. */
  readonly lookBackMs: number;
}

const dayMs = 86_400_000;

export const defaultRatingSettings: RatingSettings = {
  thresholds: { medium: 25, high: 50 },
  weights: {
    accountClass: { I: 10, II: 5, III: 0 },
    idRegion: { mainland: 0, hk_mo_tw: 5, foreign: 15, unknown: 0 },
    usageHighRiskCountry: 40,
    usageAbroad: 10,
    usageHkMoTw: 5,
    sanctionsNearHit: 25,
    sanctionsHit: 50,
    openAmlCase: 20,
    openAmlCasesMax: 2,
    reportedAmlCase: 50,
    volumeHigh: 15,
    volumeVeryHigh: 30,
    newAccount: 10,
  },
  highRiskCountries: ['KP', 'IR', 'MM'],
  volumeHighMinor: 20_000_000n, // CNY 200,000 in 30 days
  volumeVeryHighMinor: 100_000_000n, // CNY 1,000,000 in 30 days
  newAccountMs: 30 * dayMs,
  lookBackMs: 365 * dayMs,
};

/** One factor that counted: its name, the fact as shown to the analyst, and the points it added. */
export interface RatingFactor {
  readonly factor: string;
  readonly value: string;
  readonly points: number;
}

export interface CustomerRating {
  readonly level: RiskLevel;
  readonly score: number;
  /** Every factor looked at, those adding nothing included (an analyst sees what was considered). */
  readonly factors: readonly RatingFactor[];
}

const hkMoTw = new Set(['HK', 'MO', 'TW']);

function usagePoints(country: string | null, s: RatingSettings): number {
  if (country === null || country === 'ZZ' || country === 'CN') return 0;
  if (s.highRiskCountries.includes(country)) return s.weights.usageHighRiskCountry;
  return hkMoTw.has(country) ? s.weights.usageHkMoTw : s.weights.usageAbroad;
}

function volumePoints(volume: bigint, s: RatingSettings): number {
  if (volume >= s.volumeVeryHighMinor) return s.weights.volumeVeryHigh;
  return volume >= s.volumeHighMinor ? s.weights.volumeHigh : 0;
}

/** The weight when there is at least one, else nothing. */
const any = (count: number, weight: number): number => (count > 0 ? weight : 0);

export function levelOf(score: number, s: RatingSettings): RiskLevel {
  if (score >= s.thresholds.high) return 'high';
  return score >= s.thresholds.medium ? 'medium' : 'low';
}

/** An operator's approved override (rating-override.ts) and the computed level it was approved against. */
export interface LevelOverride {
  readonly level: RiskLevel;
  readonly against: RiskLevel;
}

/** The level in force after a rating, whether the override still holds, and why it ended when it did not. */
export interface LevelInForce {
  readonly level: RiskLevel;
  readonly overrideHolds: boolean;
  readonly overrideEnded?: 'computed_above_approved';
}

const rankOf = (level: RiskLevel) => riskLevels.indexOf(level);
const higher = (a: RiskLevel, b: RiskLevel) => (rankOf(a) >= rankOf(b) ? a : b);
const lower = (a: RiskLevel, b: RiskLevel) => (rankOf(a) <= rankOf(b) ? a : b);

/**
 * Pure: the level in force given the computed one and an override. An override that raised (or kept) the
 * level is a floor no re-rating lowers — a suspicion an analyst recorded is not undone by a quiet month —
 * and the computed level counts when it is higher. One that lowered it is a ceiling on the evidence the
 * analyst reviewed: it holds while the computed level is at most the one it was approved against and ends
 * on new evidence that rates higher.
 */
export function levelInForce(computed: RiskLevel, override: LevelOverride | null): LevelInForce {
  if (override === null) return { level: computed, overrideHolds: false };
  if (rankOf(override.level) >= rankOf(override.against))
    return { level: higher(override.level, computed), overrideHolds: true };
  if (rankOf(computed) > rankOf(override.against))
    return { level: computed, overrideHolds: false, overrideEnded: 'computed_above_approved' };
  return { level: lower(override.level, computed), overrideHolds: true };
}

/** Pure: the rating of a customer from their facts. */
export function rateFacts(f: CustomerRiskFacts, s: RatingSettings = defaultRatingSettings): CustomerRating {
  const w = s.weights;
  const yuan = (minor: bigint) => `${minor / 100n}.${String(minor % 100n).padStart(2, '0')} CNY`;
  const factors: RatingFactor[] = [
    { factor: 'account_class', value: f.accountClass, points: w.accountClass[f.accountClass] },
    { factor: 'id_region', value: f.idRegion, points: w.idRegion[f.idRegion] },
    { factor: 'usage_country', value: f.usageCountry ?? 'unknown', points: usagePoints(f.usageCountry, s) },
    {
      factor: 'sanctions_near_hits',
      value: String(f.sanctionsNearHits),
      points: any(f.sanctionsNearHits, w.sanctionsNearHit),
    },
    { factor: 'sanctions_hits', value: String(f.sanctionsHits), points: any(f.sanctionsHits, w.sanctionsHit) },
    {
      factor: 'open_aml_cases',
      value: String(f.openAmlCases),
      points: Math.min(f.openAmlCases, w.openAmlCasesMax) * w.openAmlCase,
    },
    {
      factor: 'reported_aml_cases',
      value: String(f.reportedAmlCases),
      points: any(f.reportedAmlCases, w.reportedAmlCase),
    },
    { factor: 'volume_30d', value: yuan(f.volume30dMinor), points: volumePoints(f.volume30dMinor, s) },
    {
      factor: 'account_age_days',
      value: String(Math.floor(f.accountAgeMs / dayMs)),
      points: f.accountAgeMs < s.newAccountMs ? w.newAccount : 0,
    },
  ];
  const score = factors.reduce((sum, x) => sum + x.points, 0);
  return { level: levelOf(score, s), score, factors };
}

/**
 * Where the ID was issued, from the number's shape (GB 11643): 18 characters, the first two the
 * province; 81/82/83 are the residence permits of Hong Kong, Macao and Taiwan residents, 9 the
 * foreigners' permanent residence card; anything else is unknown.
 */
export function idRegionOf(idNumber: string): IdRegion {
  if (!/^[0-9]{17}[0-9Xx]$/u.test(idNumber)) return 'unknown';
  const province = Number(idNumber.slice(0, 2));
  if (province === 81 || province === 82 || province === 83 || province === 71) return 'hk_mo_tw';
  if (idNumber.startsWith('9')) return 'foreign';
  return province >= 11 && province <= 65 ? 'mainland' : 'unknown';
}
