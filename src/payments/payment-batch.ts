// The payments' part of the group commit of signed payments (flows/commit-payments.ts owns the batch,
// its transaction, the ledger and the risk engine): in the batch's transaction, each new payment is
// inserted by (payer, idempotency key) — a taken key is a duplicate —, its nonce claimed, its limits
// decided under one lock of the payers' usage counters and its order or request for money claimed, in
// arrival order, its instruction stored and its creation walked through the state machine; after the
// ledger's answer a payment settles (its order or request paid) or fails (giving its usage and its order
// or request back). Transitions and audit entries are collected and written once per batch.
// Nothing here throws for an expected refusal: those are values, so one payment never aborts the rest.
import type { AuditEvent } from '../audit/index.ts';
import { AnfuError } from '../errors.ts';
import type { Tx } from '../store/index.ts';
import { creationWalk, limitRefusalOf, usagePeriodsOf } from './decide-payment.ts';
import type { AccountClass, LimitPolicy, LimitTier } from './payment-limits.ts';
import { nextState, type PaymentEvent, type PaymentState } from './payment-states.ts';
import { creationAuditEvent, transitionAuditEvent, type TransitionActor } from './record-transition.ts';
import { recordSubjectPaid } from './settle-payment.ts';
import {
  addUsage,
  claimNonces,
  deleteUncommittedPayments,
  insertInstructions,
  insertPaymentsIfNew,
  insertTransitions,
  lockUsageRows,
  updatePaymentState,
  usageKeyOf,
  writeUsageRows,
  type Payment,
  type StoredInstruction,
  type TransitionRow,
  type UsageKey,
} from './store/payments.ts';
import { releaseSubject } from './store/reservations.ts';

/** A payment ready for the batch: every field decided before it, the risk decision included. */
export interface BatchPayment {
  /** The payment as created (state `created`). */
  readonly payment: Payment;
  readonly instruction: StoredInstruction;
  readonly nonce: string;
  readonly risk: { readonly decision: 'allow' | 'challenge' | 'review' | 'deny'; readonly reasons: readonly string[] };
  readonly actor: TransitionActor;
  readonly accountClass: AccountClass;
  readonly strength: LimitTier;
  /** The payer's AML risk level in force as the engine read it for this payment (it cuts the day limit). */
  readonly riskLevel?: string | undefined;
  /**
   * Claims the order or request for money the payment pays (pending → paying) in the batch's
   * transaction; throws the refusal (an AnfuError) when it is no longer payable.
   */
  readonly claim?: ((tx: Tx, paymentId: string, now: number) => Promise<void>) | undefined;
}

export type BatchOutcome =
  | { readonly kind: 'committed'; readonly payment: Payment }
  /** A concurrent request with the same idempotency key won: answer with its payment. */
  | { readonly kind: 'duplicate' }
  | { readonly kind: 'refused'; readonly error: AnfuError };

/** What the batch writes once, at its end: the transitions here, the audit entries by the batch owner. */
export interface BatchWrites {
  readonly transitions: TransitionRow[];
  readonly audit: AuditEvent[];
}

export const newBatchWrites = (): BatchWrites => ({ transitions: [], audit: [] });

const riskActor: TransitionActor = { type: 'system', id: 'risk' };
const systemActor: TransitionActor = { type: 'system', id: 'payments' };

/** Applies `event` through the state machine (the only judge) and records the row and its audit entry. */
function step(
  writes: BatchWrites,
  payment: Payment,
  from: PaymentState,
  event: PaymentEvent,
  actor: TransitionActor,
  now: number,
  detail?: { failureCode?: string; reasons?: readonly string[] },
): PaymentState {
  const result = nextState(from, event);
  if (!result.ok) throw new Error(`payments invariant: ${result.detail}`);
  writes.transitions.push({
    paymentId: payment.id, from, to: result.to, event, actorType: actor.type, actorId: actor.id,
    detail: detail === undefined ? null : JSON.stringify(detail), at: now,
  });
  writes.audit.push(transitionAuditEvent({ ...payment, state: from }, result.to, event, actor, detail));
  return result.to;
}

