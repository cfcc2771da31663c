// The stored features where identity moves (login, card binding, factor change), as money's are kept:
// the block and allow entries of the device, the client's address range and the customer's ID-number
// hash, the velocity of the event's kind — how many logins (or bindings, or factor changes) the
// customer, the device and the client's /24 had in each window — the failed logins of each (a wrong
// password or login challenge answer, counted by identity's failure path), and at login the distinct
// customers seen on the device fingerprint and the /24 in 30 days; all read in one statement. The event
// is counted in the transaction that stores its decision, whatever the outcome (refused attempts count).
import type { Param, Queryable, Tx } from '../store/index.ts';
import { added, estimateCount, windowNames, windows, type CounterRow, type WindowName } from './counters.ts';
import type { Value } from './features.ts';
import { networksOf } from './login-risk.ts';
import { listEntriesPart, pack, unpack } from './store.ts';

export interface IdentitySubjects {
  readonly event: 'login' | 'card_binding' | 'factor_change';
  readonly customerId: string;
  /** The device id for the lists (null at login: the device is known only once it succeeds). */
  readonly deviceId: string | null;
  /** What the device counters are keyed by: the device id, or at login the device fingerprint. */
  readonly deviceKey: string | null;
  readonly ip: string | null;
  /** Hex of the customer's ID-number blind index, when known. */
  readonly idHash?: string | null | undefined;
}

type Counted = 'customer' | 'device' | 'address';

/** A counter row an identity event reads: the feature names it fills (`<subject>.<kind>_<window>`), its windows. */
interface CounterRead {
  readonly subject: Counted;
  readonly kind: 'count' | 'failed_logins' | 'failed_step_ups' | 'customers';
  readonly key: string;
  readonly windows: readonly WindowName[];
}

const loginFailed = 'login_failed';
const stepUpFailed = 'step_up_failed';
/** Distinct customers per device fingerprint or /24 are counted in the 30-day window only. */
const customersWindow: WindowName = '30d';

/**
 * The rows an identity event reads: its own kind's velocity (`cu:<customer>:login`; money's keys end in a
 * currency), the failed logins of the customer and the address (and at login of the device fingerprint:
 * on other events the device is keyed by its id, which no failed login knows), and at login the distinct
 * customers of the device fingerprint and of the /24.
 */
function counterReads(s: IdentitySubjects): CounterRead[] {
  const network = networksOf(s.ip)?.network;
  const all = windowNames;
  const out: CounterRead[] = [
    { subject: 'customer', kind: 'count', key: `cu:${s.customerId}:${s.event}`, windows: all },
    { subject: 'customer', kind: 'failed_logins', key: `cu:${s.customerId}:${loginFailed}`, windows: all },
    { subject: 'customer', kind: 'failed_step_ups', key: `cu:${s.customerId}:${stepUpFailed}`, windows: all },
  ];
  if (s.deviceKey !== null)
    out.push({ subject: 'device', kind: 'count', key: `dv:${s.deviceKey}:${s.event}`, windows: all });
  if (s.deviceKey !== null && s.event === 'login') {
    out.push({ subject: 'device', kind: 'failed_logins', key: `dv:${s.deviceKey}:${loginFailed}`, windows: all });
    out.push({ subject: 'device', kind: 'customers', key: `dv:${s.deviceKey}:customers`, windows: [customersWindow] });
  }
  if (network !== undefined) {
    out.push({ subject: 'address', kind: 'count', key: `ad:${network}:${s.event}`, windows: all });
    out.push({ subject: 'address', kind: 'failed_logins', key: `ad:${network}:${loginFailed}`, windows: all });
    out.push({ subject: 'address', kind: 'failed_step_ups', key: `ad:${network}:${stepUpFailed}`, windows: all });
    if (s.event === 'login')
      out.push({ subject: 'address', kind: 'customers', key: `ad:${network}:customers`, windows: [customersWindow] });
  }
  return out;
}

