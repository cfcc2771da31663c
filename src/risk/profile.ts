// A customer's habit as pure arithmetic (issue 12, item 1): the hour-of-day histogram of their money
// events and their last known location. From it: `hour.deviation` (hours from the nearest hour the
// customer uses, once there is enough history), `travel.distance_km` / `travel.speed_kmh` between the
// last located event and this one, and `travel.impossible` (a border crossed faster than an airliner).
// Stored as one JSON row per customer (risk_profiles), read with the counters, written with them.
import { distanceKm, locate, unknownCountry, type IpLocation } from './geo.ts';
import type { Value } from './features.ts';

export interface RiskProfile {
  /** Events per local hour 0–23 (halved when the total passes `maxHistory`, so habits can change). */
  readonly hours: readonly number[];
  /** The last located event: country, its centroid, when. */
  readonly last?: { readonly country: string; readonly lat: number; readonly lng: number; readonly at: number };
}

/** Events needed before the hour histogram counts as a habit. */
export const minHistory = 10;
/** An hour is "usual" when it holds at least this share of the history. */
export const usualShare = 0.05;
const maxHistory = 2000;
/** Faster than this between two countries' centroids is impossible (an airliner with its airports). */
export const impossibleSpeedKmh = 1000;
/** Below this distance (neighbouring countries' centroids) travel is never called impossible. */
export const impossibleMinKm = 500;

export const emptyProfile: RiskProfile = Object.freeze({ hours: Object.freeze(Array<number>(24).fill(0)) });

/** Circular distance in hours from `hour` to the nearest usual hour; 0 without enough history. */
export function hourDeviation(profile: RiskProfile, hour: number): number {
  const total = profile.hours.reduce((a, b) => a + b, 0);
  if (total < minHistory) return 0;
  let best = 12;
  for (let h = 0; h < 24; h += 1) {
    if ((profile.hours[h] ?? 0) < total * usualShare) continue;
    const d = Math.abs(h - hour);
    best = Math.min(best, d, 24 - d);
  }
  return best;
}

/** The location and habit features of an event at `now` (local hour `hour`) from `ip`. */
export function profileFeatures(
  profile: RiskProfile | undefined,
  ip: string | null | undefined,
  hour: number,
  now: number,
): Record<string, Value> {
  const p = profile ?? emptyProfile;
  const here = locate(ip);
  const out: Record<string, Value> = {
    'ip.country': here.country,
    'ip.region': here.region,
    'address.country': here.country,
    'hour.deviation': hourDeviation(p, hour),
    'hour.history': p.hours.reduce((a, b) => a + b, 0),
  };
  const travel = travelOf(p, here, now);
  out['travel.distance_km'] = travel.km;
  out['travel.speed_kmh'] = travel.kmh;
  out['travel.impossible'] = travel.km >= impossibleMinKm && travel.kmh > impossibleSpeedKmh;
  return out;
}

function travelOf(p: RiskProfile, here: IpLocation, now: number): { km: number; kmh: number } {
  if (p.last === undefined || here.lat === undefined || here.lng === undefined) return { km: 0, kmh: 0 };
  if (p.last.country === here.country) return { km: 0, kmh: 0 };
  const km = Math.round(distanceKm(p.last, { lat: here.lat, lng: here.lng }));
  const hours = Math.max(now - p.last.at, 60_000) / 3_600_000;
  return { km, kmh: Math.round(km / hours) };
}

/** The profile after counting an event at `now` (local hour `hour`) from `ip`. */
export function profileAfter(
  profile: RiskProfile | undefined,
  ip: string | null | undefined,
  hour: number,
  now: number,
): RiskProfile {
  const p = profile ?? emptyProfile;
  let hours = p.hours.map((n, h) => (h === hour ? n + 1 : n));
  if (hours.reduce((a, b) => a + b, 0) > maxHistory) hours = hours.map((n) => Math.floor(n / 2));
  const here = locate(ip);
  const located = here.country !== unknownCountry && here.lat !== undefined && here.lng !== undefined;
  const last = located ? { country: here.country, lat: here.lat ?? 0, lng: here.lng ?? 0, at: now } : p.last;
  return last === undefined ? { hours } : { hours, last };
}

/** The stored JSON of a profile, tolerant of a row written by another version (unknown fields dropped). */
export function parseProfile(json: string): RiskProfile {
  try {
    const raw = JSON.parse(json) as { hours?: unknown; last?: unknown };
    const hours =
      Array.isArray(raw.hours) && raw.hours.length === 24 && raw.hours.every((n) => Number.isInteger(n) && n >= 0)
        ? (raw.hours as number[])
        : emptyProfile.hours;
    const l = raw.last as RiskProfile['last'] | undefined;
    const last =
      l !== undefined && typeof l.country === 'string' && [l.lat, l.lng, l.at].every((n) => typeof n === 'number')
        ? { country: l.country, lat: l.lat, lng: l.lng, at: l.at }
        : undefined;
    return last === undefined ? { hours } : { hours, last };
  } catch {
    return emptyProfile;
  }
}

/** The profile after a login from `ip` at `now`: the last location moves, the hour habit (money events) does not. */
export function relocated(profile: RiskProfile | undefined, ip: string | null | undefined, now: number): RiskProfile {
  const p = profile ?? emptyProfile;
  const here = locate(ip);
  if (here.country === unknownCountry || here.lat === undefined || here.lng === undefined) return p;
  return { hours: p.hours, last: { country: here.country, lat: here.lat, lng: here.lng, at: now } };
}
