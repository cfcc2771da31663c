// The platform's link to the card-issuing bank: authorise a top-up, reverse what the platform gave
// up on, pay a withdrawal out and ask for its status. Outcomes are values the payments flow switches
// over; the only thrown errors are the caller's invalid input (AnfuError).
//
// The timeout rule: an authorisation unanswered within `responseTimeoutMs` (or lost with its
// connection) is reversed with 0400, repeated as 0401 up to `reversalAttemptsMax` times, so the
// issuer never keeps a hold the platform does not know about. A payout is never reversed on a
// timeout: money leaving the platform needs a final answer, so it stays `processing` and the flow
// asks again with `payoutStatus`.
import { randomInt } from 'node:crypto';
import { AnfuError } from '../errors.ts';
import type { Amount } from '../money/index.ts';
import {
  amountMinorMax,
  cardRequestMessage,
  echoMessage,
  formatStan,
  localTime,
  processingCodes,
  reversalMessage,
  transmissionDateTime,
  type CardRequest,
} from './card-messages.ts';
import { LinkConnection, silentLog, type LinkLog, type LinkOutcome } from './link-connection.ts';
import { CardNumber, panLengthMax, panLengthMin } from '../cards/index.ts';
import { isRetryable, responseMeaning } from './response-codes.ts';
import {
  accountVerificationCode,
  decodeResults,
  withVerification,
  type VerificationResults,
} from './account-verification.ts';
import type { Currency } from '../money/index.ts';

export interface CardLinkOptions {
  readonly host?: string;
  readonly port: number;
  /** Field 41, up to 8 characters. */
  readonly terminalId: string;
  /** Field 42, up to 15 characters. */
  readonly merchantId: string;
  readonly responseTimeoutMs?: number;
  readonly reversalTimeoutMs?: number;
  readonly reversalAttemptsMax?: number;
  readonly reversalRetryDelayMs?: number;
  readonly connectTimeoutMs?: number;
  /** The acquirer's zone for field 12 (local time); Beijing by default. */
  readonly utcOffsetMinutes?: number;
  readonly clock?: () => Date;
  readonly log?: LinkLog;
}

export const cardLinkDefaults: {
  readonly host: string;
  readonly responseTimeoutMs: number;
  readonly reversalAttemptsMax: number;
  readonly reversalRetryDelayMs: number;
  readonly connectTimeoutMs: number;
  readonly utcOffsetMinutes: number;
} = {
  host: '127.0.0.1',
  responseTimeoutMs: 3_000,
  reversalAttemptsMax: 3,
  reversalRetryDelayMs: 250,
  connectTimeoutMs: 2_000,
  utcOffsetMinutes: 480,
};

export interface AuthoriseRequest {
  readonly pan: string;
  /** YYMM, as printed on the card (MM/YY) reversed. */
  readonly expiry: string;
  readonly amount: Amount;
  /** Six digits; generated when absent. Give one (from a database sequence) to make retries after a crash findable. */
  readonly stan?: string;
  /** Fields 7 and 12 as stored before sending (from `stamp()`), so a crash mid-call can still be reversed. */
  readonly sentAt?: SentAt;
  /** The STAN of the reversal sent if the authorisation goes unanswered (from the same database sequence). */
  readonly reversalStan?: string;
}

/** ISO 8583 fields 7 (transmission date and time, UTC) and 12 (local time) of a request. */
export interface SentAt {
  readonly transmissionDateTime: string;
  readonly localTime: string;
}

export type ReversalResult =
  /** The issuer released the hold (00) or never had it (25). */
  | { readonly outcome: 'reversed'; readonly responseCode: '00' | '25' }
  /** No confirmation after every attempt: keep `reference` and call `reverse` again later. */
  | { readonly outcome: 'unconfirmed' };

export type AuthorisationResult =
  | {
      readonly outcome: 'approved';
      readonly authorisationCode: string;
      readonly retrievalReference: string;
      readonly reference: CardRequest;
    }
  | {
      readonly outcome: 'declined';
      readonly responseCode: string;
      readonly meaning: string;
      readonly retryable: boolean;
      readonly reference: CardRequest;
    }
  /** No answer in time: the authorisation was reversed (or the reversal is still owed, see `reversal`). */
  | { readonly outcome: 'timeout'; readonly reversal: ReversalResult['outcome']; readonly reference: CardRequest }
  /** The bank could not be reached; nothing was sent, nothing to undo. */
  | { readonly outcome: 'unavailable'; readonly reason: string };

export interface PayoutRequest {
  /** The customer's verified account (a debit card number in China's banks). */
  readonly accountPan: string;
  readonly amount: Amount;
  readonly stan?: string;
  readonly sentAt?: SentAt;
}