/** The rows counting this event (its own kind's velocity): one per subject. */
function counterKeys(s: IdentitySubjects): string[] {
  return counterReads(s).filter((r) => r.kind === 'count').map((r) => r.key);
}

/**
 * The first-seen marks of a login's customer on its device fingerprint and /24, one per 30-day bucket (so
 * the distinct-customers counter of each bucket counts each customer once), with the counter each feeds.
 */
function customerMarks(s: IdentitySubjects, now: number): Array<{ mark: string; counter: string }> {
  if (s.event !== 'login') return [];
  const bucket = Math.floor(now / windows[customersWindow]);
  const network = networksOf(s.ip)?.network;
  const out: Array<{ mark: string; counter: string }> = [];
  if (s.deviceKey !== null)
    out.push({ mark: `lc:${s.deviceKey}:${bucket}:${s.customerId}`, counter: `dv:${s.deviceKey}:customers` });
  if (network !== undefined)
    out.push({ mark: `la:${network}:${bucket}:${s.customerId}`, counter: `ad:${network}:customers` });
  return out;
}

function listKeys(s: IdentitySubjects): { device?: string; addresses: string[]; id?: string } {
  const nets = networksOf(s.ip);
  return {
    ...(s.deviceId === null ? {} : { device: `device:${s.deviceId}` }),
    addresses: nets === undefined ? [] : [`address:${nets.network}`, `address:${nets.region}`],
    ...(s.idHash == null ? {} : { id: `id:${s.idHash}` }),
  };
}

const marks = (n: number): string => Array(n).fill('?').join(', ');

/**
 * The event's list and stored features (`device.blocked`, `address.allowed`, `id.blocked`,
 * `customer.count_1h`, `device.failed_logins_1h`, `device.customers_30d`, …) in one statement; counts
 * exclude this event.
 */
export async function identityStoredFeatures(
  q: Queryable,
  s: IdentitySubjects,
  now: number,
): Promise<Record<string, Value>> {
  const counters = counterReads(s);
  const lists = listKeys(s);
  const keys = [lists.device, ...lists.addresses, lists.id].filter((k): k is string => k !== undefined);
  const listed = listEntriesPart(keys);
  const rows = await q.all<{ t: string; key: string; v: string }>(
    `SELECT 'c' AS t, key, windows AS v FROM risk_counters WHERE key IN (${marks(counters.length)})
     UNION ALL ${listed.sql}`,
    [...counters.map((c) => c.key), ...listed.params],
  );
  const windowRows = new Map<string, CounterRow>();
  const effects = new Map<string, string>();
  for (const r of rows) {
    if (r.t === 'c') unpack(r.key, r.v, windowRows);
    else effects.set(r.key, r.t);
  }
  const out: Record<string, Value> = {};
  for (const c of counters)
    for (const w of c.windows)
      out[`${c.subject}.${c.kind}_${w}`] = estimateCount(windowRows.get(`${c.key}|${w}`), now, windows[w]);
  const is = (key: string | undefined, effect: string): boolean => key !== undefined && effects.get(key) === effect;
  out['device.blocked'] = is(lists.device, 'block');
  out['device.allowed'] = is(lists.device, 'allow');
  out['address.blocked'] = lists.addresses.some((k) => is(k, 'block'));
  out['address.allowed'] = lists.addresses.some((k) => is(k, 'allow'));
  out['id.blocked'] = is(lists.id, 'block');
  out['id.allowed'] = is(lists.id, 'allow');
  return out;
}

/**
 * Adds one to the given windows of each counter row in `tx`: one upsert that creates or locks the rows
 * and returns them (on PostgreSQL the conflicting update takes the row lock, and a row another process is
 * creating is waited for and then locked, so no increment is ever lost), and one that writes them
 * advanced. Keys in sorted order, so concurrent events lock in the same order.
 */
