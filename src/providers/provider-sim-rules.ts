// What `anfu provider-sim` answers: deterministic test identities (by name), scripted rules (by ID
// number, name or card suffix) and SMS behaviour (fail the next N submissions, numbers that are
// refused or never delivered, receipt delay). Unlisted identities match unless told otherwise.
export const identityOutcomes = ['match', 'mismatch', 'no_record', 'timeout', 'unavailable'] as const;
export type IdentityOutcome = (typeof identityOutcomes)[number];

export interface IdentityRule {
  readonly idNumber?: string;
  readonly name?: string;
  readonly cardSuffix?: string;
  readonly outcome: IdentityOutcome;
}

export interface ProviderSimRules {
  readonly identities: readonly IdentityRule[];
  readonly unknownIdentities: 'match' | 'no_record';
  /** The next N SMS submissions answer `failStatus` (the counter goes down as they are spent). */
  readonly smsFailNext: number;
  readonly smsFailStatus: 429 | 500 | 503;
  /** Numbers ending so are refused at submission (422 number_blocked). */
  readonly smsRejectSuffixes: readonly string[];
  /** Numbers ending so are accepted, then receipted as failed. */
  readonly smsUndeliverableSuffixes: readonly string[];
  readonly receiptDelayMs: number;
  /** How long a 'timeout' outcome holds its answer (longer than any client waits). */
  readonly timeoutHoldMs: number;
}

/** Test identities every simulator knows, so a test can pick an outcome by the name it registers. */
export const testIdentityNames: ReadonlyMap<string, IdentityOutcome> = new Map([
  ['测试不符', 'mismatch'],
  ['测试无档', 'no_record'],
  ['测试超时', 'timeout'],
  ['测试故障', 'unavailable'],
]);

export const defaultProviderSimRules: ProviderSimRules = {
  identities: [],
  unknownIdentities: 'match',
  smsFailNext: 0,
  smsFailStatus: 503,
  smsRejectSuffixes: [],
  smsUndeliverableSuffixes: [],
  receiptDelayMs: 0,
  timeoutHoldMs: 60_000,
};

function strings(value: unknown, name: string, pattern: RegExp): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string' && pattern.test(v)))
    throw new RangeError(`${name} must be a list of strings matching ${pattern}`);
  return value as string[];
}

function count(value: unknown, name: string, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > max)
    throw new RangeError(`${name} must be an integer from 0 to ${max}`);
  return value;
}

function identityRule(value: unknown): IdentityRule {
  if (typeof value !== 'object' || value === null) throw new RangeError('each identities entry is an object');
  const { idNumber, name, cardSuffix, outcome } = value as Record<string, unknown>;
  if (!identityOutcomes.includes(outcome as IdentityOutcome))
    throw new RangeError(`identities[].outcome must be one of ${identityOutcomes.join(', ')}`);
  if (idNumber === undefined && name === undefined && cardSuffix === undefined)
    throw new RangeError('an identities entry names idNumber, name or cardSuffix');
  for (const [field, v] of Object.entries({ idNumber, name, cardSuffix }))
    if (v !== undefined && (typeof v !== 'string' || v.length === 0 || v.length > 64))
      throw new RangeError(`identities[].${field} must be a short string`);
  return {
    ...(idNumber === undefined ? {} : { idNumber: idNumber as string }),
    ...(name === undefined ? {} : { name: name as string }),
    ...(cardSuffix === undefined ? {} : { cardSuffix: cardSuffix as string }),
    outcome: outcome as IdentityOutcome,
  };
}

export function parseProviderSimRules(document: Record<string, unknown>): ProviderSimRules {
  const identities = document.identities === undefined ? [] : document.identities;
  if (!Array.isArray(identities)) throw new RangeError('identities must be a list');
  const unknown = document.unknownIdentities ?? 'match';
  if (unknown !== 'match' && unknown !== 'no_record')
    throw new RangeError('unknownIdentities must be match or no_record');
  const failStatus = document.smsFailStatus ?? 503;
  if (failStatus !== 429 && failStatus !== 500 && failStatus !== 503)
    throw new RangeError('smsFailStatus must be 429, 500 or 503');
  return {
    identities: identities.map(identityRule),
    unknownIdentities: unknown,
    smsFailNext: count(document.smsFailNext, 'smsFailNext', 0, 1000),
    smsFailStatus: failStatus,
    smsRejectSuffixes: strings(document.smsRejectSuffixes, 'smsRejectSuffixes', /^[0-9]{1,8}$/),
    smsUndeliverableSuffixes: strings(document.smsUndeliverableSuffixes, 'smsUndeliverableSuffixes', /^[0-9]{1,8}$/),
    receiptDelayMs: count(document.receiptDelayMs, 'receiptDelayMs', 0, 600_000),
    timeoutHoldMs: count(document.timeoutHoldMs, 'timeoutHoldMs', 60_000, 600_000),
  };
}

/** Pure: the outcome for a check, rules first (in order), then the test names, then the default. */
export function identityOutcomeFor(
  rules: ProviderSimRules,
  claim: { name: string; idNumber: string; cardNumber?: string },
): IdentityOutcome {
  for (const rule of rules.identities) {
    if (rule.idNumber !== undefined && rule.idNumber !== claim.idNumber) continue;
    if (rule.name !== undefined && rule.name !== claim.name) continue;
    if (
      rule.cardSuffix !== undefined &&
      (claim.cardNumber === undefined || !claim.cardNumber.endsWith(rule.cardSuffix))
    )
      continue;
    return rule.outcome;
  }
  return testIdentityNames.get(claim.name) ?? rules.unknownIdentities;
}
