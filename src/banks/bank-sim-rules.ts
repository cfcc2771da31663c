// The bank simulator's behaviour, as a JSON document (a file at start, replaced at run time through
// the control port or SIGHUP). Validated by schema; a bad document is refused whole, never half-applied.
import { Type, type Static } from 'typebox';
import Value from 'typebox/value';
import { declineCodes } from './response-codes.ts';

const digits = (max: number) => Type.String({ pattern: `^[0-9]{1,${max}}$` });
const match = {
  /** The rule applies to PANs ending in these digits (all PANs when absent). */
  panSuffix: Type.Optional(digits(19)),
  /** The rule applies to this message type only (all when absent), e.g. "0100". */
  mti: Type.Optional(Type.String({ pattern: '^0[0-9]{3}$' })),
};

export const bankSimRulesSchema = Type.Object(
  {
    cards: Type.Optional(Type.Array(Type.Object({
      pan: Type.String({ pattern: '^[0-9]{12,19}$' }),
      /** Available funds in minor units of the card's currency. */
      balanceMinor: digits(12),
      currency: Type.Optional(Type.String({ pattern: '^[A-Z]{3}$' })),
      /** YYMM; when set, a request with another expiry is declined 54. */
      expiry: Type.Optional(Type.String({ pattern: '^[0-9]{2}(0[1-9]|1[0-2])$' })),
      /** Largest single transaction, minor units (61 above it). */
      limitMinor: Type.Optional(digits(12)),
      /** The cardholder on file, for account verification: legal name, resident ID, CVV2, phone for one-time codes. */
      holderName: Type.Optional(Type.String({ minLength: 1, maxLength: 60 })),
      holderIdNumber: Type.Optional(Type.String({ pattern: '^[0-9]{17}[0-9X]$' })),
      cvv2: Type.Optional(Type.String({ pattern: '^[0-9]{3,4}$' })),
      phone: Type.Optional(Type.String({ pattern: '^\\+[0-9]{6,15}$' })),
    }, { additionalProperties: false }), { maxItems: 10_000 })),
    /** Wrong one-time codes an account verification allows before it answers 75 (default 3). */
    otpAttemptsMax: Type.Optional(Type.Integer({ minimum: 1, maximum: 10 })),
    /** How long a one-time code stays valid (default 300000). */
    otpTtlMs: Type.Optional(Type.Integer({ minimum: 1000, maximum: 3_600_000 })),
    /** A Luhn-valid PAN not listed: approve with unlimited funds, or decline 14. */
    unknownCards: Type.Optional(Type.Union([Type.Literal('approve'), Type.Literal('decline')])),
    declines: Type.Optional(Type.Array(Type.Object({ ...match, code: Type.Enum(declineCodes) }, { additionalProperties: false }), { maxItems: 1000 })),
    /** Answer late: the decision is taken (and funds held) at once, the answer waits. */
    delays: Type.Optional(Type.Array(Type.Object({ ...match, ms: Type.Integer({ minimum: 0, maximum: 600_000 }) }, { additionalProperties: false }), { maxItems: 1000 })),
    /** Never answer matching messages; `times` limits it to the first N matches. */
    drops: Type.Optional(Type.Array(Type.Object({ ...match, times: Type.Optional(Type.Integer({ minimum: 1 })) }, { additionalProperties: false }), { maxItems: 1000 })),
    /** Never answer every Nth request message (0: off). */
    dropEvery: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000 })),
    /** "response": the request is processed and the answer lost (the case reversals exist for); "request": lost before processing. */
    dropStage: Type.Optional(Type.Union([Type.Literal('response'), Type.Literal('request')])),
    /** Every financial request is answered 91. */
    issuerUnavailable: Type.Optional(Type.Boolean()),
    /** Largest single transaction for every card, minor units (61 above it). */
    amountLimitMinor: Type.Optional(digits(12)),
    /**
     * An original request (0100, 0200; not a repeat or a reversal) whose field 7 is further than this from
     * the bank's clock is stale: answered 30 and remembered (its repeats meet the same answer). Off when absent.
     */
    transmissionWindowMs: Type.Optional(Type.Integer({ minimum: 1000, maximum: 86_400_000 })),
    /** A payout answers 09 (in progress) until this long after it was first seen, then 00. */
    payoutSettleMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 86_400_000 })),
  },
  { additionalProperties: false },
);

export type BankSimRules = Static<typeof bankSimRulesSchema>;

export class BankSimRulesError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`bank simulator rules are invalid: ${problems.join('; ')}`);
    this.name = 'BankSimRulesError';
  }
}

/** Checks an untrusted document; error messages name paths and rules, never values (PANs). */
export function parseBankSimRules(document: unknown): BankSimRules {
  if (Value.Check(bankSimRulesSchema, document)) return document;
  const problems = [...Value.Errors(bankSimRulesSchema, document)].slice(0, 10).map((e) => `${e.instancePath || '/'} ${e.message}`);
  throw new BankSimRulesError(problems);
}

export function panMatches(rule: { panSuffix?: string; mti?: string }, pan: string | undefined, mti: string): boolean {
  if (rule.mti !== undefined && rule.mti !== mti) return false;
  return rule.panSuffix === undefined || (pan !== undefined && pan.endsWith(rule.panSuffix));
}
