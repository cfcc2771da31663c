// TOTP (RFC 6238) through `otpauth`: SHA-1, 6 digits, 30-second steps — what every authenticator
// app understands. A code is accepted within ±1 step and only for a step later than the last one
// accepted, so an observed code cannot be replayed even inside its window.
import * as OTPAuth from 'otpauth';
import QRCode from 'qrcode';

export const totpPeriodSeconds = 30;
export const totpDigits = 6;
export const totpWindowSteps = 1;
const issuer = 'Anfu';

export function newTotpSecret(): string {
  return new OTPAuth.Secret({ size: 20 }).base32;
}

function totpOf(secretBase32: string, label = 'wallet', options: { digits?: number; algorithm?: string } = {}): OTPAuth.TOTP {
  return new OTPAuth.TOTP({ issuer, label, algorithm: options.algorithm ?? 'SHA1', digits: options.digits ?? totpDigits, period: totpPeriodSeconds, secret: OTPAuth.Secret.fromBase32(secretBase32) });
}

/** The code for `timeMs` (tests, and RFC 6238 vectors with other digits/algorithms). */
export function totpCode(secretBase32: string, timeMs: number, options: { digits?: number; algorithm?: 'SHA1' | 'SHA256' | 'SHA512' } = {}): string {
  return totpOf(secretBase32, 'wallet', options).generate({ timestamp: timeMs });
}

export function totpStep(timeMs: number): number {
  return Math.floor(timeMs / 1000 / totpPeriodSeconds);
}

export type TotpCheck = { readonly ok: true; readonly step: number } | { readonly ok: false; readonly reason: 'wrong' | 'reused' };

/** Pure: the step the code belongs to, if it is within the window and after `lastStep`. */
export function checkTotp(secretBase32: string, code: string, nowMs: number, lastStep: number): TotpCheck {
  if (!/^[0-9]{6}$/.test(code)) return { ok: false, reason: 'wrong' };
  const delta = totpOf(secretBase32).validate({ token: code, timestamp: nowMs, window: totpWindowSteps });
  if (delta === null) return { ok: false, reason: 'wrong' };
  const step = totpStep(nowMs) + delta;
  return step > lastStep ? { ok: true, step } : { ok: false, reason: 'reused' };
}

export interface TotpEnrolment {
  readonly secret: string;
  readonly uri: string;
  readonly qrSvg: string;
}

/** The otpauth:// URI and its QR code; the label is a masked phone number, never the whole one. */
export async function totpEnrolment(secretBase32: string, label: string): Promise<TotpEnrolment> {
  const uri = totpOf(secretBase32, label).toString();
  const qrSvg = await QRCode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 1 });
  return { secret: secretBase32, uri, qrSvg };
}
