// The simulated issuer's account verification (docs/banks.md): matches CVV2, cardholder name and
// resident ID against the card's holder on file, then "sends" a one-time code to the phone on file
// and checks the code the platform forwards. Outcomes a test can see: 05 with field 44 naming the
// element that did not match, 55 for a wrong code, 75 when the tries are used up, 25 for an unknown
// or expired verification. Sent codes are kept for the control port (`GET /state`, `otpsSent`):
// in a simulator that is the cardholder's phone.
import {
  accountVerificationCode,
  decodeElements,
  encodeResults,
  type ElementResult,
  type VerificationResults,
} from './account-verification.ts';
import { responseMessage } from './card-messages.ts';
import type { Iso8583Message } from './iso8583-codec.ts';
import { luhnValid, panLengthMax, panLengthMin } from '../cards/index.ts';
import { panMatches, type BankSimRules } from './bank-sim-rules.ts';
import type { ResponseCode } from './response-codes.ts';

type CardRule = NonNullable<BankSimRules['cards']>[number];

interface PendingCode {
  readonly pan: string;
  readonly code: string;
  readonly expiresAtMs: number;
  attempts: number;
  state: 'sent' | 'verified' | 'exhausted';
}

export interface SentCode {
  readonly phone: string;
  readonly code: string;
}

const sentKeptMax = 100;
const pendingMax = 10_000;
const otpAttemptsDefault = 3;
const otpTtlMsDefault = 300_000;

export function isAccountVerification(request: Iso8583Message): boolean {
  return request.mti === '0100' && request.fields[3] === accountVerificationCode;
}

export class AccountVerifier {
  readonly #pending = new Map<string, PendingCode>();
  readonly #sent: SentCode[] = [];
  readonly #oneTimeCode: () => string;

  constructor(oneTimeCode: () => string) {
    this.#oneTimeCode = oneTimeCode;
  }

  get sent(): readonly SentCode[] {
    return this.#sent;
  }

  /** Answers a 0100/33: the first step (field 48 without a code) or the code's check (field 37 + code). */
  handle(request: Iso8583Message, rules: BankSimRules, nowMs: number, nextRrn: () => string): Iso8583Message {
    const pan = request.fields[2] as string;
    const screened = screen(request, rules, pan);
    if (screened !== '00') return responseMessage(request, screened, {});
    const elements = decodeElements(request.fields[48] ?? '');
    if (elements === undefined) return responseMessage(request, '30', {});
    if (elements.oneTimeCode !== undefined) return this.#checkCode(request, pan, elements.oneTimeCode, rules, nowMs);
    const holder = (rules.cards ?? []).find((card) => card.pan === pan);
    const results = matchHolder(holder, elements);
    if (holder?.phone === undefined || results.cvv2 !== 'M' || results.name !== 'M' || results.idNumber !== 'M') {
      return withResults(responseMessage(request, '05', {}), results);
    }
    const retrievalReference = nextRrn();
    const code = this.#oneTimeCode();
    this.#remember(retrievalReference, {
      pan,
      code,
      expiresAtMs: nowMs + (rules.otpTtlMs ?? otpTtlMsDefault),
      attempts: 0,
      state: 'sent',
    });
    this.#sent.push({ phone: holder.phone, code });
    if (this.#sent.length > sentKeptMax) this.#sent.shift();
    return withResults(responseMessage(request, '00', { retrievalReference }), results);
  }

  #checkCode(request: Iso8583Message, pan: string, code: string, rules: BankSimRules, nowMs: number): Iso8583Message {
    const pending = this.#pending.get(request.fields[37] ?? '');
    if (pending === undefined || pending.pan !== pan || pending.expiresAtMs <= nowMs)
      return responseMessage(request, '25', {});
    if (pending.state === 'exhausted') return responseMessage(request, '75', {});
    if (pending.state === 'verified') return responseMessage(request, '00', {});
    if (code !== pending.code) {
      pending.attempts += 1;
      if (pending.attempts >= (rules.otpAttemptsMax ?? otpAttemptsDefault)) pending.state = 'exhausted';
      return responseMessage(request, pending.state === 'exhausted' ? '75' : '55', {});
    }
    pending.state = 'verified';
    return responseMessage(request, '00', {});
  }

  #remember(reference: string, pending: PendingCode): void {
    if (this.#pending.size >= pendingMax) {
      const oldest = this.#pending.keys().next();
      if (oldest.done !== true) this.#pending.delete(oldest.value);
    }
    this.#pending.set(reference, pending);
  }
}

/** The checks every request meets first, in an issuer's order; '00' when verification may go on. */
function screen(request: Iso8583Message, rules: BankSimRules, pan: string): ResponseCode {
  if (rules.issuerUnavailable === true) return '91';
  if (pan.length < panLengthMin || pan.length > panLengthMax || !luhnValid(pan)) return '14';
  const declined = (rules.declines ?? []).find((rule) => panMatches(rule, pan, request.mti));
  if (declined !== undefined) return declined.code;
  const listed = (rules.cards ?? []).find((card) => card.pan === pan);
  if (listed === undefined && rules.unknownCards === 'decline') return '14';
  // A verification moves no money: any amount but zero is a malformed request.
  if (request.fields[4] !== '000000000000') return '13';
  if (listed?.expiry !== undefined && listed.expiry !== request.fields[14]) return '54';
  return '00';
}

function matchHolder(
  holder: CardRule | undefined,
  elements: ReturnType<typeof decodeElements> & object,
): VerificationResults {
  const compare = (onFile: string | undefined, sent: string | undefined): ElementResult => {
    if (onFile === undefined || sent === undefined) return 'U';
    return onFile.normalize('NFC').toUpperCase() === sent.normalize('NFC').toUpperCase() ? 'M' : 'N';
  };
  return {
    cvv2: compare(holder?.cvv2, elements.cvv2),
    name: compare(holder?.holderName, elements.holderName),
    idNumber: compare(holder?.holderIdNumber, elements.holderIdNumber),
  };
}

function withResults(response: Iso8583Message, results: VerificationResults): Iso8583Message {
  return { mti: response.mti, fields: { ...response.fields, 44: encodeResults(results) } };
}
