// SQL of the risk engine: rule set versions, decisions (with their feature snapshots), velocity
// counters, first-seen marks and lists. Batch writes are multi-row statements, a constant number per
// batch whatever its size, so the payment group commit pays the same few statements for 1 or 1000.
import type { Param, Queryable, Store, Tx } from '../store/index.ts';
import { toNumber } from '../store/index.ts';
import { countable, type CounterRow } from './counters.ts';
import { neutralFeatures, riskEvents, type FeatureValues, type RiskEvent, type Value } from './features.ts';
import { emptyProfile, profileAfter, parseProfile, relocated, type RiskProfile } from './profile.ts';
import { localHourOf } from './login-risk.ts';
import { countedRows, rowKeysOf, type MoneyEvent, type StoredRows } from './money-features.ts';
import type { RiskAction, RiskDecision, RuleHit } from './ruleset.ts';

const rowsPerStatement = 400;
const chunksOf = <T>(items: readonly T[], size = rowsPerStatement): T[][] => {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
};
const marks = (n: number): string => Array(n).fill('?').join(', ');
const tuples = (rows: number, columns: number): string =>
  Array.from({ length: rows }, () => `(${marks(columns)})`).join(', ');

// ---- rule sets

export async function latestRuleSetVersion(q: Queryable): Promise<number> {
  const row = await q.get<{ v: unknown }>('SELECT MAX(version) AS v FROM risk_rulesets');
  return row?.v === null || row?.v === undefined ? 0 : toNumber(row.v);
}

export async function ruleSetAt(q: Queryable, version: number): Promise<unknown> {
  const row = await q.get<{ document: string }>('SELECT document FROM risk_rulesets WHERE version = ?', [version]);
  return row === undefined ? undefined : (JSON.parse(row.document) as unknown);
}

export async function insertRuleSet(
  tx: Tx,
  input: { version: number; document: unknown; proposalId: string | null; approvedBy: string | null },
  now: number,
): Promise<void> {
  await tx.run(
    'INSERT INTO risk_rulesets (version, document, proposal_id, approved_by, created_at) VALUES (?, ?, ?, ?, ?)',
    [input.version, JSON.stringify(input.document), input.proposalId, input.approvedBy, now],
  );
}

// ---- decisions and their snapshots

// The JSON of a feature name and of a currency, kept (a snapshot writes the same few dozen names each time).
const namesJson = new Map<string, string>();
const currenciesJson = new Map<string, string>();
function jsonOf(cache: Map<string, string>, text: string): string {
  let json = cache.get(text);
  if (json === undefined) {
    json = JSON.stringify(text);
    if (cache.size < 10_000) cache.set(text, json);
  }
  return json;
}

function valueJson(v: Value): string {
  switch (typeof v) {
    case 'object':
      if ('minor' in v) return `{"minor":"${v.minor}","currency":${jsonOf(currenciesJson, v.currency)}}`;
      return `{"set":${JSON.stringify([...v])}}`;
    // A finite number's JSON is its string; Infinity (never happened) is stored as {"never":true}.
    case 'number':
      return Number.isFinite(v) ? `${v}` : '{"never":true}';
    case 'boolean':
      return v ? 'true' : 'false';
    default:
      return JSON.stringify(v);
  }
}

/**
 * Feature values as the JSON of a snapshot, in one pass (no intermediate object): amounts keep their
 * currency and exact minor units (`{"minor":"100","currency":"CNY"}`), sets are `{"set":[…]}`,
 * never-happened stays `{"never":true}`.
 */
export function featuresJson(features: Readonly<Record<string, Value>>): string {
  let out = '';
  for (const name in features) {
    if (!Object.hasOwn(features, name)) continue;
    const value = features[name];
    // As JSON.stringify of an object would: a key without a value is left out.
    if (value !== undefined) out += `${out === '' ? '' : ','}${jsonOf(namesJson, name)}:${valueJson(value)}`;
  }
  return `{${out}}`;
}

