// The SQL of the customer risk rating: the facts it is computed from (the customer's class and age,
// the last located country of the risk profile, sanctions screenings, AML cases, 30 days of settled
// money) and the rating rows themselves (aml_customer_ratings, aml_customer_rating_history).
import type { Param, Queryable, Tx } from '../store/index.ts';
import type {
  CustomerRating,
  CustomerRiskFacts,
  IdRegion,
  RatingFactor,
  RatingSettings,
  RiskLevel,
} from './customer-risk-rating.ts';

const dayMs = 86_400_000;
const openStatuses = "('open', 'assigned', 'waiting')";

export interface StoredRating {
  readonly customerId: string;
  readonly level: RiskLevel;
  readonly computedLevel: RiskLevel;
  readonly score: number;
  readonly factors: readonly RatingFactor[];
  readonly factorsJson: string;
  readonly idRegion: IdRegion;
  readonly cause: string;
  /** An approved override, with the computed level it was approved against (customer-risk-rating.ts levelInForce). */
  readonly override: {
    readonly level: RiskLevel;
    readonly against: RiskLevel;
    readonly proposalId: string;
    readonly reason: string;
  } | null;
  readonly ratedAt: number;
}

interface RatingRow {
  customer_id: string;
  level: RiskLevel;
  computed_level: RiskLevel;
  score: number | bigint;
  factors: string;
  id_region: IdRegion;
  cause: string;
  override_level: RiskLevel | null;
  override_against: RiskLevel | null;
  override_proposal: string | null;
  override_reason: string | null;
  rated_at: number | bigint;
}

const levelsChunkMax = 500;

/** The level in force (an override included) of each of `customerIds` that has been rated. */
export async function levelsInForce(q: Queryable, customerIds: readonly string[]): Promise<Map<string, RiskLevel>> {
  const levels = new Map<string, RiskLevel>();
  for (let i = 0; i < customerIds.length; i += levelsChunkMax) {
    const chunk = customerIds.slice(i, i + levelsChunkMax);
    const rows = await q.all<{ customer_id: string; level: RiskLevel }>(
      `SELECT customer_id, level FROM aml_customer_ratings WHERE customer_id IN (${chunk.map(() => '?').join(', ')})`,
      chunk,
    );
    for (const row of rows) levels.set(row.customer_id, row.level);
  }
  return levels;
}

export async function storedRating(q: Queryable, customerId: string): Promise<StoredRating | undefined> {
  const row = await q.get<RatingRow & Record<string, unknown>>(
    'SELECT * FROM aml_customer_ratings WHERE customer_id = ?',
    [customerId],
  );
  if (row === undefined) return undefined;
  // Migration 273 filled it in for every override stored before it; each one since is stored with it.
  if (row.override_level !== null && row.override_against === null)
    throw new Error(`aml invariant: the override of ${customerId} has no level it was approved against`);
  const override =
    row.override_level === null || row.override_against === null
      ? null
      : {
          level: row.override_level,
          against: row.override_against,
          proposalId: row.override_proposal ?? '',
          reason: row.override_reason ?? '',
        };
  return {
    customerId: row.customer_id,
    level: row.level,
    computedLevel: row.computed_level,
    score: Number(row.score),
    factors: JSON.parse(row.factors) as RatingFactor[],
    factorsJson: row.factors,
    idRegion: row.id_region,
    cause: row.cause,
    override,
    ratedAt: Number(row.rated_at),
  };
}

export async function upsertRating(
  tx: Tx,
  r: {
    customerId: string;
    level: RiskLevel;
    computed: CustomerRating;
    factorsJson: string;
    idRegion: IdRegion;
    cause: string;
    override: StoredRating['override'];
    ratedAt: number;
  },
): Promise<void> {
  await tx.run(
    `INSERT INTO aml_customer_ratings (customer_id, level, computed_level, score, factors, id_region, cause,
       override_level, override_against, override_proposal, override_reason, rated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (customer_id) DO UPDATE SET level = excluded.level, computed_level = excluded.computed_level,
       score = excluded.score, factors = excluded.factors, id_region = excluded.id_region, cause = excluded.cause,
       override_level = excluded.override_level, override_against = excluded.override_against,
       override_proposal = excluded.override_proposal,
       override_reason = excluded.override_reason, rated_at = excluded.rated_at`,
    [
      r.customerId,
      r.level,
      r.computed.level,
      r.computed.score,
      r.factorsJson,
      r.idRegion,
      r.cause,
      r.override?.level ?? null,
      r.override?.against ?? null,
      r.override?.proposalId ?? null,
      r.override?.reason ?? null,
      r.ratedAt,
    ],
  );
}

