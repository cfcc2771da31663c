// Refunds of merchant order payments, full or partial (docs/payments.md "Refunds"). A refund first
// reserves its amount against the payment (never more than was paid, in total); it then either moves
// the money at once (merchant → payer wallet, ledger key <refund>:refund) or, when the payment's live
// refunds would exceed the approval threshold (cumulative: splitting a refund does not avoid it),
// waits for maker–checker approval: the 'payment.refund' proposal is opened in the refund's own
// transaction. A failed, rejected or unapproved-in-time refund gives its reservation back. The
// payment's refunded amount, and its move to `reversed`, come from executed refunds only. A merchant
// frozen by a sanctions hit refunds nothing (`merchant_frozen`; docs/sanctions.md "Merchants" says why).
import { createHash } from 'node:crypto';
import { findProposal, openProposalWithin, type OperatorRole, type ProposalExecutor } from '../access/index.ts';
import { appendAudit, type AuditEvent } from '../audit/index.ts';
import { AnfuError } from '../errors.ts';
import { enqueueOutbox } from '../events/index.ts';
import { newId } from '../ids.ts';
import { currencyOf, formatMajor } from '../money/index.ts';
import type { Tx } from '../store/index.ts';
import { merchantFrozen } from '../sanctions/index.ts';
import { refuseIfMerchantFrozen } from './merchant-freeze.ts';
import { merchantAccountOf, walletOf } from './payment-accounts.ts';
import type { PaymentsContext } from './payments-context.ts';
import { recordTransition } from './record-transition.ts';
import { paymentById, type Payment } from './store/payments.ts';
import {
  addRefunded, insertRefundIfNew, moveRefund, refundableOf, refundById, refundByKey, refundsInState, releaseRefund, reserveRefund,
  type Refund, type RefundState,
} from './store/refunds.ts';

export { refundById, refundsOf, refundStates, type Refund, type RefundState } from './store/refunds.ts';

export interface RefundRequest {
  readonly amount: bigint;
  readonly reason: string;
  readonly idempotencyKey: string;
}

const approverRoles: readonly OperatorRole[] = ['administrator', 'operations'];
const systemActor = { type: 'system' as const, id: 'payments' };

function refundHashOf(paymentId: string, request: RefundRequest): string {
  return createHash('sha256').update(`${paymentId}\n${request.amount}\n${request.reason}`).digest('hex');
}

function replayOf(existing: Refund, hash: string): { refund: Refund; replayed: true } {
  // Not a secret: the hash only tells a retry from a different request under the same key.
  // eslint-disable-next-line security/detect-possible-timing-attacks -- a request digest, not a secret
  if (existing.requestHash !== hash) throw new AnfuError('idempotency_conflict');
  return { refund: existing, replayed: true };
}

/** A concurrent request under the same key inserted first: this one answers with that refund. */
class KeyTaken extends Error {}

async function reserveWithin(ctx: PaymentsContext, tx: Tx, payment: Payment, refund: Omit<Refund, 'failureCode' | 'updatedAt'>): Promise<RefundState> {
  const now = refund.createdAt;
  // The insert comes first: on PostgreSQL a concurrent insert of the same key waits here for this
  // transaction and then finds the key taken, instead of failing on the reservation.
  if (!(await insertRefundIfNew(tx, refund))) throw new KeyTaken();
  const reserved = await reserveRefund(tx, payment.id, refund.amount, now);
  if (reserved === undefined) {
    throw new AnfuError('refund_exceeds_payment', undefined, { remaining: formatMajor(await refundableOf(tx, payment.id), currencyOf(payment.currency)) });
  }
  if (reserved <= ctx.settings.refundApprovalMinor) return 'processing';
  const proposalId = await openProposalWithin(tx, {
    kind: 'payment.refund', payload: { refundId: refund.id }, proposedBy: `merchant:${refund.merchantId}`, approverRoles,
    reason: `refund of ${formatMajor(refund.amount, currencyOf(refund.currency))} ${refund.currency} on ${payment.id}: ${refund.reason}`.slice(0, 500),
    ttlMs: ctx.settings.refundApprovalTtlMs,
  }, now);
  await tx.run("UPDATE refunds SET state = 'awaiting_approval', proposal_id = ? WHERE id = ?", [proposalId, refund.id]);
  return 'awaiting_approval';
}