export function decodeFeatures(json: Record<string, unknown>): Record<string, Value> {
  const out: Record<string, Value> = {};
  for (const [name, v] of Object.entries(json)) {
    if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') out[name] = v;
    else if (typeof v === 'object' && v !== null && 'minor' in v) {
      const a = v as { minor: string; currency: string };
      out[name] = { minor: BigInt(a.minor), currency: a.currency };
    } else if (typeof v === 'object' && v !== null && 'set' in v) out[name] = new Set((v as { set: string[] }).set);
    else if (typeof v === 'object' && v !== null && 'never' in v) out[name] = Number.POSITIVE_INFINITY;
  }
  return out;
}

export interface DecisionRecord {
  readonly id: string;
  readonly event: string;
  readonly subjectRef: string | null;
  readonly customerId: string | null;
  readonly decision: RiskDecision;
  readonly features: FeatureValues;
  readonly version: number;
  readonly at: number;
}

export async function insertDecisions(tx: Tx, records: readonly DecisionRecord[]): Promise<void> {
  for (const chunk of chunksOf(records, 200)) {
    await tx.run(
      `INSERT INTO risk_decisions (id, event, subject_ref, customer_id, decision, score, reasons, hits, shadow_hits,
       features, ruleset_version, at) VALUES ${tuples(chunk.length, 12)}`,
      chunk.flatMap((r): Param[] => [
        r.id,
        r.event,
        r.subjectRef,
        r.customerId,
        r.decision.decision,
        r.decision.score,
        JSON.stringify(r.decision.reasons),
        JSON.stringify(r.decision.hits),
        JSON.stringify(r.decision.shadowHits),
        featuresJson(r.features),
        r.version,
        r.at,
      ]),
    );
  }
}

export interface StoredDecision {
  readonly id: string;
  readonly event: string;
  readonly subjectRef: string | null;
  readonly customerId: string | null;
  readonly decision: RiskAction;
  readonly score: number;
  readonly reasons: readonly string[];
  readonly hits: readonly RuleHit[];
  readonly shadowHits: readonly RuleHit[];
  readonly features: Record<string, Value>;
  readonly version: number;
  readonly label: 'fraud' | 'legitimate' | null;
  readonly at: number;
}

type DecisionRow = Record<'id' | 'event' | 'decision' | 'reasons' | 'hits' | 'shadow_hits' | 'features', string> & {
  subject_ref: string | null;
  customer_id: string | null;
  score: unknown;
  ruleset_version: unknown;
  label: string | null;
  at: unknown;
};

/** A stored snapshot holds the features that were not neutral; the others are restored neutral. */
function snapshotOf(event: string, stored: Record<string, Value>): Record<string, Value> {
  if (!riskEvents.includes(event as RiskEvent)) return stored;
  const amount = stored.amount;
  const currency = typeof amount === 'object' && 'minor' in amount ? amount.currency : 'CNY';
  return { ...neutralFeatures(event as RiskEvent, currency), ...stored };
}

function decisionOf(row: DecisionRow): StoredDecision {
  return {
    id: row.id,
    event: row.event,
    subjectRef: row.subject_ref,
    customerId: row.customer_id,
    decision: row.decision as RiskAction,
    score: toNumber(row.score),
    reasons: JSON.parse(row.reasons) as string[],
    hits: JSON.parse(row.hits) as RuleHit[],
    shadowHits: JSON.parse(row.shadow_hits) as RuleHit[],
    features: snapshotOf(row.event, decodeFeatures(JSON.parse(row.features) as Record<string, unknown>)),
    version: toNumber(row.ruleset_version),
    label: row.label === 'fraud' || row.label === 'legitimate' ? row.label : null,
    at: toNumber(row.at),
  };
}

/** Decisions in [from, to), oldest first, at most `limit`. */
export async function decisionsBetween(
  q: Queryable,
  from: number,
  to: number,
  limit: number,
): Promise<StoredDecision[]> {
  const rows = await q.all<DecisionRow>(
    'SELECT * FROM risk_decisions WHERE at >= ? AND at < ? ORDER BY at, id LIMIT ?',
    [from, to, limit],
  );
  return rows.map(decisionOf);
}

export interface DecisionFilter {
  readonly decision?: string;
  readonly event?: string;
  readonly customerId?: string;
  readonly from?: number;
  readonly to?: number;
  /** The previous page's last id: ids are time-ordered (`newId('rsk', at)`), so this is a keyset. */
  readonly before?: string;
  readonly limit: number;
}