export type PayoutResult =
  | { readonly outcome: 'completed'; readonly retrievalReference: string; readonly reference: CardRequest }
  /** Not paid. `retryable` (91, 96): the bank did not process it; a new payout (new STAN) may succeed. */
  | {
      readonly outcome: 'failed';
      readonly responseCode: string;
      readonly meaning: string;
      readonly retryable: boolean;
      readonly reference: CardRequest;
    }
  /** In progress at the bank (09) or no answer: ask again with `payoutStatus(reference)`. */
  | { readonly outcome: 'processing'; readonly reference: CardRequest }
  | { readonly outcome: 'unavailable'; readonly reason: string };

/** Account verification at binding (docs/banks.md): the card, its CVV2 and the cardholder checked by the issuer. */
export interface AccountVerificationRequest {
  /** From the database (unique per day across processes), like every STAN the platform sends. */
  readonly stan?: string;
  readonly pan: string;
  readonly expiry: string;
  readonly cvv2: string;
  readonly holderName: string;
  readonly holderIdNumber: string;
  readonly currency: Currency;
}

export type AccountVerificationResult =
  /** Everything matched; the issuer sent a one-time code to the cardholder's phone. `reference` names this verification. */
  | { readonly outcome: 'code_sent'; readonly retrievalReference: string }
  | {
      readonly outcome: 'declined';
      readonly responseCode: string;
      readonly meaning: string;
      readonly retryable: boolean;
      readonly results: VerificationResults;
    }
  /** Not sent, or no answer: a zero-amount request holds nothing, so nothing is reversed. */
  | { readonly outcome: 'unavailable'; readonly reason: string };

export type OneTimeCodeResult =
  | { readonly outcome: 'verified' }
  | {
      readonly outcome: 'declined';
      readonly responseCode: string;
      readonly meaning: string;
      readonly retryable: boolean;
    }
  | { readonly outcome: 'unavailable'; readonly reason: string };

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const ansPattern = /^[\x20-\x7e]*$/;

function checkPan(pan: unknown): string {
  if (typeof pan !== 'string' || !/^[0-9]+$/.test(pan) || pan.length < panLengthMin || pan.length > panLengthMax) {
    throw new AnfuError('card_number_invalid', `a card number is ${panLengthMin} to ${panLengthMax} digits`);
  }
  return pan;
}

function checkAmount(amount: Amount): void {
  if (amount.minor <= 0n || amount.minor > amountMinorMax)
    throw new AnfuError('invalid_amount', 'a card amount is 1 to 999999999999 minor units');
}

function checkStan(stan: string | undefined): void {
  if (stan !== undefined && !/^[0-9]{6}$/.test(stan)) throw new AnfuError('validation_failed', 'a STAN is six digits');
}

export class CardLink {
  readonly #connection: LinkConnection;
  readonly #options: CardLinkOptions & typeof cardLinkDefaults;
  readonly #clock: () => Date;
  readonly #log: LinkLog;
  /** Random start, so a restarted process does not replay the STANs of the one before. */
  #stan = randomInt(1, 1_000_000);

  constructor(options: CardLinkOptions) {
    if (!ansPattern.test(options.terminalId) || options.terminalId.length > 8)
      throw new RangeError('terminalId is up to 8 printable ASCII characters');
    if (!ansPattern.test(options.merchantId) || options.merchantId.length > 15)
      throw new RangeError('merchantId is up to 15 printable ASCII characters');
    this.#options = { ...cardLinkDefaults, ...options };
    this.#clock = options.clock ?? (() => new Date());
    this.#log = options.log ?? silentLog;
    const { host, port, connectTimeoutMs } = this.#options;
    this.#connection = new LinkConnection({ host, port, connectTimeoutMs, log: this.#log });
  }

