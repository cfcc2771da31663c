// What the write path of a customer payment decides, once and pure (no clock, no database): the
// request hash that tells a retry from a new request, the limit usage counters a payment counts
// against, the limit refusal, the walk of a new payment through the state machine, and its ledger
// legs. The batch (flows/commit-payments.ts, payment-batch.ts) and the settling of a payment resumed
// after a challenge (settle-payment.ts) call these; table tests sit beside (decide-payment.test.ts).
import { createHash } from 'node:crypto';
import { AnfuError } from '../errors.ts';
import type { TransferRequest } from '../ledger/index.ts';
import { currencyOf, formatMajor } from '../money/index.ts';
import type { PaymentRiskDecision } from '../risk/index.ts';
import { canonicalJsonOf } from './verify-instruction.ts';
import { decideLimits, type LimitHolder, type LimitPolicy, type LimitUsage } from './payment-limits.ts';
import type { PaymentEvent } from './payment-states.ts';
import type { Payment } from './store/payments.ts';

/** The digest of a signed request's instruction: same key + same digest is a retry, another digest a conflict. */
export function requestHashOf(instruction: unknown): string {
  const text = typeof instruction === 'object' && instruction !== null ? canonicalJsonOf(instruction) : 'invalid';
  return createHash('sha256').update(text).digest('hex');
}

/** The currency the limit amounts are written in (R6.2, CNY): its counters keep their historical names. */
export const limitCurrency = 'CNY';

/**
 * The usage counters a payment counts against: lifetime, its year, its day (Beijing time, decided at
 * creation). Limits are currency-aware: amounts in another currency count on counters of their own,
 * never added to CNY minor units.
 */
export function usagePeriodsOf(payment: Pick<Payment, 'limitYear' | 'limitDay' | 'currency'>): [string, string, string] {
  const suffix = payment.currency === limitCurrency ? '' : `:${payment.currency}`;
  return [`life${suffix}`, `year:${payment.limitYear}${suffix}`, `day:${payment.limitDay}${suffix}`];
}

export interface LimitInput extends LimitHolder {
  readonly payment: Pick<Payment, 'amount' | 'currency'>;
  /** The payer's usage on the payment's three counters, in usagePeriodsOf order. */
  readonly used: readonly [bigint, bigint, bigint];
}

/** The limit decision as a refusal (the registered problem with the limit and what remains) or undefined. */
export function limitRefusalOf(input: LimitInput, policy: LimitPolicy): AnfuError | undefined {
  const [lifetimeMinor, yearMinor, dayMinor] = input.used;
  const usage: LimitUsage = { lifetimeMinor, yearMinor, dayMinor };
  const { accountClass, strength, riskLevel } = input;
  const decision = decideLimits({ amountMinor: input.payment.amount, accountClass, strength, riskLevel, usage }, policy);
  if (decision.ok) return undefined;
  const remaining = formatMajor(decision.remainingMinor, currencyOf(input.payment.currency));
  return new AnfuError('limit_exceeded', `the ${decision.limit} limit allows ${remaining} more`, { limit: decision.limit, remaining, currency: input.payment.currency });
}

export interface WalkStep {
  readonly event: PaymentEvent;
  /** Who takes the step: risk control, or the payer (their instruction asks for it). */
  readonly by: 'risk' | 'payer';
  readonly detail?: { failureCode?: string; reasons?: readonly string[] };
}

/** The walk of a new payment after `created`: risk_checked, then failed, challenged, held for review or processing. */
export function creationWalk(risk: Pick<PaymentRiskDecision, 'decision' | 'reasons'>): WalkStep[] {
  const assessed: WalkStep = { event: 'risk_assessed', by: 'risk', detail: { reasons: risk.reasons } };
  if (risk.decision === 'deny') return [assessed, { event: 'fail', by: 'risk', detail: { failureCode: 'payment_denied', reasons: risk.reasons } }];
  if (risk.decision === 'challenge') return [assessed, { event: 'challenge', by: 'payer', detail: { reasons: risk.reasons } }];
  if (risk.decision === 'review') {
    return [assessed, { event: 'hold_for_review', by: 'risk', detail: { reasons: risk.reasons } }];
  }
  return [assessed, { event: 'process', by: 'payer' }];
}

/** The ledger legs of a payment between resolved account ids: principal, then the fee (payee → fees) when there is one. */
export function legsBetween(payment: Pick<Payment, 'id' | 'amount' | 'fee' | 'currency'>, accounts: { debit: string; credit: string; fees?: string | undefined }): TransferRequest[] {
  const legs: TransferRequest[] = [{ kind: 'single', key: `${payment.id}:principal`, debitAccountId: accounts.debit, creditAccountId: accounts.credit, amount: payment.amount, currency: payment.currency, reference: payment.id }];
  if (payment.fee > 0n) {
    if (accounts.fees === undefined) throw new Error('payments invariant: a fee without a fee account');
    legs.push({ kind: 'single', key: `${payment.id}:fee`, debitAccountId: accounts.credit, creditAccountId: accounts.fees, amount: payment.fee, currency: payment.currency, reference: payment.id });
  }
  return legs;
}