/** Decisions newest first matching every given filter, at most `limit + 1` (the extra one says a page follows). */
export async function searchDecisions(q: Queryable, f: DecisionFilter): Promise<StoredDecision[]> {
  const where: string[] = [];
  const params: Param[] = [];
  const add = (clause: string, value: Param | undefined) => {
    if (value === undefined) return;
    where.push(clause);
    params.push(value);
  };
  add('decision = ?', f.decision);
  add('event = ?', f.event);
  add('customer_id = ?', f.customerId);
  add('at >= ?', f.from);
  add('at < ?', f.to);
  add('id < ?', f.before);
  const clauses = where.length === 0 ? '' : ` WHERE ${where.join(' AND ')}`;
  const rows = await q.all<DecisionRow>(`SELECT * FROM risk_decisions${clauses} ORDER BY id DESC LIMIT ?`, [
    ...params,
    f.limit + 1,
  ]);
  return rows.map(decisionOf);
}

export async function decisionById(q: Queryable, id: string): Promise<StoredDecision | undefined> {
  const row = await q.get<DecisionRow>('SELECT * FROM risk_decisions WHERE id = ?', [id]);
  return row === undefined ? undefined : decisionOf(row);
}

export async function decisionsOfSubject(q: Queryable, subjectRef: string): Promise<StoredDecision[]> {
  return (await q.all<DecisionRow>('SELECT * FROM risk_decisions WHERE subject_ref = ? ORDER BY at', [subjectRef])).map(
    decisionOf,
  );
}

export async function labelDecision(q: Queryable, id: string, label: 'fraud' | 'legitimate'): Promise<boolean> {
  return (await q.run('UPDATE risk_decisions SET label = ? WHERE id = ?', [label, id])) === 1;
}

export async function decisionCounts(
  q: Queryable,
  from: number,
  to: number,
): Promise<Array<{ event: string; decision: string; n: number }>> {
  const rows = await q.all<{ event: string; decision: string; n: unknown }>(
    'SELECT event, decision, COUNT(*) AS n FROM risk_decisions WHERE at >= ? AND at < ? GROUP BY event, decision',
    [from, to],
  );
  return rows.map((r) => ({ event: r.event, decision: r.decision, n: toNumber(r.n) }));
}

// ---- stored features: counters, first-seen marks, lists

// A counter row holds every window of one subject as JSON, so an event touches one row per subject:
// `{"1h":[bucket, count, sum, prevCount, prevSum, lastAt], …}`. Counts and sums were written as decimal
// strings (bigints) before 2026-12-05 and are numbers since; both are read (a reader of either kind
// reads the other's rows: BigInt() takes a number).
type Packed = Record<string, [number, string | number, string | number, string | number, string | number, number]>;
const subjectOfKey = (key: string): string => key.slice(0, key.lastIndexOf('|'));

export function unpack(subject: string, json: string, into: Map<string, CounterRow>): void {
  const packed = JSON.parse(json) as Packed;
  for (const w in packed) {
    const v = packed[w] as Packed[string];
    into.set(`${subject}|${w}`, {
      bucket: v[0],
      count: countable(v[1]),
      sum: countable(v[2]),
      prevCount: countable(v[3]),
      prevSum: countable(v[4]),
      lastAt: v[5],
    });
  }
}

/** The JSON of a subject's windows, in the rows' order (keys `subject|window`). */
export function pack(rows: ReadonlyArray<[string, CounterRow]>): string {
  let out = '';
  for (const [key, r] of rows) {
    const window = JSON.stringify(key.slice(key.lastIndexOf('|') + 1));
    const values = `${r.bucket},${r.count},${r.sum},${r.prevCount},${r.prevSum},${r.lastAt}`;
    out += `${out === '' ? '' : ','}${window}:[${values}]`;
  }
  return `{${out}}`;
}

