// The clearing-house / settlement-bank simulator's rules file: the first rule whose match fits a
// credit transfer decides what the simulated bank does with it, so every discrepancy reconciliation
// must find can be produced on purpose. Unmatched transfers are accepted and booked as sent.
import { minorOf } from '../iso-amount.ts';

export const simActions = [
  'accept',
  'reject',
  'return',
  'delay',
  'fee',
  'duplicate',
  'drop',
  'shift_value_date',
  'change_amount',
] as const;
export type SimAction = (typeof simActions)[number];

export interface SimMatch {
  readonly endToEndId?: string;
  /** A regular expression over the creditor's name. */
  readonly creditorName?: RegExp;
  /** The creditor account ends with these characters. */
  readonly accountSuffix?: string;
  readonly amountMin?: bigint;
  readonly amountMax?: bigint;
}

export interface SimRule {
  readonly match: SimMatch;
  readonly action: SimAction;
  /** reject / return: the ISO reason code (AC04 closed account, AM04 insufficient funds …). */
  readonly code?: string;
  /** fee: the charge; change_amount: the signed difference booked. Minor units. */
  readonly amount?: bigint;
  /** shift_value_date: days added to the value date. */
  readonly days?: number;
}

export interface SimRules {
  readonly account: string;
  readonly currency: string;
  /** The account's balance at the bank before the first day (minor units, signed). */
  readonly opening: bigint;
  readonly rules: readonly SimRule[];
}

export interface SimTransfer {
  readonly endToEndId: string;
  readonly amount: bigint;
  readonly currency: string;
  readonly creditorName: string;
  readonly creditorAccount: string;
}

export function ruleFor(rules: SimRules, t: SimTransfer): SimRule | undefined {
  return rules.rules.find(
    ({ match: m }) =>
      (m.endToEndId === undefined || m.endToEndId === t.endToEndId) &&
      (m.creditorName === undefined || m.creditorName.test(t.creditorName)) &&
      (m.accountSuffix === undefined || t.creditorAccount.endsWith(m.accountSuffix)) &&
      (m.amountMin === undefined || t.amount >= m.amountMin) &&
      (m.amountMax === undefined || t.amount <= m.amountMax),
  );
}

function fail(detail: string): never {
  throw new RangeError(`rules: ${detail}`);
}

const reasonCode = /^[A-Z0-9]{4}$/;

function parseRule(value: unknown, currency: string, index: number): SimRule {
  if (typeof value !== 'object' || value === null) fail(`rule ${index} is not an object`);
  const r = value as Record<string, unknown>;
  if (!(simActions as readonly string[]).includes(r.action as string))
    fail(`rule ${index}: action must be one of ${simActions.join(', ')}`);
  const m = (r.match ?? {}) as Record<string, unknown>;
  const money = (v: unknown, what: string): bigint | undefined => {
    if (v === undefined) return undefined;
    if (typeof v !== 'string') fail(`rule ${index}: ${what} must be a decimal string`);
    const negative = v.startsWith('-');
    const minor = minorOf(negative ? v.slice(1) : v, currency);
    return negative ? -minor : minor;
  };
  const action = r.action as SimAction;
  if ((action === 'reject' || action === 'return') && (typeof r.code !== 'string' || !reasonCode.test(r.code)))
    fail(`rule ${index}: ${action} needs a 4-character code`);
  if ((action === 'fee' || action === 'change_amount') && r.amount === undefined)
    fail(`rule ${index}: ${action} needs an amount`);
  if (action === 'shift_value_date' && (!Number.isInteger(r.days) || (r.days as number) === 0))
    fail(`rule ${index}: shift_value_date needs whole days`);
  const match: SimMatch = {
    ...(typeof m.endToEndId === 'string' ? { endToEndId: m.endToEndId } : {}),
    // eslint-disable-next-line security/detect-non-literal-regexp -- the simulator's own rules file, development only
    ...(typeof m.creditorName === 'string' ? { creditorName: new RegExp(m.creditorName.slice(0, 200), 'u') } : {}),
    ...(typeof m.accountSuffix === 'string' ? { accountSuffix: m.accountSuffix } : {}),
    ...(m.amountMin === undefined ? {} : { amountMin: money(m.amountMin, 'amountMin') as bigint }),
    ...(m.amountMax === undefined ? {} : { amountMax: money(m.amountMax, 'amountMax') as bigint }),
  };
  return {
    match,
    action,
    ...(typeof r.code === 'string' ? { code: r.code } : {}),
    ...(r.amount === undefined ? {} : { amount: money(r.amount, 'amount') as bigint }),
    ...(typeof r.days === 'number' ? { days: r.days } : {}),
  };
}

export function parseSimRules(document: unknown): SimRules {
  if (typeof document !== 'object' || document === null) fail('not an object');
  const d = document as Record<string, unknown>;
  if (typeof d.account !== 'string' || !/^[A-Za-z0-9]{6,34}$/.test(d.account)) fail('account: 6–34 letters or digits');
  if (typeof d.currency !== 'string' || !/^[A-Z]{3}$/.test(d.currency)) fail('currency: an ISO 4217 code');
  const currency = d.currency;
  const openingText = typeof d.opening === 'string' ? d.opening : '0';
  const opening = openingText.startsWith('-')
    ? -minorOf(openingText.slice(1), currency)
    : minorOf(openingText, currency);
  const rules = Array.isArray(d.rules) ? d.rules.map((r, i) => parseRule(r, currency, i)) : [];
  return { account: d.account, currency, opening, rules };
}