/**
 * Locks the usage counters of the payers at once and decides each payment's limits in arrival order
 * against running totals (two payments of one payer in one batch see each other); a payment within its
 * limits then claims its order or request, so of two payments for one order the first to arrive wins.
 * A refused payment (limit or claim) counts no usage. Returns the refusals by index and the counters'
 * new values.
 */
async function reserveBatchPayments(
  tx: Tx,
  created: ReadonlyArray<{ index: number; prepared: BatchPayment }>,
  policy: LimitPolicy,
  now: number,
): Promise<{ refusals: Map<number, BatchOutcome>; usage: Map<string, bigint> }> {
  const keys = new Map<string, UsageKey>();
  for (const { prepared: { payment } } of created) {
    for (const period of usagePeriodsOf(payment)) {
      keys.set(usageKeyOf(payment.payerId, period), { customerId: payment.payerId, period });
    }
  }
  const usage = keys.size === 0 ? new Map<string, bigint>() : await lockUsageRows(tx, [...keys.values()]);
  const refusals = new Map<number, BatchOutcome>();
  for (const { index, prepared } of created) {
    const { payment, accountClass, strength, riskLevel } = prepared;
    const keysOfPayment = usagePeriodsOf(payment).map((period) => usageKeyOf(payment.payerId, period));
    const used = keysOfPayment.map((key) => usage.get(key) ?? 0n) as [bigint, bigint, bigint];
    const refusal = limitRefusalOf({ payment, accountClass, strength, riskLevel, used }, policy)
      ?? await claimRefusalOf(tx, prepared, now);
    if (refusal !== undefined) refusals.set(index, { kind: 'refused', error: refusal });
    else for (const key of keysOfPayment) usage.set(key, (usage.get(key) ?? 0n) + payment.amount);
  }
  return { refusals, usage };
}

/** The payment's claim on its order or request, as a value: the refusal, or undefined once claimed. */
async function claimRefusalOf(tx: Tx, prepared: BatchPayment, now: number): Promise<AnfuError | undefined> {
  try {
    await prepared.claim?.(tx, prepared.payment.id, now);
    return undefined;
  } catch (error) {
    if (error instanceof AnfuError) return error;
    throw error;
  }
}

/** The walk of a new payment, recorded: created → risk_checked → processing | challenged | held_for_review | failed. */
function walkCreation(writes: BatchWrites, prepared: BatchPayment): PaymentState {
  const { payment, risk, actor } = prepared;
  const now = payment.createdAt;
  writes.transitions.push({
    paymentId: payment.id, from: null, to: 'created', event: 'create', actorType: actor.type, actorId: actor.id,
    detail: null, at: now,
  });
  writes.audit.push(creationAuditEvent(payment, actor));
  let state: PaymentState = 'created';
  for (const walk of creationWalk(risk)) {
    state = step(writes, payment, state, walk.event, walk.by === 'risk' ? riskActor : actor, now, walk.detail);
  }
  return state;
}

/**
 * The payment row as this transaction will commit it. A payment on its way to the ledger is written
 * `succeeded` at once and corrected in the same transaction if the ledger refuses it: nobody sees the
 * row before the commit, and writing it once spares an UPDATE that rewrites every index of the row.
 */
function rowOf(prepared: BatchPayment, now: number): Payment {
  const { payment, risk } = prepared;
  const state: PaymentState = risk.decision === 'deny' ? 'failed'
    : risk.decision === 'challenge' ? 'challenged'
      : risk.decision === 'review' ? 'held_for_review' : 'succeeded';
  const failureCode = risk.decision === 'deny' ? 'payment_denied' : null;
  return { ...payment, state, failureCode, updatedAt: state === 'succeeded' ? now : payment.updatedAt };
}

/**
 * Creates every payment of the batch: payments, nonces, limits (locked), instructions, transitions,
 * usage. A committed payment that goes to the ledger comes back in state `succeeded` (see rowOf).
 */
