// The common path of every customer payment: verify the signed instruction, load what the deciders
// need, decide risk (pure), then in ONE transaction claim the nonce, lock and check the limits
// (pure decider over locked counters), create the payment with its instruction, and walk it through
// created → risk_checked → processing | challenged | failed, each step audited. Every payment goes
// through the payments group commit (commit-payments.ts): creation, the claim of the order or request
// for money it pays, money and audit of many payments in one transaction.
import { AnfuError } from '../errors.ts';
import { newId } from '../ids.ts';
import { currencyRefusal, parseMajor } from '../money/index.ts';
import {
  decidePayment, paymentFeatureValues, type MoneyAssessmentInput, type PaymentRiskDecision,
} from '../risk/index.ts';
import type { Account, Ledger, TransferRequest } from '../ledger/index.ts';
import {
  parseInstruction, payerHistory, requestHashOf, legsBetween, limitPeriodsAt, paymentByKey, placeReviewHold,
  verifyInstructionWith, walletOf, walletCode, merchantAccountOf, merchantAccountCode, feeAccountOf, feeAccountCode,
  type PayingCustomer, type Payment, type PaymentKind, type PaymentsContext, type StoredInstruction, type TransitionActor, type VerifiedInstruction,
} from '../payments/index.ts';
import type { Tx } from '../store/index.ts';
import { commitPayment, type PreparedPayment } from './commit-payments.ts';
import { recordInstructionRefusal, type RequestOrigin } from './record-request-refusal.ts';

export interface SignedRequest {
  readonly instruction: unknown;
  readonly signature: string;
  readonly idempotencyKey: string;
  /** Where the request came from (the HTTP edge): recorded with a refusal. */
  readonly origin?: RequestOrigin;
}

export interface PaymentTarget {
  readonly kind: PaymentKind;
  readonly payeeId: string;
  readonly merchantId: string | null;
  /** The order (order_payment) or the request for money (collect_payment) being paid. */
  readonly subjectId: string | null;
  readonly fee: bigint;
  /** Inside the batch's transaction: claims the order or request; throws when it is no longer payable. */
  claim?(tx: Tx, paymentId: string, now: number): Promise<void>;
}

export interface StartedPayment {
  readonly payment: Payment;
  readonly replayed: boolean;
}

/** Audits the refusal (and raises its security event) in its own transaction, then throws it as the problem. */
export async function refuse(ctx: PaymentsContext, principal: PayingCustomer, request: SignedRequest, error: AnfuError, paymentId?: string): Promise<never> {
  const limit = error.code === 'limit_exceeded' ? error.extra?.limit : undefined;
  await recordInstructionRefusal(ctx, principal, request.origin, { code: error.code, paymentId, limit: typeof limit === 'string' ? limit : undefined });
  throw error;
}

/** The refusals met inside a payment's transaction that are audited after it rolls back. */
export function isRecordedRefusal(error: unknown): error is AnfuError {
  return error instanceof AnfuError
    && (error.code === 'instruction_replayed' || error.code === 'limit_exceeded' || error.code === 'merchant_frozen');
}

/** Verifies the instruction against the session's device; audits and throws the refusal as a problem. */
export async function verifiedInstruction(ctx: PaymentsContext, principal: PayingCustomer, request: SignedRequest): Promise<VerifiedInstruction> {
  const parsed = parseInstruction(request.instruction);
  if (parsed !== undefined && (parsed.payer !== principal.customerId || parsed.device !== principal.deviceId)) return refuse(ctx, principal, request, new AnfuError('instruction_mismatch', 'the instruction is not from this session’s customer and device'));
  const now = ctx.clock();
  const device = await ctx.identity.device(principal.deviceId);
  const check = await verifyInstructionWith(ctx.signatureChecks, request.instruction, request.signature, {
    profile: ctx.settings.profile, timestampWindowMs: ctx.settings.instructionWindowMs, now, device, caCertificatePem: await ctx.identity.deviceCaCertificatePem(),
  });
  if (!check.ok) return refuse(ctx, principal, request, new AnfuError(check.code, check.detail));
  // Before any account is looked up or opened: a currency the platform does not run is refused (and audited).
  const currency = currencyRefusal(check.verified.instruction.currency, ctx.settings.currencies);
  if (currency !== undefined) return refuse(ctx, principal, request, currency);
  return check.verified;
}