/** The distinct keys of the events' rows, in first-use order. */
function rowKeysOfAll(events: readonly MoneyEvent[]): { counters: string[]; seen: string[]; lists: string[] } {
  const counters = new Set<string>();
  const seen = new Set<string>();
  const lists = new Set<string>();
  for (const e of events) {
    const keys = rowKeysOf(e);
    for (const key of keys.counters) counters.add(key);
    for (const key of keys.seen) seen.add(key);
    for (const key of keys.lists) lists.add(key);
  }
  return { counters: [...counters], seen: [...seen], lists: [...lists] };
}

/** A list key (`device:…`, `address:…`) as its primary key columns: the list name never holds a colon. */
const listPairOf = (key: string): [string, string] => [key.slice(0, key.indexOf(':')), key.slice(key.indexOf(':') + 1)];

/**
 * The part of a feature read that finds list keys' entries (`t` = block | allow, `key` = the list key),
 * probed by the primary key (list, value) — the money and the identity reads share it, so a long block
 * list is never scanned per event.
 */
export function listEntriesPart(keys: readonly string[]): { sql: string; params: string[] } {
  const pairs = keys.length === 0 ? [['', '']] : keys.map(listPairOf);
  return {
    sql: `SELECT effect AS t, list || ':' || value AS key, '' AS v FROM risk_lists
       WHERE (list, value) IN (VALUES ${tuples(pairs.length, 2)})`,
    params: pairs.flat(),
  };
}

/**
 * Reads every row the events' features need in one statement. Each part is a primary key lookup: the
 * lists by (list, value) pairs, so a long block list is probed, not scanned.
 */
export async function loadStoredRows(q: Queryable, events: readonly MoneyEvent[]): Promise<StoredRows> {
  const { counters, seen, lists } = rowKeysOfAll(events);
  const customers = [...new Set(events.map((e) => e.customerId))];
  const listed = listEntriesPart(lists);
  const rows = await q.all<{ t: string; key: string; v: string }>(
    `SELECT 'c' AS t, key, windows AS v FROM risk_counters WHERE key IN (${marks(counters.length)})
     UNION ALL SELECT 's' AS t, key, '' AS v FROM risk_seen WHERE key IN (${marks(seen.length)})
     UNION ALL ${listed.sql}
     UNION ALL SELECT 'p' AS t, customer_id AS key, profile AS v FROM risk_profiles
       WHERE customer_id IN (${marks(customers.length)})
     UNION ALL SELECT 'm' AS t, customer_id AS key, level AS v FROM aml_customer_ratings
       WHERE customer_id IN (${marks(customers.length)})`,
    [...counters, ...seen, ...listed.params, ...customers, ...customers],
  );
  const result = {
    counters: new Map<string, CounterRow>(),
    seen: new Set<string>(),
    lists: new Map<string, 'block' | 'allow'>(),
    profiles: new Map<string, RiskProfile>(),
    mlRisk: new Map<string, string>(),
  };
  for (const r of rows) {
    if (r.t === 'c') unpack(r.key, r.v, result.counters);
    else if (r.t === 'p') result.profiles.set(r.key, parseProfile(r.v));
    else if (r.t === 'm') result.mlRisk.set(r.key, r.v);
    else if (r.t === 's') result.seen.add(r.key);
    else if (r.t === 'block' || r.t === 'allow') result.lists.set(r.key, r.t);
  }
  return result;
}

/**
 * Inserts the first-seen marks that are new and returns them. A mark is never deleted, so one the
 * batch's read (`read`) found is still there and is not written again: a returning customer's batch
 * writes no mark at all instead of one conflicting insert per key.
 */
async function markSeen(
  tx: Tx,
  keys: readonly string[],
  now: number,
  read: StoredRows | undefined,
): Promise<Set<string>> {
  const seen = keys.filter((key) => read?.seen.has(key) !== true);
  const newlySeen = new Set<string>();
  for (const chunk of chunksOf(seen)) {
    const rows = await tx.all<{ key: string }>(
      `INSERT INTO risk_seen (key, first_at) VALUES ${tuples(chunk.length, 2)}
       ON CONFLICT (key) DO NOTHING RETURNING key`,
      chunk.flatMap((k) => [k, now]),
    );
    for (const r of rows) newlySeen.add(r.key);
  }
  return newlySeen;
}