export async function createBatchPayments(
  tx: Tx,
  writes: BatchWrites,
  batch: readonly BatchPayment[],
  policy: LimitPolicy,
  now: number,
): Promise<BatchOutcome[]> {
  const outcomes: BatchOutcome[] = new Array<BatchOutcome>(batch.length);
  const candidates = batch.map((prepared, index) => ({ index, prepared, stored: rowOf(prepared, now) }));
  const inserted = await insertPaymentsIfNew(tx, candidates.map((c) => c.stored));
  for (const c of candidates) if (!inserted.has(c.stored.id)) outcomes[c.index] = { kind: 'duplicate' };
  const fresh = candidates.filter((c) => inserted.has(c.stored.id));
  const claims = fresh.map((c) => ({
    deviceId: c.prepared.instruction.deviceId,
    nonce: c.prepared.nonce,
    paymentId: c.stored.id,
    seenAt: c.stored.createdAt,
  }));
  const claimed = await claimNonces(tx, claims);
  const replayed = (): BatchOutcome => ({ kind: 'refused', error: new AnfuError('instruction_replayed') });
  for (const c of fresh) if (!claimed.has(c.stored.id)) outcomes[c.index] = replayed();
  const claiming = fresh.filter((c) => claimed.has(c.stored.id));
  const deciding = claiming.filter((c) => c.prepared.risk.decision !== 'deny');
  const { refusals, usage } = await reserveBatchPayments(tx, deciding, policy, now);
  for (const [index, refusal] of refusals) outcomes[index] = refusal;
  // A replayed nonce, a refused limit or claim leaves nothing behind: its rows go as if never written
  // (the nonce of a refused payment stays usable, as when a whole transaction rolls back).
  const undone = fresh.filter((c) => !claimed.has(c.stored.id) || refusals.has(c.index)).map((c) => c.stored.id);
  if (undone.length > 0) await deleteUncommittedPayments(tx, undone);
  const created = claiming.filter((c) => !refusals.has(c.index));
  await insertInstructions(tx, created.map((c) => c.prepared.instruction));
  for (const c of created) {
    const walked = walkCreation(writes, c.prepared);
    if (walked !== (c.stored.state === 'succeeded' ? 'processing' : c.stored.state))
      throw new Error('payments invariant: the stored state is not where the walk ended');
    outcomes[c.index] = { kind: 'committed', payment: c.stored };
  }
  if (usage.size > 0) await writeUsageRows(tx, usage);
  return outcomes;
}

/**
 * The ledger applied the payment's legs: processing → succeeded (the row already says so), its order
 * or request paid and the merchant told (recordSubjectPaid, as a payment settled alone).
 */
export async function settleBatchPayment(tx: Tx, writes: BatchWrites, payment: Payment, now: number): Promise<void> {
  await recordSubjectPaid(tx, payment, now);
  step(writes, payment, 'processing', 'settle', systemActor, now);
}

/** The ledger refused the legs (insufficient funds, say): the payment fails, giving its usage and its order back. */
export async function failBatchPayment(
  tx: Tx,
  writes: BatchWrites,
  payment: Payment,
  failureCode: string,
  now: number,
): Promise<Payment> {
  step(writes, payment, 'processing', 'fail', systemActor, now, { failureCode });
  if ((await updatePaymentState(tx, payment.id, 'succeeded', 'failed', failureCode, now)) !== 1)
    throw new Error('payments invariant: a refused payment row is missing');
  for (const period of usagePeriodsOf(payment)) await addUsage(tx, payment.payerId, period, -payment.amount);
  await releaseSubject(tx, payment);
  return { ...payment, state: 'failed', failureCode, updatedAt: now };
}

/** Writes the transitions the batch collected, in one statement. */
export async function writeBatchTransitions(tx: Tx, writes: BatchWrites): Promise<void> {
  await insertTransitions(tx, writes.transitions);
}
