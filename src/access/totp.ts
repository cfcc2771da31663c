// Operator TOTP (RFC 6238: SHA-1, 6 digits, 30 s). A code is accepted within ±1 step, and the
// accepted step is remembered so the same code (or an older one) can never be used again.
import { Secret, TOTP } from 'otpauth';

const periodSeconds = 30;
const issuer = 'Anfu';

export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

export function otpauthUriOf(secret: string, operatorName: string): string {
  return new TOTP({ issuer, label: operatorName, secret: Secret.fromBase32(secret), period: periodSeconds }).toString();
}

/** The time step the code belongs to, or undefined when it matches none of now−1, now, now+1. */
export function totpStepOf(secret: string, code: string, now: number): number | undefined {
  if (!/^[0-9]{6}$/.test(code)) return undefined;
  const delta = TOTP.validate({ token: code, secret: Secret.fromBase32(secret), period: periodSeconds, timestamp: now, window: 1 });
  if (delta === null) return undefined;
  return Math.floor(now / 1000 / periodSeconds) + delta;
}

/** The code for a moment (tests and the CLI's self-check). */
export function totpCodeAt(secret: string, now: number): string {
  return TOTP.generate({ secret: Secret.fromBase32(secret), period: periodSeconds, timestamp: now });
}