/** A retry with the same key returns the first payment; the same key with another instruction is a conflict. */
export async function replayOf(ctx: PaymentsContext, principal: PayingCustomer, request: SignedRequest): Promise<StartedPayment | undefined> {
  const existing = await paymentByKey(ctx.store, principal.customerId, request.idempotencyKey);
  if (existing === undefined) return undefined;
  if (existing.requestHash !== requestHashOf(request.instruction)) throw new AnfuError('idempotency_conflict');
  return { payment: existing, replayed: true };
}

export function amountOf(ctx: PaymentsContext, verified: VerifiedInstruction): bigint {
  return parseMajor(verified.instruction.amount, verified.instruction.currency, { maxMinor: ctx.settings.amountMaxMinor, currencies: ctx.settings.currencies }).minor;
}

interface Assessed {
  /** The fixed rules' decision; with the engine, what the batch replaces by the rule set's. */
  readonly risk: PaymentRiskDecision;
  /** What the running rule set decides on, when the engine runs (decided in the payment's transaction). */
  readonly input?: MoneyAssessmentInput | undefined;
}

interface RiskSubject {
  readonly amount: bigint;
  readonly currency: string;
  readonly payeeId: string;
  readonly customer: {
    readonly createdAt: number;
    readonly accountClass: string;
    readonly idNumberHash?: string | undefined;
  };
  readonly ip: string | null;
  readonly paymentId: string;
  /** From the device read that verified the instruction (a second read cost a query per payment). */
  readonly deviceEnrolledAt: number;
}

async function assessRisk(ctx: PaymentsContext, principal: PayingCustomer, subject: RiskSubject): Promise<Assessed> {
  const now = ctx.clock();
  const since = now - ctx.settings.velocityWindowMs;
  const history = await payerHistory(ctx.store, principal.customerId, subject.payeeId, since);
  const factorChangedAt = await ctx.identity.recentFactorChangeAt(principal.customerId);
  const features = {
    sinceFactorChangeMs: factorChangedAt === undefined ? undefined : now - factorChangedAt,
    amountMinor: subject.amount,
    recentPaymentCount: history.recentPaymentCount,
    deviceAgeMs: now - subject.deviceEnrolledAt,
    newPayee: !history.paidBefore,
  };
  if (ctx.riskEngine === undefined) return { risk: decidePayment(features, ctx.settings.risk) };
  const event = {
    event: 'payment' as const, customerId: principal.customerId, deviceId: principal.deviceId,
    ip: subject.ip, payeeId: subject.payeeId, idHash: subject.customer.idNumberHash,
    amount: { minor: subject.amount, currency: subject.currency },
  };
  const known = paymentFeatureValues(features, subject.currency);
  const input = { event, known, customer: subject.customer, subjectRef: subject.paymentId };
  return { risk: decidePayment(features, ctx.settings.risk), input };
}

function storedInstructionOf(ctx: PaymentsContext, verified: VerifiedInstruction, payment: Payment): StoredInstruction {
  return {
    paymentId: payment.id, canonicalJson: verified.canonicalJson, signature: verified.signature, profile: ctx.settings.profile, deviceId: verified.instruction.device,
    deviceCertificatePem: verified.deviceCertificatePem, caCertificatePem: verified.caCertificatePem, signedAt: verified.instruction.timestamp, receivedAt: payment.createdAt,
  };
}

/** Ledger account ids by code: an account's id never changes once opened, so each is looked up (or opened) once. */
const accountIdsByLedger = new WeakMap<Ledger, Map<string, string>>();
const cachedAccountIdsMax = 1_000_000;

async function accountIdOf(ledger: Ledger, code: string, open: () => Promise<Account>): Promise<string> {
  let ids = accountIdsByLedger.get(ledger);
  if (ids === undefined || ids.size >= cachedAccountIdsMax) accountIdsByLedger.set(ledger, (ids = new Map()));
  const cached = ids.get(code);
  if (cached !== undefined) return cached;
  const { id } = await open();
  ids.set(code, id);
  return id;
}