/**
 * The counter rows of these subjects as this transaction sees them. On SQLite a transaction holds the
 * write lock from BEGIN IMMEDIATE, so rows the batch already read in it (`read`) are still current and
 * are not read again. On PostgreSQL (the batch's read took no lock) one upsert creates the missing rows
 * empty and locks every row: a row another process is creating is waited for and then locked with its
 * committed counts, where `SELECT … FOR UPDATE` would lock nothing and two first writers would each
 * write one increment over the other's.
 */
async function lockedCounters(
  tx: Tx,
  dialect: Store['dialect'],
  subjects: readonly string[],
  read: StoredRows | undefined,
): Promise<Map<string, CounterRow>> {
  const locked = new Map<string, CounterRow>();
  if (dialect === 'sqlite' && read !== undefined) {
    const wanted = new Set(subjects);
    for (const [key, row] of read.counters) if (wanted.has(subjectOfKey(key))) locked.set(key, row);
    return locked;
  }
  for (const chunk of chunksOf(subjects)) {
    const rows = await tx.all<{ key: string; windows: string }>(
      dialect === 'postgres'
        ? `INSERT INTO risk_counters (key, windows) VALUES ${chunk.map(() => "(?, '{}')").join(', ')}
           ON CONFLICT (key) DO UPDATE SET windows = risk_counters.windows RETURNING key, windows`
        : `SELECT key, windows FROM risk_counters WHERE key IN (${marks(chunk.length)})`,
      chunk,
    );
    for (const r of rows) unpack(r.key, r.windows, locked);
  }
  return locked;
}

/**
 * Counts the decided events inside the caller's transaction (the payment batch): marks first-seen
 * keys, locks and advances the counters (one row per subject). Three statements whatever the number of
 * events (two on SQLite when `read` holds the rows the batch read in this transaction). On SQLite, when
 * `counted` holds the batch's rows already counted from `read` (assessBatch), they are written as they are.
 */