export async function requestRefund(ctx: PaymentsContext, merchantId: string, paymentId: string, request: RefundRequest): Promise<{ refund: Refund; replayed: boolean }> {
  const hash = refundHashOf(paymentId, request);
  const existing = await refundByKey(ctx.store, merchantId, request.idempotencyKey);
  if (existing !== undefined) return replayOf(existing, hash);
  if (request.amount <= 0n) throw new AnfuError('invalid_amount', 'a refund must be greater than zero');
  const payment = await paymentById(ctx.store, paymentId);
  if (payment === undefined || payment.merchantId !== merchantId) throw new AnfuError('payment_not_found');
  if (payment.state !== 'succeeded') throw new AnfuError('payment_state_invalid', `a ${payment.state} payment cannot be refunded`);
  const now = ctx.clock();
  await refuseIfMerchantFrozen(ctx.store, merchantId, { action: 'refund.request', target: paymentId, now });
  const draft = {
    id: newId('rfd', now), paymentId, merchantId, amount: request.amount, currency: payment.currency, state: 'processing' as RefundState,
    reason: request.reason, idempotencyKey: request.idempotencyKey, requestHash: hash, proposalId: null, createdAt: now,
  };
  let state: RefundState;
  try {
    state = await ctx.store.transaction(async (tx) => {
      const decided = await reserveWithin(ctx, tx, payment, draft);
      await appendAudit(tx, [{ actorType: 'merchant', actorId: merchantId, action: 'refund.request', target: draft.id, outcome: 'success', details: { paymentId, amount: request.amount.toString(), state: decided } }], now);
      return decided;
    });
  } catch (error) {
    const winner = await refundByKey(ctx.store, merchantId, request.idempotencyKey);
    if (winner !== undefined) return replayOf(winner, hash);
    if (error instanceof KeyTaken) throw new Error('payments invariant: a refund key was taken but no refund holds it');
    throw error;
  }
  const refund = state === 'processing' ? await executeRefund(ctx, draft.id) : await refundById(ctx.store, draft.id);
  if (refund === undefined) throw new Error('payments invariant: refund vanished');
  return { refund, replayed: false };
}

async function recordExecuted(ctx: PaymentsContext, tx: Tx, refund: Refund, now: number): Promise<void> {
  const totals = await addRefunded(tx, refund.paymentId, refund.amount, now);
  const payment = await paymentById(tx, refund.paymentId);
  if (payment === undefined) throw new Error('payments invariant: refund without payment');
  if (totals.refunded === totals.amount && payment.state === 'succeeded') await recordTransition(tx, payment, 'reverse', systemActor, now, { reasons: ['fully_refunded'] });
  await enqueueOutbox(tx, {
    topic: 'refund.succeeded', destination: { kind: 'merchant', merchantId: refund.merchantId },
    payload: { refundId: refund.id, paymentId: refund.paymentId, orderId: payment.orderId, amount: formatMajor(refund.amount, currencyOf(refund.currency)), currency: refund.currency },
    key: `refund.succeeded:${refund.id}`, subject: payment.orderId ?? payment.id,
  }, now);
}

/**
 * A refund approved or left processing while a sanctions case froze its merchant fails (`merchant_frozen`,
 * its reservation given back) — unless its money already moved before a crash, which the ledger keeps
 * (a refund executed before its money moved in the refund's own transaction). Read inside that
 * transaction: a freeze committed after any earlier check is seen here, before any money moves.
 */
async function frozenBeforeMoving(ctx: PaymentsContext, tx: Tx, refund: Refund): Promise<boolean> {
  if (!(await merchantFrozen(tx, refund.merchantId))) return false;
  return (await ctx.ledger.transfersByReference(refund.id, 1, tx)).length === 0;
}

type RefundOutcome = { readonly ok: true } | { readonly ok: false; readonly code: string };

/**
 * Moves a refund's money and records the outcome in ONE transaction: the refund row is claimed first
 * (as in the reservation: refund row, accounts, payment row, then the audit head last), the merchant's
 * freeze read, the transfer applied (ledger key <refund>:refund) and the state, totals and audit
 * written — a freeze cannot land between the check and the money. Idempotent on the refund's state.
 */
export async function executeRefund(ctx: PaymentsContext, refundId: string): Promise<Refund> {
  const refund = await refundById(ctx.store, refundId);
  if (refund === undefined) throw new AnfuError('refund_not_found');
  if (refund.state !== 'processing' && refund.state !== 'awaiting_approval') return refund;
  const payment = await paymentById(ctx.store, refund.paymentId);
  if (payment === undefined) throw new Error('payments invariant: refund without payment');
  const merchant = await merchantAccountOf(ctx.ledger, refund.merchantId, refund.currency);
  const wallet = await walletOf(ctx.ledger, payment.payerId, refund.currency);
  const transfer = {
    kind: 'single' as const, key: `${refund.id}:refund`, debitAccountId: merchant.id, creditAccountId: wallet.id,
    amount: refund.amount, currency: refund.currency, reference: refund.id,
  };
  const now = ctx.clock();
  await ctx.ledger.transaction(async (tx, ledgerTx) => {
    // Claimed as succeeded; a refusal below turns it to failed before the transaction commits.
    if (!(await moveRefund(tx, refund.id, ['processing', 'awaiting_approval'], 'succeeded', null, now))) return;
    const audit: AuditEvent[] = [];
    const frozen = await frozenBeforeMoving(ctx, tx, refund);
    const [moved] = frozen ? [] : await ctx.ledger.applyWithin(ledgerTx, [[transfer]], audit);
    const outcome: RefundOutcome = moved === undefined ? { ok: false, code: 'merchant_frozen' } : moved;
    if (outcome.ok) await recordExecuted(ctx, tx, refund, now);
    else {
      await moveRefund(tx, refund.id, ['succeeded'], 'failed', outcome.code, now);
      await releaseRefund(tx, refund.paymentId, refund.amount, now);
    }
    const details = {
      paymentId: refund.paymentId, amount: refund.amount.toString(), ...(outcome.ok ? {} : { failureCode: outcome.code }),
    };
    const entry = { actorType: 'system' as const, actorId: 'payments', action: 'refund.execute', target: refund.id };
    audit.push({ ...entry, outcome: outcome.ok ? 'success' : 'failure', details });
    await appendAudit(tx, audit, now);
  });
  const after = await refundById(ctx.store, refund.id);
  if (after === undefined) throw new Error('payments invariant: refund vanished');
  return after;
}

