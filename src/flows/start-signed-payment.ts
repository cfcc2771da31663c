// The common path of every customer payment: verify the signed instruction, load what the deciders
// need, decide risk (pure), then in ONE transaction claim the nonce, lock and check the limits
// (pure decider over locked counters), create the payment with its instruction, and walk it through
// created → risk_checked → processing | challenged | failed, each step audited. Money moves after
// commit (settle-payment.ts), never inside a transaction.
import { createHash } from 'node:crypto';
import { AnfuError } from '../errors.ts';
import { newId } from '../ids.ts';
import { currencyOf, formatMajor, parseMajor } from '../money/index.ts';
import { decidePayment, type PaymentRiskDecision } from '../risk/index.ts';
import {
  canonicalJsonOf, claimNonce, parseInstruction, decideLimits, hasPaidBefore, insertInstruction, insertPayment, limitPeriodsAt, lockUsage, addUsage, paymentByKey, paymentById,
  recentPaymentCount, recordCreation, recordTransition, verifyInstruction,
  type CustomerPrincipal, type Payment, type PaymentKind, type PaymentsContext, type TransitionActor, type VerifiedInstruction,
} from '../payments/index.ts';
import type { Tx } from '../store/index.ts';
import { settlePayment } from './settle-payment.ts';

export interface SignedRequest {
  readonly instruction: unknown;
  readonly signature: string;
  readonly idempotencyKey: string;
}

export interface PaymentTarget {
  readonly kind: PaymentKind;
  readonly payeeId: string;
  readonly merchantId: string | null;
  /** The order (order_payment) or the request for money (collect_payment) being paid. */
  readonly subjectId: string | null;
  readonly fee: bigint;
  /** Inside the creating transaction: claims the order or request; throws when it is no longer payable. */
  claim?(tx: Tx, paymentId: string, now: number): Promise<void>;
}

export interface StartedPayment {
  readonly payment: Payment;
  readonly replayed: boolean;
}

function requestHashOf(instruction: unknown): string {
  const text = typeof instruction === 'object' && instruction !== null ? canonicalJsonOf(instruction) : 'invalid';
  return createHash('sha256').update(text).digest('hex');
}

/** Verifies the instruction against the session's device; throws the refusal as a problem. */
export async function verifiedInstruction(ctx: PaymentsContext, principal: CustomerPrincipal, request: SignedRequest): Promise<VerifiedInstruction> {
  const parsed = parseInstruction(request.instruction);
  if (parsed !== undefined && (parsed.payer !== principal.customerId || parsed.device !== principal.deviceId)) throw new AnfuError('instruction_mismatch', 'the instruction is not from this session’s customer and device');
  const now = ctx.clock();
  const device = await ctx.identity.device(principal.deviceId);
  const check = verifyInstruction(request.instruction, request.signature, {
    profile: ctx.settings.profile, timestampWindowMs: ctx.settings.instructionWindowMs, now, device, caCertificatePem: await ctx.identity.deviceCaCertificatePem(),
  });
  if (!check.ok) throw new AnfuError(check.code, check.detail);
  return check.verified;
}

/** A retry with the same key returns the first payment; the same key with another instruction is a conflict. */
export async function replayOf(ctx: PaymentsContext, principal: CustomerPrincipal, request: SignedRequest): Promise<StartedPayment | undefined> {
  const existing = await paymentByKey(ctx.store, principal.customerId, request.idempotencyKey);
  if (existing === undefined) return undefined;
  if (existing.requestHash !== requestHashOf(request.instruction)) throw new AnfuError('idempotency_conflict');
  return { payment: existing, replayed: true };
}

export function amountOf(ctx: PaymentsContext, verified: VerifiedInstruction): bigint {
  return parseMajor(verified.instruction.amount, verified.instruction.currency, { maxMinor: ctx.settings.amountMaxMinor }).minor;
}

async function assessRisk(ctx: PaymentsContext, principal: CustomerPrincipal, amount: bigint, payeeId: string): Promise<PaymentRiskDecision> {
  const now = ctx.clock();
  const device = await ctx.identity.device(principal.deviceId);
  return decidePayment({
    amountMinor: amount,
    recentPaymentCount: await recentPaymentCount(ctx.store, principal.customerId, now - ctx.settings.velocityWindowMs),
    deviceAgeMs: device === undefined ? 0 : now - device.createdAt,
    newPayee: !(await hasPaidBefore(ctx.store, principal.customerId, payeeId)),
  }, ctx.settings.risk);
}