/** The money legs of a payment, keyed like settle-payment.ts so a stuck payment settles idempotently either way. */
async function legsOf(ctx: PaymentsContext, payment: Payment): Promise<TransferRequest[]> {
  const { ledger } = ctx;
  const debit = await accountIdOf(ledger, walletCode(payment.payerId, payment.currency), () => walletOf(ledger, payment.payerId, payment.currency));
  const credit = payment.kind === 'order_payment' && payment.merchantId !== null
    ? await accountIdOf(ledger, merchantAccountCode(payment.merchantId, payment.currency), () => merchantAccountOf(ledger, payment.merchantId as string, payment.currency))
    : await accountIdOf(ledger, walletCode(payment.payeeId, payment.currency), () => walletOf(ledger, payment.payeeId, payment.currency));
  const fees = payment.fee > 0n ? await accountIdOf(ledger, feeAccountCode(payment.currency), () => feeAccountOf(ledger, payment.currency)) : undefined;
  return legsBetween(payment, { debit, credit, fees });
}

/** The group-committed path (flows/commit-payments.ts): one transaction per batch for creation, money and audit. */
async function startBatched(ctx: PaymentsContext, request: SignedRequest, prepared: PreparedPayment, principal: PayingCustomer): Promise<StartedPayment> {
  const outcome = await commitPayment({ store: ctx.store, ledger: ctx.ledger, settings: ctx.settings, clock: ctx.clock }, prepared);
  switch (outcome.kind) {
    case 'committed':
      if (outcome.payment.state !== 'held_for_review') return { payment: outcome.payment, replayed: false };
      return { payment: await placeReviewHold(ctx, outcome.payment.id), replayed: false };
    case 'refused':
      // A claim refused (an order already paid, say) is answered, not audited, as before the batch took it.
      if (!isRecordedRefusal(outcome.error)) throw outcome.error;
      return refuse(ctx, principal, request, outcome.error, prepared.payment.id);
    case 'duplicate': {
      const replay = await replayOf(ctx, principal, request);
      if (replay === undefined) throw new Error('payments invariant: the idempotency key is taken but no payment holds it');
      return replay;
    }
  }
}

/** Starts a payment from a verified instruction towards `target`; settles it at once unless challenged or denied. */
export async function startSignedPayment(ctx: PaymentsContext, principal: PayingCustomer, request: SignedRequest, verified: VerifiedInstruction, target: PaymentTarget): Promise<StartedPayment> {
  const amount = amountOf(ctx, verified);
  if (target.payeeId === principal.customerId) throw new AnfuError('payee_is_payer');
  const customer = await ctx.identity.customer(principal.customerId);
  if (customer === undefined || customer.status !== 'active') throw new AnfuError('forbidden', 'the customer is not active');
  if (customer.outgoingFrozen === true) return refuse(ctx, principal, request, new AnfuError('customer_frozen'));
  const paymentId = newId('pay', ctx.clock());
  const assessed = await assessRisk(ctx, principal, {
    amount, currency: verified.instruction.currency, payeeId: target.payeeId, customer, paymentId,
    ip: request.origin?.ip ?? null, deviceEnrolledAt: verified.deviceEnrolledAt,
  });
  const risk = assessed.risk;
  const now = ctx.clock();
  const periods = limitPeriodsAt(now);
  const payment: Payment = {
    id: paymentId, kind: target.kind, state: 'created', payerId: principal.customerId, payeeId: target.payeeId, merchantId: target.merchantId, orderId: target.subjectId,
    amount, currency: verified.instruction.currency, fee: target.fee, refundedAmount: 0n, idempotencyKey: request.idempotencyKey, requestHash: requestHashOf(request.instruction),
    failureCode: null, riskReasons: risk.reasons, limitDay: periods.day, limitYear: periods.year, createdAt: now, updatedAt: now,
  };
  const actor: TransitionActor = {
    type: 'customer', id: principal.customerId, device: principal.deviceId, ip: request.origin?.ip ?? null,
  };
  const riskInput = ctx.riskEngine === undefined || assessed.input === undefined
    ? undefined
    : { engine: ctx.riskEngine, input: assessed.input };
  const instruction = storedInstructionOf(ctx, verified, payment);
  return startBatched(ctx, request, {
    payment, instruction, nonce: verified.instruction.nonce, risk, riskInput, actor, accountClass: customer.accountClass,
    strength: principal.strength, claim: target.claim, legs: await legsOf(ctx, payment),
  }, principal);
}