/** Ends a refund whose approval will never come (rejected, expired, failed, missing): `rejected`, reservation released. */
async function rejectRefund(ctx: PaymentsContext, refund: Refund, because: string): Promise<boolean> {
  const now = ctx.clock();
  return ctx.store.transaction(async (tx) => {
    if (!(await moveRefund(tx, refund.id, ['awaiting_approval'], 'rejected', because, now))) return false;
    await releaseRefund(tx, refund.paymentId, refund.amount, now);
    await appendAudit(tx, [{ actorType: 'system', actorId: 'payments', action: 'refund.reject', target: refund.id, outcome: 'success', details: { paymentId: refund.paymentId, amount: refund.amount.toString(), because } }], now);
    await enqueueOutbox(tx, {
      topic: 'refund.rejected', destination: { kind: 'merchant', merchantId: refund.merchantId },
      payload: { refundId: refund.id, paymentId: refund.paymentId, amount: formatMajor(refund.amount, currencyOf(refund.currency)), currency: refund.currency, reason: because },
      key: `refund.rejected:${refund.id}`, subject: refund.paymentId,
    }, now);
    return true;
  });
}

/**
 * The refunds sweep: refunds left `processing` by a crash are executed (idempotent on the ledger
 * key); refunds awaiting an approval that was rejected or ran out of time are rejected and release
 * their reservation. Approved ones are left to the approvals sweep, which executes them.
 */
export async function sweepRefunds(ctx: PaymentsContext, options: { olderThanMs: number; limit: number }): Promise<{ executed: number; rejected: number }> {
  const now = ctx.clock();
  let executed = 0;
  for (const refund of await refundsInState(ctx.store, 'processing', now - options.olderThanMs, options.limit)) {
    await executeRefund(ctx, refund.id);
    executed += 1;
  }
  let rejected = 0;
  for (const refund of await refundsInState(ctx.store, 'awaiting_approval', now, options.limit)) {
    const proposal = refund.proposalId === null ? undefined : await findProposal(ctx.store, refund.proposalId);
    // A refund from before proposals were opened with it waits one approval period for an operator's.
    const closed = proposal === undefined ? (refund.createdAt + ctx.settings.refundApprovalTtlMs <= now ? 'proposal_missing' : undefined)
      : proposal.state === 'rejected' || proposal.state === 'expired' ? `proposal_${proposal.state}`
        : proposal.state === 'pending' && proposal.expiresAt <= now ? 'proposal_expired' : undefined;
    if (closed !== undefined && (await rejectRefund(ctx, refund, closed))) rejected += 1;
  }
  return { executed, rejected };
}

/** The maker–checker executor: approving the refund's proposal executes the refund (idempotent on the refund id). */
export function refundApprovalExecutor(ctx: PaymentsContext): ProposalExecutor<{ refundId: string }> {
  return {
    kind: 'payment.refund',
    proposerRoles: ['administrator', 'operations', 'customer_service'],
    approverRoles,
    parse(payload) {
      const refundId = (payload as { refundId?: unknown } | null)?.refundId;
      return typeof refundId === 'string' && /^rfd_[0-9a-z]{26}$/.test(refundId) ? { refundId } : undefined;
    },
    async check(q, payload) {
      const refund = await refundById(q, payload.refundId);
      // A refund's proposal is opened with the refund; a second one for the same refund is refused.
      return refund?.state === 'awaiting_approval' && refund.proposalId === null ? undefined : 'proposal_payload_invalid';
    },
    async outside(payload) {
      const refund = await executeRefund(ctx, payload.refundId);
      return refund.state === 'succeeded' ? { ok: true, result: { refundId: refund.id, state: refund.state } } : { ok: false, code: refund.failureCode ?? 'refund_failed' };
    },
  };
}