/** Locks the payer's usage counters, decides the limits and reserves the amount (all in `tx`). */
async function reserveLimits(ctx: PaymentsContext, tx: Tx, principal: CustomerPrincipal, accountClass: 'I' | 'II' | 'III', payment: Payment): Promise<void> {
  const periods = ['life', `year:${payment.limitYear}`, `day:${payment.limitDay}`] as const;
  const [lifetimeMinor, yearMinor, dayMinor] = [await lockUsage(tx, payment.payerId, periods[0]), await lockUsage(tx, payment.payerId, periods[1]), await lockUsage(tx, payment.payerId, periods[2])];
  const decision = decideLimits({ amountMinor: payment.amount, accountClass, strength: principal.strength, usage: { lifetimeMinor, yearMinor, dayMinor } }, ctx.settings.limits);
  if (!decision.ok) {
    const currency = currencyOf(payment.currency);
    throw new AnfuError('limit_exceeded', `the ${decision.limit} limit allows ${formatMajor(decision.remainingMinor, currency)} more`, { limit: decision.limit, remaining: formatMajor(decision.remainingMinor, currency), currency: payment.currency });
  }
  for (const period of periods) await addUsage(tx, payment.payerId, period, payment.amount);
}

/** Starts a payment from a verified instruction towards `target`; settles it at once unless challenged or denied. */
export async function startSignedPayment(ctx: PaymentsContext, principal: CustomerPrincipal, request: SignedRequest, verified: VerifiedInstruction, target: PaymentTarget): Promise<StartedPayment> {
  const amount = amountOf(ctx, verified);
  if (target.payeeId === principal.customerId) throw new AnfuError('payee_is_payer');
  const customer = await ctx.identity.customer(principal.customerId);
  if (customer === undefined || customer.status !== 'active') throw new AnfuError('forbidden', 'the customer is not active');
  const risk = await assessRisk(ctx, principal, amount, target.payeeId);
  const now = ctx.clock();
  const periods = limitPeriodsAt(now);
  const payment: Payment = {
    id: newId('pay', now), kind: target.kind, state: 'created', payerId: principal.customerId, payeeId: target.payeeId, merchantId: target.merchantId, orderId: target.subjectId,
    amount, currency: verified.instruction.currency, fee: target.fee, refundedAmount: 0n, idempotencyKey: request.idempotencyKey, requestHash: requestHashOf(request.instruction),
    failureCode: null, riskReasons: risk.reasons, limitDay: periods.day, limitYear: periods.year, createdAt: now, updatedAt: now,
  };
  const actor: TransitionActor = { type: 'customer', id: principal.customerId, device: principal.deviceId };
  try {
    await ctx.store.transaction(async (tx) => {
      if (!(await claimNonce(tx, verified.instruction.device, verified.instruction.nonce, payment.id, now))) throw new AnfuError('instruction_replayed');
      await insertPayment(tx, payment);
      await insertInstruction(tx, { paymentId: payment.id, canonicalJson: verified.canonicalJson, signature: verified.signature, profile: ctx.settings.profile, deviceId: verified.instruction.device, deviceCertificatePem: verified.deviceCertificatePem, caCertificatePem: verified.caCertificatePem, signedAt: verified.instruction.timestamp, receivedAt: now });
      await recordCreation(tx, payment, actor, now);
      let state = await recordTransition(tx, payment, 'risk_assessed', { type: 'system', id: 'risk' }, now, { reasons: risk.reasons });
      if (risk.decision === 'deny') {
        await recordTransition(tx, { ...payment, state }, 'fail', { type: 'system', id: 'risk' }, now, { failureCode: 'payment_denied', reasons: risk.reasons });
        return;
      }
      await reserveLimits(ctx, tx, principal, customer.accountClass, payment);
      await target.claim?.(tx, payment.id, now);
      state = await recordTransition(tx, { ...payment, state }, risk.decision === 'challenge' ? 'challenge' : 'process', actor, now, risk.decision === 'challenge' ? { reasons: risk.reasons } : undefined);
    });
  } catch (error) {
    // A concurrent retry with the same idempotency key won the insert: answer with its payment.
    const replay = await replayOf(ctx, principal, request).catch(() => undefined);
    if (replay !== undefined) return replay;
    throw error;
  }
  const created = await paymentById(ctx.store, payment.id);
  if (created === undefined) throw new Error('payments invariant: payment vanished after commit');
  if (created.state === 'processing') return { payment: await settlePayment(ctx, created), replayed: false };
  return { payment: created, replayed: false };
}
