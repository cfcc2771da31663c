// The simulated issuing bank: cards with balances, authorisation holds, payouts, reversals and
// duplicate detection. Synchronous and in memory; the clock and the randomness are passed in, so
// every decision can be tested as a table without a socket.
import { findCurrency, findCurrencyByNumeric, type Currency } from '../money/index.ts';
import { correlationKey, processingCodes, responseMessage } from './card-messages.ts';
import { encodeMessage, type Iso8583Message } from './iso8583-codec.ts';
import { luhnValid, maskPan, panLengthMax, panLengthMin } from '../cards/index.ts';
import { panMatches, type BankSimRules } from './bank-sim-rules.ts';
import { AccountVerifier, isAccountVerification, type SentCode } from './bank-sim-verification.ts';
import type { ResponseCode } from './response-codes.ts';

interface SimCard {
  readonly currency: Currency;
  readonly expiry: string | undefined;
  readonly limitMinor: bigint | undefined;
  balanceMinor: bigint;
  heldMinor: bigint;
}

/** What an approved request did at the issuer, so a reversal can undo exactly that. */
type Effect = {
  kind: 'hold' | 'debit' | 'credit';
  pan: string;
  amountMinor: bigint;
  state: 'applied' | 'pending' | 'reversed';
};

interface Outcome {
  /** The request's bytes without the repeat digit: a repeat must be the same request. */
  readonly fingerprint: string;
  readonly firstSeenMs: number;
  response: Iso8583Message;
  effect: Effect | undefined;
}

export interface IssuerSnapshot {
  readonly cards: readonly { panMasked: string; balanceMinor: string; heldMinor: string }[];
  readonly received: Readonly<Record<string, number>>;
  readonly approvals: number;
  readonly reversalsApplied: number;
  readonly duplicates: number;
  /** One-time codes "sent" to cardholders' phones for account verification (the newest 100). */
  readonly otpsSent: readonly SentCode[];
}

export const outcomesMax = 100_000;
const unlimited = 10n ** 18n;
const mandatory: Record<string, readonly number[]> = {
  '0100': [2, 3, 4, 7, 11, 12, 14, 41, 42, 49],
  '0200': [2, 3, 4, 7, 11, 12, 41, 42, 49],
  '0400': [2, 3, 4, 7, 11, 41, 49, 90],
  '0800': [7, 11, 70],
};

export class Issuer {
  #rules: BankSimRules = {};
  readonly #cards = new Map<string, SimCard>();
  readonly #outcomes = new Map<string, Outcome>();
  readonly #received: Record<string, number> = {};
  #approvals = 0;
  #reversalsApplied = 0;
  #duplicates = 0;
  #rrnSequence = 0;
  readonly #authorisationCode: () => string;
  readonly #verifier: AccountVerifier;

  /** `oneTimeCode` draws the six digits an account verification sends to the cardholder. */
  constructor(rules: BankSimRules, authorisationCode: () => string, oneTimeCode: () => string = () => '000000') {
    this.#authorisationCode = authorisationCode;
    this.#verifier = new AccountVerifier(oneTimeCode);
    this.configure(rules);
  }

