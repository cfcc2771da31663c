// Customer access tokens: short-lived, MACed with the profile's MAC (HMAC-SHA256 or HMAC-SM3) under
// a key held sealed in the database. Stateless to check cryptographically (fast: see bench/auth.ts);
// the caller then confirms the session and its device are still live, so logout and device
// revocation take effect at once. Format: anfu_ca_<base64url JSON>.<base64url MAC>, both parts in
// canonical base64url: a token has one spelling, so an altered string is never the same token.
import { decodeCanonicalBase64url, type CryptoProfile, type SecretKey } from '../crypto/index.ts';

export const accessTokenPrefix = 'anfu_ca_';

export interface AccessTokenClaims {
  readonly sessionId: string;
  readonly customerId: string;
  readonly deviceId: string;
  /** Milliseconds since the epoch. */
  readonly expiresAt: number;
}

export interface AccessTokenCodec {
  issue(claims: AccessTokenClaims): string;
  /** The claims of an authentic, unexpired token; undefined for anything else. */
  verify(token: string, now: number): AccessTokenClaims | undefined;
}

export function accessTokenCodec(profile: CryptoProfile, key: SecretKey): AccessTokenCodec {
  return {
    issue(claims) {
      const body = Buffer.from(JSON.stringify({ s: claims.sessionId, c: claims.customerId, d: claims.deviceId, e: claims.expiresAt }), 'utf8').toString('base64url');
      return `${accessTokenPrefix}${body}.${profile.mac(key, Buffer.from(body, 'ascii')).toString('base64url')}`;
    },
    verify(token, now) {
      if (token.length > 600 || !token.startsWith(accessTokenPrefix)) return undefined;
      const dot = token.indexOf('.', accessTokenPrefix.length);
      if (dot < 0) return undefined;
      const body = token.slice(accessTokenPrefix.length, dot);
      const claimsBytes = decodeCanonicalBase64url(body);
      const mac = decodeCanonicalBase64url(token.slice(dot + 1));
      if (claimsBytes === undefined || mac === undefined || !profile.macVerify(key, Buffer.from(body, 'ascii'), mac)) return undefined;
      const claims = claimsOf(claimsBytes);
      return claims === undefined || claims.expiresAt <= now ? undefined : claims;
    },
  };
}

function claimsOf(body: Buffer): AccessTokenClaims | undefined {
  try {
    const raw = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
    const { s, c, d, e } = raw;
    if (typeof s !== 'string' || typeof c !== 'string' || typeof d !== 'string' || typeof e !== 'number') return undefined;
    return { sessionId: s, customerId: c, deviceId: d, expiresAt: e };
  } catch {
    return undefined;
  }
}