export async function recordMoneyEvents(
  tx: Tx,
  dialect: Store['dialect'],
  events: readonly MoneyEvent[],
  now: number,
  read?: StoredRows,
  counted?: ReadonlyMap<string, CounterRow>,
): Promise<void> {
  if (events.length === 0) return;
  const keys = rowKeysOfAll(events);
  const newlySeen = await markSeen(tx, keys.seen, now, read);
  const subjects = keys.counters.sort();
  const reuse = dialect === 'sqlite' && read !== undefined && counted !== undefined;
  const locked = await lockedCounters(tx, dialect, subjects, reuse ? { ...read, counters: counted } : read);
  // Every window of a subject, the counted ones replacing the locked ones in place (the row keeps its
  // windows' order: locked first, then any new window).
  const bySubject = new Map<string, Map<string, CounterRow>>();
  const windowsOf = (subject: string): Map<string, CounterRow> => {
    let rows = bySubject.get(subject);
    if (rows === undefined) bySubject.set(subject, (rows = new Map()));
    return rows;
  };
  for (const [key, row] of locked) windowsOf(subjectOfKey(key)).set(key, row);
  if (!reuse)
    for (const [key, row] of countedRows(events, locked, newlySeen, now)) windowsOf(subjectOfKey(key)).set(key, row);
  const updated = [...bySubject.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
  for (const chunk of chunksOf(updated)) {
    await tx.run(
      `INSERT INTO risk_counters (key, windows) VALUES ${tuples(chunk.length, 2)}
       ON CONFLICT (key) DO UPDATE SET windows = excluded.windows`,
      chunk.flatMap(([subject, rows]): Param[] => [subject, pack([...rows])]),
    );
  }
  await recordProfiles(tx, dialect, events, now, read);
}

/**
 * Advances the customers' habits (hour histogram, last location): one locked read and one upsert (the
 * read skipped on SQLite when the batch read the profiles in this transaction, as for the counters).
 */
async function recordProfiles(
  tx: Tx,
  dialect: Store['dialect'],
  events: readonly MoneyEvent[],
  now: number,
  read: StoredRows | undefined,
) {
  const customers = [...new Set(events.map((e) => e.customerId))].sort();
  const profiles = new Map<string, RiskProfile>();
  if (dialect === 'sqlite' && read !== undefined)
    for (const id of customers) {
      const profile = read.profiles.get(id);
      if (profile !== undefined) profiles.set(id, profile);
    }
  // On PostgreSQL created empty or locked in one upsert, as the counters are (lockedCounters).
  for (const chunk of dialect === 'sqlite' && read !== undefined ? [] : chunksOf(customers)) {
    const empty = chunk.map(() => "(?, '{}', ?)").join(', ');
    const rows = await tx.all<{ customer_id: string; profile: string }>(
      dialect === 'postgres'
        ? `INSERT INTO risk_profiles (customer_id, profile, updated_at) VALUES ${empty}
           ON CONFLICT (customer_id) DO UPDATE SET profile = risk_profiles.profile RETURNING customer_id, profile`
        : `SELECT customer_id, profile FROM risk_profiles WHERE customer_id IN (${marks(chunk.length)})`,
      dialect === 'postgres' ? chunk.flatMap((id): Param[] => [id, now]) : chunk,
    );
    for (const r of rows) profiles.set(r.customer_id, parseProfile(r.profile));
  }
  for (const e of events)
    profiles.set(e.customerId, profileAfter(profiles.get(e.customerId), e.ip, localHourOf(now), now));
  for (const chunk of chunksOf(customers)) {
    await tx.run(
      `INSERT INTO risk_profiles (customer_id, profile, updated_at) VALUES ${tuples(chunk.length, 3)}
       ON CONFLICT (customer_id) DO UPDATE SET profile = excluded.profile, updated_at = excluded.updated_at`,
      chunk.flatMap((id): Param[] => [id, JSON.stringify(profiles.get(id)), now]),
    );
  }
}

export type ListName = 'device' | 'address' | 'id' | 'payee' | 'card';
export const listNames: readonly ListName[] = ['device', 'address', 'id', 'payee', 'card'];

export async function putListEntry(
  tx: Tx,
  entry: { list: ListName; value: string; effect: 'block' | 'allow'; note: string | null; addedBy: string },
  now: number,
): Promise<void> {
  await tx.run(
    `INSERT INTO risk_lists (list, value, effect, note, added_by, added_at) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (list, value) DO UPDATE SET effect = excluded.effect, note = excluded.note,
     added_by = excluded.added_by, added_at = excluded.added_at`,
    [entry.list, entry.value, entry.effect, entry.note, entry.addedBy, now],
  );
}

export async function removeListEntry(tx: Tx, list: ListName, value: string): Promise<boolean> {
  return (await tx.run('DELETE FROM risk_lists WHERE list = ? AND value = ?', [list, value])) === 1;
}

export async function listEntries(
  q: Queryable,
  list: ListName,
  limit: number,
): Promise<Array<{ value: string; effect: string; note: string | null; addedAt: number }>> {
  const rows = await q.all<{ value: string; effect: string; note: string | null; added_at: unknown }>(
    'SELECT value, effect, note, added_at FROM risk_lists WHERE list = ? ORDER BY value LIMIT ?',
    [list, limit],
  );
  return rows.map((r) => ({ value: r.value, effect: r.effect, note: r.note, addedAt: toNumber(r.added_at) }));
}

/** One customer's habit and last location (empty when none is stored yet). */
export async function profileOf(q: Queryable, customerId: string): Promise<RiskProfile> {
  const row = await q.get<{ profile: string }>('SELECT profile FROM risk_profiles WHERE customer_id = ?', [customerId]);
  return row === undefined ? emptyProfile : parseProfile(row.profile);
}

/**
 * A login's address becomes the customer's last location (travel is then measured from it), in the
 * login's transaction. Read then upsert without a lock: two logins racing leave one of their two
 * locations, both true a moment ago.
 */
export async function recordLoginLocation(tx: Tx, customerId: string, ip: string | null, now: number): Promise<void> {
  const before = await profileOf(tx, customerId);
  const after = relocated(before, ip, now);
  if (after === before) return;
  await tx.run(
    `INSERT INTO risk_profiles (customer_id, profile, updated_at) VALUES (?, ?, ?)
     ON CONFLICT (customer_id) DO UPDATE SET profile = excluded.profile, updated_at = excluded.updated_at`,
    [customerId, JSON.stringify(after), now],
  );
}
