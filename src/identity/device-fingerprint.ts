// Device fingerprint (R3.5): the attributes a browser or app reports (user agent, platform, screen,
// time zone, language, and an install id it keeps), hashed server-side with the profile's hash so
// only the digest is stored. It recognises a returning device; it proves nothing (keys do that).
import type { CryptoProfile } from '../crypto/index.ts';

export type DeviceAttributes = Readonly<Record<string, string>>;
export const deviceAttributesMax = 16;
export const deviceAttributeLengthMax = 256;

export function deviceFingerprint(profile: CryptoProfile, attributes: DeviceAttributes, userAgent: string | null): Buffer {
  const entries = Object.entries({ userAgent: userAgent ?? '', ...attributes })
    .slice(0, deviceAttributesMax + 1)
    .map(([name, value]) => [name, value.normalize('NFKC').slice(0, deviceAttributeLengthMax)] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return profile.hash(Buffer.from(JSON.stringify(entries), 'utf8'));
}

/** A readable label for the device list, from the user agent only ("Chrome on Linux"). */
export function deviceLabel(userAgent: string | null, attributes: DeviceAttributes): string {
  const given = attributes.label;
  if (given !== undefined && /^[\p{L}\p{N} ._'-]{1,40}$/u.test(given)) return given;
  const ua = userAgent ?? '';
  const browser = /Edg\//.test(ua) ? 'Edge' : /Chrome\//.test(ua) ? 'Chrome' : /Firefox\//.test(ua) ? 'Firefox' : /Safari\//.test(ua) ? 'Safari' : 'App';
  const os = /Android/.test(ua) ? 'Android' : /iPhone|iPad/.test(ua) ? 'iOS' : /Windows/.test(ua) ? 'Windows' : /Mac OS/.test(ua) ? 'macOS' : /Linux/.test(ua) ? 'Linux' : 'unknown system';
  return `${browser} on ${os}`;
}