  /** Six digits, 000001..999999, wrapping; 000000 is never used. */
  nextStan(): string {
    this.#stan = (this.#stan % 999_999) + 1;
    return formatStan(this.#stan);
  }

  /** Fields 7 and 12 for a request about to be sent: stored by the caller first, then passed as `sentAt`. */
  stamp(): SentAt {
    const { at: _at, ...sent } = this.stampWithMoment();
    return sent;
  }

  /** `stamp()` with the moment it stamps: a STAN drawn for that send takes its UTC day from that moment. */
  stampWithMoment(): SentAt & { readonly at: number } {
    const at = this.#clock();
    const local = localTime(at, this.#options.utcOffsetMinutes);
    return { at: at.getTime(), transmissionDateTime: transmissionDateTime(at), localTime: local };
  }

  async authorise(input: AuthoriseRequest): Promise<AuthorisationResult> {
    checkAmount(input.amount);
    checkStan(input.stan);
    if (!/^[0-9]{2}(0[1-9]|1[0-2])$/.test(input.expiry))
      throw new AnfuError('validation_failed', 'the card expiry is YYMM');
    const request = this.#request(
      '0100',
      processingCodes.purchase,
      checkPan(input.pan),
      input.expiry,
      input.amount,
      input.stan,
      input.sentAt,
    );
    const sent = await this.#connection.request(cardRequestMessage(request), this.#options.responseTimeoutMs);
    if (sent.kind === 'not_sent') return { outcome: 'unavailable', reason: sent.reason };
    const response = sent.kind === 'answered' ? sent.response : undefined;
    const code = response?.fields[39];
    if (
      response !== undefined &&
      code === '00' &&
      response.fields[38] !== undefined &&
      response.fields[37] !== undefined
    ) {
      this.#log.info(
        { stan: request.stan, panMasked: request.pan.masked, responseCode: code },
        'card authorisation approved',
      );
      return {
        outcome: 'approved',
        authorisationCode: response.fields[38],
        retrievalReference: response.fields[37],
        reference: request,
      };
    }
    if (code !== undefined && code !== '00') {
      this.#log.info(
        { stan: request.stan, panMasked: request.pan.masked, responseCode: code },
        'card authorisation declined',
      );
      return {
        outcome: 'declined',
        responseCode: code,
        meaning: responseMeaning(code),
        retryable: isRetryable(code),
        reference: request,
      };
    }
    // No answer, or an approval we cannot use (no authorisation code): the issuer may hold funds.
    this.#log.warn(
      {
        stan: request.stan,
        panMasked: request.pan.masked,
        reason: sent.kind === 'no_answer' ? sent.reason : 'incomplete_approval',
      },
      'card authorisation unanswered, reversing',
    );
    const reversal = await this.reverse(request, input.reversalStan);
    return { outcome: 'timeout', reversal: reversal.outcome, reference: request };
  }

  /**
   * Reverses an authorisation (or payout) with 0400, then 0401 repeats carrying the same STAN and
   * time so the issuer sees one reversal however many attempts it takes.
   */
  async reverse(original: CardRequest, stan?: string): Promise<ReversalResult> {
    checkStan(stan);
    const at = this.#clock();
    const identity = {
      stan: stan ?? this.nextStan(),
      transmissionDateTime: transmissionDateTime(at),
      localTime: localTime(at, this.#options.utcOffsetMinutes),
    };
    const timeoutMs = this.#options.reversalTimeoutMs ?? this.#options.responseTimeoutMs;
    for (let attempt = 1; attempt <= this.#options.reversalAttemptsMax; attempt += 1) {
      const message = reversalMessage(original, { ...identity, repeat: attempt > 1 });
      const sent = await this.#connection.request(message, timeoutMs);
      const code = sent.kind === 'answered' ? sent.response.fields[39] : undefined;
      if (code === '00' || code === '25') {
        this.#log.info(
          {
            stan: identity.stan,
            originalStan: original.stan,
            panMasked: original.pan.masked,
            responseCode: code,
            attempt,
          },
          'reversal confirmed',
        );
        return { outcome: 'reversed', responseCode: code };
      }
      this.#log.warn(
        { stan: identity.stan, originalStan: original.stan, attempt, outcome: describeOutcome(sent) },
        'reversal not confirmed',
      );
      if (attempt < this.#options.reversalAttemptsMax) await sleep(this.#options.reversalRetryDelayMs * attempt);
    }
    this.#log.error(
      { stan: identity.stan, originalStan: original.stan, panMasked: original.pan.masked },
      'reversal unconfirmed after every attempt; it is still owed',
    );
    return { outcome: 'unconfirmed' };
  }

  /** Credits the customer's account (0200, processing code 26): the withdrawal payout. */
  async payout(input: PayoutRequest): Promise<PayoutResult> {
    checkAmount(input.amount);
    checkStan(input.stan);
    const request = this.#request(
      '0200',
      processingCodes.payoutCredit,
      checkPan(input.accountPan),
      undefined,
      input.amount,
      input.stan,
      input.sentAt,
    );
    return this.#payoutExchange(request, false);
  }

  /** Asks where a payout stands by repeating it (0201): the issuer answers from its record, never paying twice. */
  payoutStatus(reference: CardRequest): Promise<PayoutResult> {
    return this.#payoutExchange(reference, true);
  }

  /** 0800 echo: whether the bank answers at all, for health checks. */
  async echo(): Promise<'ok' | 'no_answer' | 'not_sent'> {
    const sent = await this.#connection.request(
      echoMessage(this.nextStan(), transmissionDateTime(this.#clock())),
      this.#options.responseTimeoutMs,
    );
    if (sent.kind === 'answered') return sent.response.fields[39] === '00' ? 'ok' : 'no_answer';
    return sent.kind;
  }

  /** 0100, processing code 33, zero amount: CVV2, name and ID in field 48; per-element results come back in field 44. */
  async verifyAccount(input: AccountVerificationRequest): Promise<AccountVerificationResult> {
    if (!/^[0-9]{2}(0[1-9]|1[0-2])$/.test(input.expiry))
      throw new AnfuError('validation_failed', 'the card expiry is YYMM');
    const request = this.#request(
      '0100',
      accountVerificationCode,
      checkPan(input.pan),
      input.expiry,
      { minor: 0n, currency: input.currency },
      input.stan,
      undefined,
    );
    const elements = { cvv2: input.cvv2, holderName: input.holderName, holderIdNumber: input.holderIdNumber };
    const sent = await this.#connection.request(
      withVerification(cardRequestMessage(request), elements),
      this.#options.responseTimeoutMs,
    );
    if (sent.kind !== 'answered') return { outcome: 'unavailable', reason: sent.reason };
    const code = sent.response.fields[39] ?? '96';
    this.#log.info(
      { stan: request.stan, panMasked: request.pan.masked, responseCode: code },
      'account verification answer',
    );
    const reference = sent.response.fields[37];
    if (code === '00' && reference !== undefined) return { outcome: 'code_sent', retrievalReference: reference };
    return {
      outcome: 'declined',
      responseCode: code,
      meaning: responseMeaning(code),
      retryable: isRetryable(code),
      results: decodeResults(sent.response.fields[44]),
    };
  }

  /** Forwards the customer's one-time code for the verification `retrievalReference` named (field 37). */
  async confirmOneTimeCode(input: {
    pan: string;
    expiry: string;
    retrievalReference: string;
    code: string;
    currency: Currency;
    stan?: string;
  }): Promise<OneTimeCodeResult> {
    if (!/^[0-9]{4,8}$/.test(input.code)) throw new AnfuError('validation_failed', 'a one-time code is 4 to 8 digits');
    const request = this.#request(
      '0100',
      accountVerificationCode,
      checkPan(input.pan),
      input.expiry,
      { minor: 0n, currency: input.currency },
      input.stan,
      undefined,
    );
    const message = withVerification(
      cardRequestMessage(request),
      { oneTimeCode: input.code },
      input.retrievalReference,
    );
    const sent = await this.#connection.request(message, this.#options.responseTimeoutMs);
    if (sent.kind !== 'answered') return { outcome: 'unavailable', reason: sent.reason };
    const code = sent.response.fields[39] ?? '96';
    this.#log.info({ stan: request.stan, panMasked: request.pan.masked, responseCode: code }, 'one-time code answer');
    if (code === '00') return { outcome: 'verified' };
    return { outcome: 'declined', responseCode: code, meaning: responseMeaning(code), retryable: isRetryable(code) };
  }

  /** Closes the connection; requests still waiting end as unanswered. Drain before closing. */
  close(): void {
    this.#connection.close();
  }

  async #payoutExchange(request: CardRequest, repeat: boolean): Promise<PayoutResult> {
    const message = cardRequestMessage(request);
    const sent = await this.#connection.request(
      repeat ? { ...message, mti: '0201' } : message,
      this.#options.responseTimeoutMs,
    );
    if (sent.kind === 'not_sent') return { outcome: 'unavailable', reason: sent.reason };
    const code = sent.kind === 'answered' ? sent.response.fields[39] : undefined;
    this.#log.info({ stan: request.stan, panMasked: request.pan.masked, responseCode: code, repeat }, 'payout answer');
    if (code === '00')
      return {
        outcome: 'completed',
        retrievalReference: sent.kind === 'answered' ? (sent.response.fields[37] ?? '') : '',
        reference: request,
      };
    // Unanswered is not failed: the bank may have paid, so the payout stays processing and is asked again.
    if (code === undefined || code === '09') return { outcome: 'processing', reference: request };
    return {
      outcome: 'failed',
      responseCode: code,
      meaning: responseMeaning(code),
      retryable: isRetryable(code),
      reference: request,
    };
  }

  #request(
    mti: '0100' | '0200',
    processingCode: string,
    pan: string,
    expiry: string | undefined,
    amount: Amount,
    stan: string | undefined,
    sentAt: SentAt | undefined,
  ): CardRequest {
    const { transmissionDateTime: sent, localTime: local } = sentAt ?? this.stamp();
    return {
      mti,
      processingCode,
      expiry,
      pan: new CardNumber(pan),
      amountMinor: amount.minor,
      currency: amount.currency,
      stan: stan ?? this.nextStan(),
      transmissionDateTime: sent,
      localTime: local,
      terminalId: this.#options.terminalId,
      merchantId: this.#options.merchantId,
    };
  }
}

function describeOutcome(sent: LinkOutcome): string {
  return sent.kind === 'answered' ? `answered ${sent.response.fields[39] ?? '??'}` : `${sent.kind}: ${sent.reason}`;
}