  /** New rules; cards listed are (re)loaded with their balances, holds on them are kept. */
  configure(rules: BankSimRules): void {
    const currencies = (rules.cards ?? []).map((card) => {
      const currency = findCurrency(card.currency ?? 'CNY');
      if (currency === undefined)
        throw new RangeError(`unknown currency in bank simulator rules for card ${maskPan(card.pan)}`);
      return currency;
    });
    // Checked whole before anything changes: a refused document leaves the previous rules in force.
    this.#rules = rules;
    for (const [i, card] of (rules.cards ?? []).entries()) {
      const currency = currencies[i] as Currency;
      const heldMinor = this.#cards.get(card.pan)?.heldMinor ?? 0n;
      this.#cards.set(card.pan, {
        currency,
        heldMinor,
        expiry: card.expiry,
        balanceMinor: BigInt(card.balanceMinor),
        limitMinor: card.limitMinor === undefined ? undefined : BigInt(card.limitMinor),
      });
    }
  }

  get rules(): BankSimRules {
    return this.#rules;
  }

  /** The answer to one request, or undefined when the message is not one to answer (a response). */
  handle(received: Iso8583Message, nowMs: number): Iso8583Message | undefined {
    this.#received[received.mti] = (this.#received[received.mti] ?? 0) + 1;
    // A repeat (0101, 0201, 0401) is the same request sent again: handled as the original type, so
    // it meets the original's outcome through duplicate detection.
    const kind = /^0[124]01$/.test(received.mti) ? `${received.mti.slice(0, 3)}0` : received.mti;
    const request = { mti: kind, fields: received.fields };
    if (!(kind in mandatory)) return Number(request.mti[2]) % 2 === 0 ? responseMessage(request, '12', {}) : undefined;
    if (mandatory[kind]?.some((n) => request.fields[n as keyof typeof request.fields] === undefined))
      return responseMessage(request, '30', {});
    if (kind === '0800') return responseMessage(request, '00', {});
    const key = correlationKey(request);
    const fingerprint = encodeMessage(request).toString('latin1');
    const seen = this.#outcomes.get(key);
    if (seen !== undefined) return this.#repeat(seen, fingerprint, request, nowMs);
    const outcome: Outcome = {
      fingerprint,
      firstSeenMs: nowMs,
      response: responseMessage(request, '96', {}),
      effect: undefined,
    };
    this.#remember(key, outcome);
    if (received.mti === kind && kind !== '0400' && this.#stale(request.fields[7] as string, nowMs))
      outcome.response = responseMessage(request, '30', {});
    else if (kind === '0400') outcome.response = this.#reverse(request);
    else if (isAccountVerification(request))
      outcome.response = this.#verifier.handle(request, this.#rules, nowMs, () => this.#nextRrn(nowMs));
    else this.#decide(request, outcome, nowMs);
    return outcome.response;
  }

  /** Same request again: the first answer, never a second authorisation. A payout repeat is its status query. */
  #repeat(seen: Outcome, fingerprint: string, request: Iso8583Message, nowMs: number): Iso8583Message {
    this.#duplicates += 1;
    if (seen.fingerprint !== fingerprint) return responseMessage(request, '94', {});
    if (seen.effect?.state === 'pending') this.#settlePayout(seen, nowMs);
    return seen.response;
  }

  /** Field 7 (MMDDhhmmss, UTC, no year) further than `transmissionWindowMs` from now, the nearest year assumed. */
  #stale(transmitted: string, nowMs: number): boolean {
    const windowMs = this.#rules.transmissionWindowMs;
    if (windowMs === undefined) return false;
    const [month, day, hour, minute, second] = (transmitted.match(/[0-9]{2}/g) ?? []).map(Number);
    const year = new Date(nowMs).getUTCFullYear();
    const at = (y: number) => Date.UTC(y, (month ?? 1) - 1, day, hour, minute, second);
    const distanceMs = Math.min(...[year - 1, year, year + 1].map((y) => Math.abs(at(y) - nowMs)));
    return distanceMs > windowMs;
  }

  #remember(key: string, outcome: Outcome): void {
    if (this.#outcomes.size >= outcomesMax) {
      const oldest = this.#outcomes.keys().next();
      if (oldest.done !== true) this.#outcomes.delete(oldest.value);
    }
    this.#outcomes.set(key, outcome);
  }

  #decide(request: Iso8583Message, outcome: Outcome, nowMs: number): void {
    const pan = request.fields[2] as string;
    const amountMinor = BigInt(request.fields[4] as string);
    const payout = request.mti === '0200' && request.fields[3] === processingCodes.payoutCredit;
    const code = this.#screen(request, pan, amountMinor, payout, nowMs);
    if (code !== '00') {
      outcome.response = responseMessage(request, code, {});
      return;
    }
    const card = this.#cardOf(pan);
    const approval = { retrievalReference: this.#nextRrn(nowMs), authorisationCode: this.#authorisationCode() };
    this.#approvals += 1;
    if (payout) {
      outcome.effect = { kind: 'credit', pan, amountMinor, state: 'pending' };
      outcome.response = responseMessage(request, '09', { retrievalReference: approval.retrievalReference });
      this.#settlePayout(outcome, nowMs);
      return;
    }
    // A single-message (0200) purchase debits at once; an authorisation (0100) only holds.
    const kind = request.mti === '0200' ? 'debit' : 'hold';
    if (kind === 'debit') card.balanceMinor -= amountMinor;
    else card.heldMinor += amountMinor;
    outcome.effect = { kind, pan, amountMinor, state: 'applied' };
    outcome.response = responseMessage(request, '00', approval);
  }

  /** The decline rules in the order an issuer applies them; '00' when the request may go ahead. */
  #screen(request: Iso8583Message, pan: string, amountMinor: bigint, payout: boolean, nowMs: number): ResponseCode {
    const rules = this.#rules;
    if (rules.issuerUnavailable === true) return '91';
    const currency = findCurrencyByNumeric(request.fields[49] as string);
    if (currency === undefined) return '12';
    const processing = request.fields[3];
    if (processing !== processingCodes.purchase && !(payout && request.mti === '0200')) return '12';
    if (pan.length < panLengthMin || pan.length > panLengthMax || !luhnValid(pan)) return '14';
    const declined = (rules.declines ?? []).find((rule) => panMatches(rule, pan, request.mti));
    if (declined !== undefined) return declined.code;
    const listed = this.#cards.get(pan);
    if (listed === undefined && rules.unknownCards === 'decline') return '14';
    if (amountMinor === 0n) return '13';
    const card = this.#cardOf(pan);
    if (!payout && this.#expired(request.fields[14], card, nowMs)) return '54';
    if (card.currency.numeric !== currency.numeric) return '12';
    const limit =
      card.limitMinor ?? (rules.amountLimitMinor === undefined ? undefined : BigInt(rules.amountLimitMinor));
    if (!payout && limit !== undefined && amountMinor > limit) return '61';
    if (!payout && card.balanceMinor - card.heldMinor < amountMinor) return '51';
    return '00';
  }

  #expired(expiry: string | undefined, card: SimCard, nowMs: number): boolean {
    if (expiry === undefined) return true;
    if (card.expiry !== undefined && card.expiry !== expiry) return true;
    const now = new Date(nowMs);
    const current =
      String(now.getUTCFullYear() % 100).padStart(2, '0') + String(now.getUTCMonth() + 1).padStart(2, '0');
    return expiry < current;
  }

  /** Listed cards as configured; an unlisted (Luhn-valid) card is created with unlimited funds in CNY. */
  #cardOf(pan: string): SimCard {
    let card = this.#cards.get(pan);
    if (card === undefined) {
      card = {
        currency: findCurrency('CNY') as Currency,
        expiry: undefined,
        limitMinor: undefined,
        balanceMinor: unlimited,
        heldMinor: 0n,
      };
      this.#cards.set(pan, card);
    }
    return card;
  }

  #settlePayout(outcome: Outcome, nowMs: number): void {
    const effect = outcome.effect;
    if (effect === undefined || effect.state !== 'pending') return;
    if (nowMs - outcome.firstSeenMs < (this.#rules.payoutSettleMs ?? 0)) return;
    this.#cardOf(effect.pan).balanceMinor += effect.amountMinor;
    effect.state = 'applied';
    outcome.response = {
      ...outcome.response,
      fields: { ...outcome.response.fields, 38: this.#authorisationCode(), 39: '00' },
    };
  }

  /** A reversal finds its original through field 90 and undoes what it did, once. */
  #reverse(request: Iso8583Message): Iso8583Message {
    const original = request.fields[90] as string;
    const originalKey = `${original.slice(0, 2)}|${original.slice(4, 10)}|${original.slice(10, 20)}|${request.fields[41] ?? ''}`;
    const found = this.#outcomes.get(originalKey);
    if (found === undefined) {
      // Remember the reversal under the original's key: should the original arrive late, it is
      // answered as a duplicate that does not match (94) instead of holding funds nobody will release.
      this.#remember(originalKey, {
        fingerprint: 'reversed-before-seen',
        firstSeenMs: 0,
        response: responseMessage(request, '25', {}),
        effect: undefined,
      });
      return responseMessage(request, '25', {});
    }
    const effect = found.effect;
    if (effect !== undefined && effect.state !== 'reversed') {
      const card = this.#cardOf(effect.pan);
      if (effect.kind === 'hold') card.heldMinor -= effect.amountMinor;
      else if (effect.kind === 'debit') card.balanceMinor += effect.amountMinor;
      else if (effect.state === 'applied') card.balanceMinor -= effect.amountMinor; // a pending payout never credited
      effect.state = 'reversed';
      this.#reversalsApplied += 1;
    }
    return responseMessage(request, '00', {});
  }

  /** RRN as banks print it: last digit of the year, day of the year, hour, then a sequence. */
  #nextRrn(nowMs: number): string {
    const now = new Date(nowMs);
    const dayOfYear = Math.floor((nowMs - Date.UTC(now.getUTCFullYear(), 0, 1)) / 86_400_000) + 1;
    this.#rrnSequence = (this.#rrnSequence % 999_999) + 1;
    return `${now.getUTCFullYear() % 10}${String(dayOfYear).padStart(3, '0')}${String(now.getUTCHours()).padStart(2, '0')}${String(this.#rrnSequence).padStart(6, '0')}`;
  }

  snapshot(): IssuerSnapshot {
    const cards = [...this.#cards.entries()].map(([pan, card]) => ({
      panMasked: maskPan(pan),
      balanceMinor: card.balanceMinor.toString(),
      heldMinor: card.heldMinor.toString(),
    }));
    return {
      cards,
      received: { ...this.#received },
      approvals: this.#approvals,
      reversalsApplied: this.#reversalsApplied,
      duplicates: this.#duplicates,
      otpsSent: [...this.#verifier.sent],
    };
  }
}
