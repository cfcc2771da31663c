// Step-up of a challenged payment (R3.6): the payer proves a factor again — an authenticator code, an
// SMS code sent for this payment, or a passkey assertion bound to this payment. Guessing is bounded:
// `paymentStepUpFailuresMax` attempts per payment and `stepUpFailuresPerDayMax` per customer per
// day (counters shared by every process). The failure that reaches either bound exhausts the step-up:
// the caller fails the payment, and here a security event is raised and the customer notified. Every
// try is audited.
import { raiseSecurityEvent } from '../access/index.ts';
import { countHit, hitsOf } from '../throttle/index.ts';
import { auditCustomer } from './customer-audit.ts';
import { totpSecretOf } from './enrol-totp.ts';
import type { Identity, RequestMeta } from './identity.ts';
import { deliverNotices, recordNotice } from './notices.ts';
import { checkStepUpFactor, type StepUpFactor } from './step-up-factors.ts';
import type { Tx } from '../store/index.ts';
import { customerById, type CustomerRow } from './store.ts';

export interface PaymentStepUp {
  readonly customerId: string;
  readonly deviceId: string | null;
  /** The payment being resumed: the factor must be bound to it (SMS, passkey) and failures count against it. */
  readonly paymentId: string;
  readonly factor: StepUpFactor;
  readonly meta?: RequestMeta;
}

export type PaymentStepUpVerdict =
  | { readonly outcome: 'passed' }
  | { readonly outcome: 'failed'; readonly attemptsLeft: number }
  | { readonly outcome: 'exhausted'; readonly bound: 'payment' | 'day'; readonly justNow?: boolean };

const dayMs = 24 * 3600_000;
/** Per-payment counters live as long as a challenged payment can (the bucket never needs a second window). */
const paymentWindowMs = 400 * dayMs;

interface Attempt {
  readonly identity: Identity;
  readonly input: PaymentStepUp;
  readonly customer: CustomerRow;
  readonly secret: string | undefined;
  readonly audit: RequestMeta & { readonly deviceId: string | null };
  readonly now: number;
}

export async function verifyPaymentStepUp(identity: Identity, input: PaymentStepUp): Promise<PaymentStepUpVerdict> {
  const now = identity.clock();
  const customer = await customerById(identity.store, input.customerId);
  if (customer === undefined || customer.status !== 'active') return { outcome: 'exhausted', bound: 'payment' };
  if (input.factor.kind === 'totp') await identity.ready();
  const secret = input.factor.kind === 'totp' ? await totpSecretOf(identity, customer) : undefined;
  const audit = { ip: input.meta?.ip ?? null, userAgent: input.meta?.userAgent ?? null, deviceId: input.deviceId };
  const attempt: Attempt = { identity, input, customer, secret, audit, now };
  const verdict = await identity.store.transaction((tx) => decideAttempt(tx, attempt));
  // Only the failure that reached the bound recorded a notice; its SMS copy goes out after commit.
  if (verdict.outcome === 'exhausted' && verdict.justNow === true) {
    await deliverNotices(identity, customer, ['step_up_locked']);
  }
  return verdict;
}

/** Counts, checks and audits one attempt in `tx`. */
async function decideAttempt(tx: Tx, attempt: Attempt): Promise<PaymentStepUpVerdict> {
  const { identity, input, customer, now } = attempt;
  const { config } = identity;
  const buckets = { payment: `step-up:payment:${input.paymentId}`, day: `step-up:customer:${customer.id}` };
  // Every attempt on the payment counts first: the row lock of the counter orders concurrent tries.
  const attempts = (await countHit(tx, buckets.payment, paymentWindowMs, now)).hits;
  const failedToday = (await hitsOf(tx, buckets.day, dayMs, now)).hits;
  const line = (outcome: 'success' | 'failure' | 'denied', details: Record<string, unknown>) => {
    const entry = { action: 'customer.payment.step_up', target: input.paymentId, outcome };
    return auditCustomer(
      tx,
      customer.id,
      attempt.audit,
      [{ ...entry, details: { factor: input.factor.kind, ...details } }],
      now,
    );
  };
  if (attempts > config.paymentStepUpFailuresMax || failedToday >= config.stepUpFailuresPerDayMax) {
    await line('denied', { reason: 'attempts_exhausted' });
    return { outcome: 'exhausted', bound: attempts > config.paymentStepUpFailuresMax ? 'payment' : 'day' };
  }
  const subject = { purpose: 'payment' as const, subjectId: input.paymentId };
  if (await checkStepUpFactor(identity, tx, customer, subject, input.factor, attempt.secret, now)) {
    await line('success', {});
    return { outcome: 'passed' };
  }
  const failures = { payment: attempts, day: (await countHit(tx, buckets.day, dayMs, now)).hits };
  const failed = { attempt: 'step_up', customerId: customer.id, deviceKey: null, ip: attempt.audit.ip } as const;
  await identity.failedAttemptRisk?.(tx, failed, now);
  await line('failure', { reason: 'factor_invalid', failures: failures.payment, failuresToday: failures.day });
  const payment = config.paymentStepUpFailuresMax - failures.payment;
  const day = config.stepUpFailuresPerDayMax - failures.day;
  if (payment > 0 && day > 0) return { outcome: 'failed', attemptsLeft: Math.min(payment, day) };
  const bound = payment <= 0 ? 'payment' : 'day';
  const details = {
    channel: 'payment_step_up',
    paymentId: input.paymentId,
    bound,
    failures: failures.payment,
    failuresToday: failures.day,
  };
  await raiseSecurityEvent(tx, { type: 'brute_force', source: attempt.audit.ip, subject: customer.id, details }, now);
  await recordNotice(tx, customer.id, 'step_up_locked', { paymentId: input.paymentId }, now);
  return { outcome: 'exhausted', bound, justNow: true };
}