export async function insertRatingHistory(
  tx: Tx,
  h: {
    id: string;
    customerId: string;
    level: RiskLevel;
    computed: CustomerRating;
    factorsJson: string;
    cause: string;
    now: number;
  },
): Promise<void> {
  await tx.run(
    `INSERT INTO aml_customer_rating_history (id, customer_id, level, computed_level, score, factors, cause, rated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    [h.id, h.customerId, h.level, h.computed.level, h.computed.score, h.factorsJson, h.cause, h.now],
  );
}

export interface RatingHistoryEntry {
  readonly level: RiskLevel;
  readonly computedLevel: RiskLevel;
  readonly score: number;
  readonly cause: string;
  readonly ratedAt: number;
}

/** The customer's rating changes, newest first (at most `limit`). */
export async function ratingHistory(q: Queryable, customerId: string, limit: number): Promise<RatingHistoryEntry[]> {
  type HistoryRow = { level: RiskLevel; computed_level: RiskLevel; score: number; cause: string; rated_at: number };
  const rows = await q.all<HistoryRow>(
    `SELECT level, computed_level, score, cause, rated_at FROM aml_customer_rating_history WHERE customer_id = ?
     ORDER BY rated_at DESC, id DESC LIMIT ?`,
    [customerId, limit],
  );
  return rows.map((r) => ({
    level: r.level,
    computedLevel: r.computed_level,
    score: Number(r.score),
    cause: r.cause,
    ratedAt: Number(r.rated_at),
  }));
}

const count = async (q: Queryable, sql: string, params: readonly Param[]): Promise<number> =>
  Number((await q.get<{ n: number | bigint }>(sql, params))?.n ?? 0);

async function usageCountry(q: Queryable, customerId: string): Promise<string | null> {
  const row = await q.get<{ profile: string }>('SELECT profile FROM risk_profiles WHERE customer_id = ?', [customerId]);
  if (row === undefined) return null;
  const last = (JSON.parse(row.profile) as { last?: { country?: unknown } }).last;
  return typeof last?.country === 'string' ? last.country : null;
}

async function volume30d(q: Queryable, customerId: string, since: number): Promise<bigint> {
  const row = await q.get<{ total: bigint | number | string | null }>(
    `SELECT SUM(amount) AS total FROM (
       SELECT amount FROM payments WHERE state = 'succeeded' AND currency = 'CNY' AND updated_at >= ?
         AND (payer_id = ? OR payee_id = ?)
       UNION ALL
       SELECT amount FROM funding_payments WHERE state = 'succeeded' AND currency = 'CNY' AND updated_at >= ?
         AND customer_id = ?
     ) moved`,
    [since, customerId, customerId, since, customerId],
  );
  return row?.total === null || row?.total === undefined ? 0n : BigInt(row.total);
}

async function caseCounts(
  q: Queryable,
  customerId: string,
  since: number,
  deciding?: { readonly id: string; readonly decision: string },
) {
  const except = deciding?.id ?? '';
  const openAmlCases = await count(
    q,
    `SELECT COUNT(*) AS n FROM cases WHERE kind = 'aml_alert' AND customer_id = ? AND status IN ${openStatuses}
       AND id <> ?`,
    [customerId, except],
  );
  const reported = await count(
    q,
    `SELECT COUNT(*) AS n FROM cases WHERE kind IN ('aml_alert', 'sanctions_hit') AND customer_id = ?
       AND decision = 'report_suspicious' AND decided_at >= ? AND id <> ?`,
    [customerId, since, except],
  );
  return { openAmlCases, reportedAmlCases: reported + (deciding?.decision === 'report_suspicious' ? 1 : 0) };
}

/** The facts of one customer at `now`; undefined when there is no such customer. */
export async function loadRatingFacts(
  q: Queryable,
  customerId: string,
  o: {
    idRegion: IdRegion;
    now: number;
    settings: RatingSettings;
    decidingCase?: { readonly id: string; readonly decision: string } | undefined;
  },
): Promise<CustomerRiskFacts | undefined> {
  const customer = await q.get<{ account_class: 'I' | 'II' | 'III'; created_at: number | bigint }>(
    'SELECT account_class, created_at FROM customers WHERE id = ?',
    [customerId],
  );
  if (customer === undefined) return undefined;
  const lookBack = o.now - o.settings.lookBackMs;
  const screening = (outcome: string) =>
    count(
      q,
      'SELECT COUNT(*) AS n FROM sanctions_screenings WHERE subject_id = ? AND outcome = ? AND screened_at >= ?',
      [customerId, outcome, lookBack],
    );
  return {
    accountClass: customer.account_class,
    idRegion: o.idRegion,
    usageCountry: await usageCountry(q, customerId),
    sanctionsNearHits: await screening('near_hit'),
    sanctionsHits: await screening('hit'),
    ...(await caseCounts(q, customerId, lookBack, o.decidingCase)),
    volume30dMinor: await volume30d(q, customerId, o.now - 30 * dayMs),
    accountAgeMs: Math.max(0, o.now - Number(customer.created_at)),
  };
}

/** Customers never rated, or rated before `ratedBefore`: never-rated first, then oldest rating first. */
export async function customersDueForRating(q: Queryable, ratedBefore: number, limit: number): Promise<string[]> {
  const rows = await q.all<{ id: string }>(
    `SELECT c.id FROM customers c LEFT JOIN aml_customer_ratings r ON r.customer_id = c.id
     WHERE r.customer_id IS NULL OR r.rated_at < ?
     ORDER BY COALESCE(r.rated_at, 0), c.id LIMIT ?`,
    [ratedBefore, limit],
  );
  return rows.map((r) => r.id);
}

/** Sets (or removes, with null) the operator's override and the level in force; false when none is stored. */
export async function setRatingOverride(
  tx: Tx,
  customerId: string,
  change: { readonly override: StoredRating['override']; readonly level: RiskLevel },
  now: number,
): Promise<boolean> {
  const { override, level } = change;
  const changed = await tx.run(
    `UPDATE aml_customer_ratings SET override_level = ?, override_against = ?, override_proposal = ?,
       override_reason = ?, level = ?, cause = 'override', rated_at = ? WHERE customer_id = ?`,
    [
      override?.level ?? null,
      override?.against ?? null,
      override?.proposalId ?? null,
      override?.reason ?? null,
      level,
      now,
      customerId,
    ],
  );
  return changed > 0;
}
