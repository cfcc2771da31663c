// The one HTTP status of a payment outcome, for every route that starts, resumes or replays money
// moving — transfers, order and request payments, top-ups, withdrawals, refunds, orders — so two
// routes never answer the same outcome differently (docs/payments.md "HTTP status of an outcome"):
//   failed / rejected        → the problem named by its failure code (with the resource id), any time
//   a retry (same key, body) → 200, whatever the state
//   still in progress        → 202 (challenged, held for review, awaiting approval, processing at the bank …)
//   created by this request  → 201;  otherwise (a step-up, a resume) → 200
import type { TSchema } from 'typebox';
import { AnfuError, isProblemCode, type ProblemCode } from '../errors.ts';

export interface PaymentOutcome {
  /** The resource's id: it goes into a problem's details (paymentId, refundId …). */
  readonly id: string;
  readonly idField?: 'paymentId' | 'refundId' | 'orderId';
  readonly state: string;
  readonly failureCode: string | null;
  /** The request repeated an earlier one (same idempotency key or reference and body). */
  readonly replayed: boolean;
  /** The request created the resource (a new payment, refund, order); false for a resume. */
  readonly created: boolean;
  /** Extra problem details, e.g. the bank's response code. */
  readonly details?: Readonly<Record<string, string>>;
}

/** The success responses of a route answering a payment outcome: the same view under 200, 201 and 202. */
export function outcomeResponses<T extends TSchema>(view: T): { 200: T; 201: T; 202: T } {
  return { 200: view, 201: view, 202: view };
}

const inProgress = new Set([
  'created', 'risk_checked', 'challenged', 'held_for_review', 'authorised', 'processing', 'awaiting_approval',
]);
const refused = new Set(['failed', 'rejected']);

/** The problem a failed outcome answers: its own code when registered, else `payment_state_invalid`. */
export function problemCodeOf(failureCode: string | null): ProblemCode {
  return failureCode !== null && isProblemCode(failureCode) ? failureCode : 'payment_state_invalid';
}

/** The status for a successful or pending outcome; throws the problem of a failed one. */
export function paymentStatusOf(outcome: PaymentOutcome): 200 | 201 | 202 {
  if (refused.has(outcome.state)) {
    const details = { [outcome.idField ?? 'paymentId']: outcome.id, ...outcome.details };
    throw new AnfuError(problemCodeOf(outcome.failureCode), undefined, details);
  }
  if (outcome.replayed) return 200;
  if (inProgress.has(outcome.state)) return 202;
  return outcome.created ? 201 : 200;
}