async function advanceCounters(tx: Tx, increments: ReadonlyMap<string, readonly WindowName[]>, now: number) {
  const keys = [...increments.keys()].sort();
  if (keys.length === 0) return;
  const locked = await tx.all<{ key: string; windows: string }>(
    `INSERT INTO risk_counters (key, windows) VALUES ${keys.map(() => "(?, '{}')").join(', ')}
     ON CONFLICT (key) DO UPDATE SET windows = risk_counters.windows RETURNING key, windows`,
    keys,
  );
  const rows = new Map<string, CounterRow>();
  for (const r of locked) unpack(r.key, r.windows, rows);
  const params = keys.flatMap((key): Param[] => {
    const advanced = new Set(increments.get(key));
    const kept = windowNames.filter((w) => advanced.has(w) || rows.has(`${key}|${w}`));
    return [key, pack(kept.map((w) => {
      const row = rows.get(`${key}|${w}`);
      return [`${key}|${w}`, advanced.has(w) ? added(row, now, windows[w], 0) : (row as CounterRow)];
    }))];
  });
  await tx.run(
    `INSERT INTO risk_counters (key, windows) VALUES ${keys.map(() => '(?, ?)').join(', ')}
     ON CONFLICT (key) DO UPDATE SET windows = excluded.windows`,
    params,
  );
}

/**
 * Counts the event in `tx` (its kind's velocity of the customer, device and /24) and, at login, marks
 * the customer on the device fingerprint and the /24: a mark new in this 30-day bucket adds one to their
 * distinct-customers counters (`ON CONFLICT DO NOTHING RETURNING`: of two processes, one gets the mark).
 */
export async function countIdentityEvent(tx: Tx, s: IdentitySubjects, now: number): Promise<void> {
  const increments = new Map<string, readonly WindowName[]>(counterKeys(s).map((key) => [key, windowNames]));
  const pending = customerMarks(s, now);
  if (pending.length > 0) {
    const marked = await tx.all<{ key: string }>(
      `INSERT INTO risk_seen (key, first_at) VALUES ${pending.map(() => '(?, ?)').join(', ')}
       ON CONFLICT (key) DO NOTHING RETURNING key`,
      pending.flatMap((p) => [p.mark, now]),
    );
    const fresh = new Set(marked.map((r) => r.key));
    for (const p of pending) if (fresh.has(p.mark)) increments.set(p.counter, [customersWindow]);
  }
  await advanceCounters(tx, increments, now);
}

/**
 * A failed attempt: `login` — a wrong password, or a wrong answer to a login challenge (code, passkey,
 * signature); `step_up` — a wrong second factor of a signed-in customer (a factor change's, a payment's).
 */
export interface FailedAttempt {
  readonly attempt: 'login' | 'step_up';
  /** Null when the phone number is no customer's. */
  readonly customerId: string | null;
  /** The device fingerprint (hex), what logins count devices by; step-ups count no device. */
  readonly deviceKey: string | null;
  readonly ip: string | null;
}

/**
 * Counts a failed attempt in `tx`: a login on the customer, the device fingerprint and the /24
 * (`*.failed_logins_*`), a step-up on the customer and the /24 (`*.failed_step_ups_*`).
 */
export async function countFailedAttempt(tx: Tx, f: FailedAttempt, now: number): Promise<void> {
  const network = networksOf(f.ip)?.network;
  const kind = f.attempt === 'login' ? loginFailed : stepUpFailed;
  const keys = [
    ...(f.customerId === null ? [] : [`cu:${f.customerId}:${kind}`]),
    ...(f.deviceKey === null || f.attempt !== 'login' ? [] : [`dv:${f.deviceKey}:${kind}`]),
    ...(network === undefined ? [] : [`ad:${network}:${kind}`]),
  ];
  await advanceCounters(tx, new Map(keys.map((key) => [key, windowNames])), now);
}

/** Whether the `id` block list holds one of these ID-number hashes (registration: every live key's index). */
export async function idNumberBlocked(q: Queryable, hashes: readonly string[]): Promise<boolean> {
  if (hashes.length === 0) return false;
  const row = await q.get(
    `SELECT value FROM risk_lists WHERE list = 'id' AND effect = 'block' AND value IN (${marks(hashes.length)})`,
    hashes,
  );
  return row !== undefined;
}
