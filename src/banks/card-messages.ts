// The card link's messages, built from and read into domain values (amounts as bigint minor
// units, currencies from src/money). Both the platform's client and the simulator use these, so the
// two sides cannot drift apart on layout.
import type { Currency } from '../money/index.ts';
import type { Iso8583Message } from './iso8583-codec.ts';
import type { Fields } from './iso8583-fields.ts';
import { maskPan, type CardNumber } from '../cards/index.ts';

export const processingCodes = {
  /** Goods and services from the default account: the top-up authorisation. */
  purchase: '000000',
  /** Credit to the cardholder's account (an original credit): the withdrawal payout. */
  payoutCredit: '260000',
} as const;

/** Manual key entry by an e-commerce acquirer: no chip or stripe is read for a top-up. */
export const posEntryModeKeyed = '012';
export const echoNetworkCode = '301';
export const amountMinorMax = 999_999_999_999n; // n12

export interface CardRequest {
  readonly mti: '0100' | '0200';
  readonly processingCode: string;
  readonly pan: CardNumber;
  /** YYMM; a payout to an account number has none. */
  readonly expiry: string | undefined;
  readonly amountMinor: bigint;
  readonly currency: Currency;
  readonly stan: string;
  readonly transmissionDateTime: string;
  readonly localTime: string;
  readonly terminalId: string;
  readonly merchantId: string;
}

const two = (n: number): string => String(n).padStart(2, '0');

/** Field 7 is GMT by the standard: MMDDhhmmss. */
export function transmissionDateTime(at: Date): string {
  return two(at.getUTCMonth() + 1) + two(at.getUTCDate()) + two(at.getUTCHours()) + two(at.getUTCMinutes()) + two(at.getUTCSeconds());
}

/** Field 12 is the terminal's local time; the offset is the acquirer's zone (Beijing by default). */
export function localTime(at: Date, utcOffsetMinutes: number): string {
  const local = new Date(at.getTime() + utcOffsetMinutes * 60_000);
  return two(local.getUTCHours()) + two(local.getUTCMinutes()) + two(local.getUTCSeconds());
}

export function formatStan(n: number): string {
  return String(n).padStart(6, '0');
}

/** Fixed-length ans fields are left-justified and space-padded. */
export function padRight(value: string, length: number): string {
  return value.padEnd(length, ' ');
}

export function cardRequestMessage(request: CardRequest): Iso8583Message {
  const fields: Record<number, string> = {
    2: request.pan.reveal(),
    3: request.processingCode,
    4: request.amountMinor.toString().padStart(12, '0'),
    7: request.transmissionDateTime,
    11: request.stan,
    12: request.localTime,
    22: posEntryModeKeyed,
    41: padRight(request.terminalId, 8),
    42: padRight(request.merchantId, 15),
    49: request.currency.numeric,
  };
  if (request.expiry !== undefined) fields[14] = request.expiry;
  return { mti: request.mti, fields };
}

/**
 * A reversal of `original`, with its own STAN and time; field 90 names the original (MTI, STAN,
 * transmission time) so the issuer can find it. A retry is the repeat MTI 0401 with identical fields.
 */
export function reversalMessage(original: CardRequest, reversal: { stan: string; transmissionDateTime: string; localTime: string; repeat: boolean }): Iso8583Message {
  const base = cardRequestMessage(original);
  const originalData = original.mti + original.stan + original.transmissionDateTime + '0'.repeat(22);
  const fields: Fields = { ...base.fields, 7: reversal.transmissionDateTime, 11: reversal.stan, 12: reversal.localTime, 90: originalData };
  return { mti: reversal.repeat ? '0401' : '0400', fields };
}

export function echoMessage(stan: string, at: string): Iso8583Message {
  return { mti: '0800', fields: { 7: at, 11: stan, 70: echoNetworkCode } };
}

/** 0100 → 0110, 0401 → 0410: function digit + 1, origin back to 0 (a repeat's answer is an answer). */
export function responseMtiOf(requestMti: string): string {
  return `${requestMti.slice(0, 2)}${Number(requestMti[2]) + 1}0`;
}

/**
 * What pairs a response with its request on a shared connection: the message class plus the
 * fields a response must echo (STAN, transmission time, terminal).
 */
export function correlationKey(message: Iso8583Message): string {
  const f = message.fields;
  return `${message.mti.slice(0, 2)}|${f[11] ?? ''}|${f[7] ?? ''}|${f[41] ?? ''}`;
}

/** Fields a response echoes from its request, before the responder adds 37, 38 and 39. */
export const echoedFields = [2, 3, 4, 7, 11, 12, 41, 42, 49, 70, 90] as const;

export function responseMessage(request: Iso8583Message, code: string, extra: { retrievalReference?: string; authorisationCode?: string }): Iso8583Message {
  const fields: Partial<Record<number, string>> = {};
  for (const n of echoedFields) if (request.fields[n] !== undefined) fields[n] = request.fields[n];
  if (extra.retrievalReference !== undefined) fields[37] = extra.retrievalReference;
  if (extra.authorisationCode !== undefined) fields[38] = extra.authorisationCode;
  fields[39] = code;
  return { mti: responseMtiOf(request.mti), fields: fields as Fields };
}

/** What a log line may say about a message: never the PAN itself. */
export function describeMessage(message: Iso8583Message): Record<string, string | undefined> {
  const pan = message.fields[2];
  return { mti: message.mti, stan: message.fields[11], panMasked: pan === undefined ? undefined : maskPan(pan), amountMinor: message.fields[4], responseCode: message.fields[39] };
}
