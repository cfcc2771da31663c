// The stored features where identity moves (login, card binding, factor change), as money's are kept:
// the block and allow entries of the device, the client's address range and the customer's ID-number
// hash, and the velocity of the event's kind — how many logins (or bindings, or factor changes) the
// customer, the device and the client's /24 had in each window — read in one statement; the event is
// counted in the transaction that stores its decision, whatever the outcome (refused attempts count).
import type { Param, Queryable, Tx } from '../store/index.ts';
import { added, estimate, windowNames, windows, type CounterRow } from './counters.ts';
import type { Value } from './features.ts';
import { networksOf } from './login-risk.ts';
import { pack, unpack } from './store.ts';

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

/** One counter row per subject and event kind (`cu:<customer>:login`): money's keys end in a currency. */
function counterKeys(s: IdentitySubjects): Array<[Counted, string]> {
  const network = networksOf(s.ip)?.network;
  const out: Array<[Counted, string]> = [['customer', `cu:${s.customerId}:${s.event}`]];
  if (s.deviceKey !== null) out.push(['device', `dv:${s.deviceKey}:${s.event}`]);
  if (network !== undefined) out.push(['address', `ad:${network}:${s.event}`]);
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
 * The event's list and velocity features (`device.blocked`, `address.allowed`, `id.blocked`,
 * `customer.count_1h`, `device.count_24h`, …) in one statement; counts exclude this event.
 */
export async function identityStoredFeatures(
  q: Queryable,
  s: IdentitySubjects,
  now: number,
): Promise<Record<string, Value>> {
  const counters = counterKeys(s);
  const lists = listKeys(s);
  const listed = [lists.device, ...lists.addresses, lists.id].filter((k): k is string => k !== undefined);
  const rows = await q.all<{ t: string; key: string; v: string }>(
    `SELECT 'c' AS t, key, windows AS v FROM risk_counters WHERE key IN (${marks(counters.length)})
     UNION ALL SELECT effect AS t, list || ':' || value AS key, '' AS v FROM risk_lists
       WHERE list || ':' || value IN (${marks(listed.length || 1)})`,
    [...counters.map(([, key]) => key), ...(listed.length === 0 ? [''] : listed)],
  );
  const windowRows = new Map<string, CounterRow>();
  const effects = new Map<string, string>();
  for (const r of rows) {
    if (r.t === 'c') unpack(r.key, r.v, windowRows);
    else effects.set(r.key, r.t);
  }
  const out: Record<string, Value> = {};
  for (const [subject, key] of counters)
    for (const w of windowNames)
      out[`${subject}.count_${w}`] = estimate(windowRows.get(`${key}|${w}`), now, windows[w]).count;
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
 * Counts the event in `tx`: one upsert that creates or locks the subjects' rows and returns them (on
 * PostgreSQL the conflicting update takes the row lock, so two processes never lose an increment), and
 * one that writes them advanced. Keys in sorted order, so concurrent events lock in the same order.
 */
export async function countIdentityEvent(tx: Tx, s: IdentitySubjects, now: number): Promise<void> {
  const keys = counterKeys(s).map(([, key]) => key).sort();
  const locked = await tx.all<{ key: string; windows: string }>(
    `INSERT INTO risk_counters (key, windows) VALUES ${keys.map(() => "(?, '{}')").join(', ')}
     ON CONFLICT (key) DO UPDATE SET windows = risk_counters.windows RETURNING key, windows`,
    keys,
  );
  const rows = new Map<string, CounterRow>();
  for (const r of locked) unpack(r.key, r.windows, rows);
  const params = keys.flatMap((key): Param[] => [
    key,
    pack(windowNames.map((w) => [`${key}|${w}`, added(rows.get(`${key}|${w}`), now, windows[w], 0n)])),
  ]);
  await tx.run(
    `INSERT INTO risk_counters (key, windows) VALUES ${keys.map(() => '(?, ?)').join(', ')}
     ON CONFLICT (key) DO UPDATE SET windows = excluded.windows`,
    params,
  );
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
