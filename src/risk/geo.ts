// IP → country and region from an offline database shipped in an npm package (issue 12, item 1):
// `@ip-location-db/geo-whois-asn-country-mmdb` (CC0, country per address block, read with `maxmind`)
// and `world-countries` (ODbL: each country's region and centroid). No network call, no key. Addresses
// that are not public (loopback, private, link-local, shared, documentation, multicast, reserved) are
// answered "unknown" before the database is asked: the database maps some private blocks to a country
// (192.168.0.0/16 reads AU), and a false country is worse than none. Distances between countries are
// between their centroids (great circle), so impossible travel is seen across borders, not inside one.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isIP } from 'node:net';
import { Reader, type Response } from 'maxmind';

export const unknownCountry = 'ZZ';
export const unknownRegion = 'unknown';

export interface IpLocation {
  /** ISO 3166-1 alpha-2, or ZZ when unknown. */
  readonly country: string;
  /** The UN sub-region ("Eastern Asia", "Western Europe"), or "unknown". */
  readonly region: string;
  /** The country's centroid, when the country is known. */
  readonly lat?: number;
  readonly lng?: number;
}

const unknown: IpLocation = Object.freeze({ country: unknownCountry, region: unknownRegion });

interface CountryRecord {
  readonly cca2: string;
  readonly subregion?: string;
  readonly region?: string;
  readonly latlng?: readonly number[];
}

let reader: Reader<Response> | undefined;
let countries: Map<string, { region: string; lat: number; lng: number }> | undefined;

function load(): void {
  const require = createRequire(import.meta.url);
  const mmdb = require.resolve('@ip-location-db/geo-whois-asn-country-mmdb/geo-whois-asn-country.mmdb');
  // eslint-disable-next-line security/detect-non-literal-fs-filename -- a fixed file of an installed package
  reader = new Reader<Response>(readFileSync(mmdb));
  // eslint-disable-next-line security/detect-non-literal-fs-filename -- a fixed file of an installed package
  const list = JSON.parse(readFileSync(require.resolve('world-countries/countries.json'), 'utf8')) as CountryRecord[];
  countries = new Map();
  for (const c of list) {
    const [lat, lng] = c.latlng ?? [];
    if (lat === undefined || lng === undefined) continue;
    countries.set(c.cca2, { region: c.subregion ?? c.region ?? unknownRegion, lat, lng });
  }
}

const v4Reserved: ReadonlyArray<[number, number]> = [
  [0x00000000, 8], // this network
  [0x0a000000, 8], // private
  [0x64400000, 10], // shared (carrier-grade NAT)
  [0x7f000000, 8], // loopback
  [0xa9fe0000, 16], // link-local
  [0xac100000, 12], // private
  [0xc0000000, 24], // IETF protocol assignments
  [0xc0000200, 24], // documentation
  [0xc0a80000, 16], // private
  [0xc6120000, 15], // benchmarking
  [0xc6336400, 24], // documentation
  [0xcb007100, 24], // documentation
  [0xe0000000, 4], // multicast
  [0xf0000000, 4], // reserved, broadcast
];

function v4Number(ip: string): number {
  return ip.split('.').reduce((n, part) => n * 256 + Number(part), 0);
}

/** Whether the address is one no public database can place (private, loopback, documentation, …). */
export function isNonPublicAddress(ip: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  const address = mapped?.[1] ?? ip;
  const family = isIP(address);
  if (family === 4) {
    const n = v4Number(address);
    return v4Reserved.some(([base, bits]) => Math.floor(n / 2 ** (32 - bits)) === Math.floor(base / 2 ** (32 - bits)));
  }
  if (family !== 6) return true;
  const lower = address.toLowerCase();
  if (lower === '::' || lower === '::1') return true;
  const first = parseInt(lower.split(':')[0] || '0', 16);
  if ((first & 0xfe00) === 0xfc00) return true; // unique local fc00::/7
  if ((first & 0xffc0) === 0xfe80) return true; // link-local fe80::/10
  if ((first & 0xff00) === 0xff00) return true; // multicast
  if (lower.startsWith('2001:db8:') || lower.startsWith('2001:0db8:')) return true; // documentation
  return first < 0x2000 || first > 0x3fff; // only 2000::/3 is global unicast
}

// A money event asks for its address's place three times (its features, the batch's habit, the stored
// habit), ≈ 3 µs each: the places of the most recent addresses are kept, the oldest forgotten first. The
// database is a file of the installed package, read once, so a kept answer is the answer.
const placed = new Map<string, IpLocation>();
const placedMax = 4096;

/** The country and region of a client address; "unknown" for a missing, malformed or non-public one. */
export function locate(ip: string | null | undefined): IpLocation {
  if (ip === null || ip === undefined || ip === '') return unknown;
  const kept = placed.get(ip);
  if (kept !== undefined) return kept;
  const here = lookUp(ip);
  if (placed.size >= placedMax) placed.delete(placed.keys().next().value as string);
  placed.set(ip, here);
  return here;
}

/** locate without the kept answers: the database asked (exported for its test). */
export function lookUp(ip: string): IpLocation {
  if (isNonPublicAddress(ip)) return unknown;
  if (reader === undefined || countries === undefined) load();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  let code: unknown;
  try {
    // This database's records are { country_code }: not one of the reader's MaxMind shapes.
    code = (reader?.get(mapped?.[1] ?? ip) as { country_code?: unknown } | null | undefined)?.country_code;
  } catch {
    return unknown;
  }
  if (typeof code !== 'string' || !/^[A-Z]{2}$/.test(code)) return unknown;
  const c = countries?.get(code);
  return c === undefined ? { country: code, region: unknownRegion } : { country: code, ...c };
}

/** Great-circle distance in kilometres (haversine, mean Earth radius). */
export function distanceKm(a: { lat: number; lng: number }, b: { lat: number; lng: number }): number {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLng = (b.lng - a.lng) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLng / 2) ** 2;
  return 2 * 6371 * Math.asin(Math.min(1, Math.sqrt(h)));
}
