// Withdrawal to the customer's verified card (a debit card is the bank account in China's banks).
// After the funding payment commits as `processing`: a ledger hold wallet → partner bank settlement
// WITHOUT a timeout, then the payout over ISO 8583 (0200, processing code 260000, STAN and fields 7/12
// stored before it is sent). Completed (00): the hold is posted. Refused: the hold is voided and the
// payment fails (`payout_failed` with the response code). In progress (09) or unanswered: it stays
// `processing` — no timer decides what the bank did — and `pollWithdrawals` asks again (0201, same
// STAN and field 7) with back-off. Past ANFU_WITHDRAWAL_OUTCOME_UNKNOWN_AFTER_MS after the request was
// sent (`sentAt`: the creation, or a review's release or step-up that restamped it) the withdrawal is
// listed for operations ("outcome unknown") and a `withdrawal_outcome_unknown` case is opened (one per
// withdrawal); the queries go on, and operations resolve it under maker–checker — the case's four-eyes
// decisions or a `withdrawal.resolve` proposal, one logic: paid → the hold is posted; not paid → voided.
import type { ProposalExecutor } from '../access/index.ts';
import { closeResolvedElsewhere, openCase } from '../cases/index.ts';
import { currencyOf } from '../money/index.ts';
import {
  bankSettlementOf,
  cardById,
  fundingById,
  declareOutcomeUnknown,
  recordBankAnswer,
  recordFundingTransition,
  scheduleWithdrawalStatusQuery,
  walletOf,
  withdrawalsDue,
  type CardFunding,
  type PayingCustomer,
  type FundingPayment,
  type PaymentCard,
  type PaymentsContext,
} from '../payments/index.ts';
import type { PayoutResult } from '../banks/index.ts';
import type { TransferRequest } from '../ledger/index.ts';
import { failFunding, fundingActor, revealCard, sentAtOf, storedCardRequest } from './card-exchange.ts';
import { placeWithdrawalReviewHold } from './hold-funding-for-review.ts';
import { refetchFunding, startFunding, type StartedFunding } from './start-funding.ts';
import type { SignedRequest } from './start-signed-payment.ts';

/** Status queries back off from 5 s, doubling, to one an hour; they never stop while the outcome is unknown. */
export async function withdrawToCard(
  ctx: PaymentsContext,
  funding: CardFunding,
  principal: PayingCustomer,
  request: SignedRequest,
): Promise<StartedFunding> {
  const started = await startFunding(ctx, funding, principal, request, 'withdrawal');
  if (started.replayed) return started;
  // Held for review: the amount is held in the ledger, nothing goes to the bank until an analyst releases it.
  if (started.funding.state === 'held_for_review')
    return { ...started, funding: await placeWithdrawalReviewHold(ctx, started.funding.id) };
  if (started.funding.state !== 'processing') return started;
  return { ...started, funding: await payOutWithdrawal(ctx, funding, started.funding, started.card) };
}

/**
 * The withdrawal's one ledger hold, wallet → partner bank settlement, key `<withdrawal>:hold`, no
 * timeout: only the bank's answer (or an operator's decision on it) ends it. A withdrawal held for
 * review places it before the review; its payout asks again under the same key and gets the same hold.
 */
export async function withdrawalHoldOf(ctx: PaymentsContext, row: FundingPayment): Promise<TransferRequest> {
  const wallet = await walletOf(ctx.ledger, row.customerId, row.currency);
  const bank = await bankSettlementOf(ctx.ledger, row.bank, row.currency);
  return {
    kind: 'hold',
    key: `${row.id}:hold`,
    debitAccountId: wallet.id,
    creditAccountId: bank.id,
    amount: row.amount,
    currency: row.currency,
    timeoutMs: null,
    reference: row.id,
  };
}

/** A withdrawal in `processing` (at once, or after its step-up): hold the amount, then pay it out. */
export async function payOutWithdrawal(
  ctx: PaymentsContext,
  funding: CardFunding,
  row: FundingPayment,
  card: PaymentCard,
): Promise<FundingPayment> {
  const hold = await ctx.ledger.submit(await withdrawalHoldOf(ctx, row));
  if (!hold.ok) return failFunding(ctx, row, { failureCode: hold.code });
  await recordBankAnswer(ctx.store, row.id, { holdSeq: hold.transfer.seq }, ctx.clock());
  const revealed = await revealCard(funding, card, 'card_payout', row.customerId);
  const result = await funding.link.payout({
    accountPan: revealed.pan,
    amount: { minor: row.amount, currency: currencyOf(row.currency) },
    stan: row.exchange.stan,
    sentAt: sentAtOf(row),
  });
  return applyPayoutResult(ctx, await refetchFunding(ctx, row.id), result, false);
}

async function postPaidOut(
  ctx: PaymentsContext,
  row: FundingPayment,
  detail: { responseCode?: string; meaning?: string },
  retrievalReference?: string,
): Promise<FundingPayment> {
  if (row.holdSeq === null) throw new Error(`payments invariant: withdrawal ${row.id} has no hold`);
  const post = await ctx.ledger.submit({
    kind: 'post',
    key: `${row.id}:post`,
    holdSeq: row.holdSeq,
    reference: row.id,
  });
  const now = ctx.clock();
  if (!post.ok) {
    // Paid by the bank but the hold cannot be posted (one that lapsed under the old 7-day timeout):
    // no timer settles this either — it is listed for operations.
    await listOutcomeUnknown(ctx, row, `paid by the bank, hold not postable (${post.code})`);
    return refetchFunding(ctx, row.id);
  }
  await ctx.store.transaction(async (tx) => {
    if (retrievalReference !== undefined)
      await recordBankAnswer(tx, row.id, { retrievalReference, responseCode: '00' }, now);
    await recordFundingTransition(tx, row, 'settle', fundingActor, now, detail);
  });
  return refetchFunding(ctx, row.id);
}

/** Records the bank's answer and moves the money accordingly; `polling` keeps an unreachable bank from failing a sent payout. */
export async function applyPayoutResult(
  ctx: PaymentsContext,
  row: FundingPayment,
  result: PayoutResult,
  polling: boolean,
): Promise<FundingPayment> {
  const now = ctx.clock();
  if (row.holdSeq === null) throw new Error(`payments invariant: withdrawal ${row.id} has no hold`);
  switch (result.outcome) {
    case 'completed':
      return postPaidOut(ctx, row, { responseCode: '00' }, result.retrievalReference);
    case 'failed':
      await voidHold(ctx, row);
      await recordBankAnswer(ctx.store, row.id, { responseCode: result.responseCode }, now);
      return failFunding(ctx, row, {
        failureCode: 'payout_failed',
        responseCode: result.responseCode,
        meaning: result.meaning,
      });
    case 'processing':
      if (!polling) await scheduleWithdrawalStatusQuery(ctx.store, row.id, 0, now);
      return refetchFunding(ctx, row.id);
    case 'unavailable':
      if (polling) return row;
      await voidHold(ctx, row);
      return failFunding(ctx, row, {
        failureCode: 'card_issuer_unavailable',
        meaning: 'the card link is down; nothing was sent',
      });
  }
}

async function voidHold(ctx: PaymentsContext, row: FundingPayment): Promise<void> {
  if (row.holdSeq === null) return;
  const voided = await ctx.ledger.submit({
    kind: 'void',
    key: `${row.id}:void`,
    holdSeq: row.holdSeq,
    reference: row.id,
  });
  if (!voided.ok && voided.code !== 'hold_expired')
    throw new Error(`payments invariant: withdrawal hold of ${row.id} cannot be voided (${voided.code})`);
}

/** The case operations work for a withdrawal whose outcome stays unknown (kind registered at wiring). */
function outcomeUnknownCase(row: FundingPayment) {
  return {
    kind: 'withdrawal_outcome_unknown',
    dedupeKey: row.id,
    queue: 'operations',
    title: 'Withdrawal outcome unknown: ask the bank, then decide paid or not paid',
    subject: { type: 'payment', id: row.id },
    customerId: row.customerId,
    severity: 'high' as const,
    amount: { minor: row.amount, currency: row.currency },
    evidence: [{ type: 'payment', ref: row.id }],
    openedBy: 'system:withdrawal-poll',
    details: { fundingId: row.id, bank: row.bank, statusAttempts: row.statusAttempts },
  };
}

async function listOutcomeUnknown(ctx: PaymentsContext, row: FundingPayment, why: string): Promise<void> {
  const now = ctx.clock();
  await ctx.store.transaction(async (tx) => {
    // Opened on every pass past the age, idempotent on the funding id: one case per withdrawal.
    await openCase(tx, outcomeUnknownCase(row), now);
    await declareOutcomeUnknown(tx, row, why, now);
  });
}

async function queryOnce(ctx: PaymentsContext, funding: CardFunding, row: FundingPayment): Promise<FundingPayment> {
  const card = await cardById(ctx.store, row.cardId);
  // No field 7 or hold stored (a row from before they were stored first): nothing to ask the bank with.
  if (card === undefined || row.exchange.transmitted === null || row.holdSeq === null) return row;
  const revealed = await revealCard(funding, card, 'card_payout', 'system:withdrawal-poll');
  return applyPayoutResult(
    ctx,
    row,
    await funding.link.payoutStatus(storedCardRequest(funding, row, revealed, '0200', row.exchange.transmitted)),
    true,
  );
}

/** Asks the bank about withdrawals whose status query is due (0201 repeats); returns how many settled or failed. */
export async function pollWithdrawals(
  ctx: PaymentsContext,
  funding: CardFunding,
  options: { limit: number },
): Promise<number> {
  let finished = 0;
  for (const row of await withdrawalsDue(ctx.store, ctx.clock(), options.limit)) {
    const after = await queryOnce(ctx, funding, row);
    if (after.state !== 'processing') {
      finished += 1;
      continue;
    }
    const now = ctx.clock();
    await scheduleWithdrawalStatusQuery(ctx.store, row.id, row.statusAttempts + 1, now);
    // Counted from the send, not the creation: a review or a step-up may have kept it from the bank for hours.
    if (row.sentAt + ctx.settings.withdrawalOutcomeUnknownAfterMs <= now)
      await listOutcomeUnknown(ctx, row, 'no final answer from the bank');
  }
  return finished;
}

export type Resolution = { fundingId: string; outcome: 'paid' | 'not_paid' };
const resolvedStateOf = { paid: 'succeeded', not_paid: 'failed' } as const;

/**
 * What operations decided about an "outcome unknown" withdrawal, after asking the bank out of band:
 * paid → the hold is posted; not paid → voided and the withdrawal fails. The `withdrawal.resolve`
 * executor and the `withdrawal_outcome_unknown` case's decisions both run this; `by` names the decision.
 */
export async function resolveOutcomeUnknown(
  ctx: PaymentsContext,
  payload: Resolution,
  by: string,
): Promise<{ ok: true; result: Record<string, unknown> } | { ok: false; code: string }> {
  const row = await fundingById(ctx.store, payload.fundingId);
  if (row?.kind !== 'withdrawal' || row.state !== 'processing') return { ok: false, code: 'payment_state_invalid' };
  const meaning = `resolved by operations (${by})`;
  if (payload.outcome === 'not_paid') {
    await voidHold(ctx, row);
    const failed = await failFunding(ctx, row, { failureCode: 'payout_not_paid', meaning });
    return { ok: true, result: { fundingId: failed.id, state: failed.state } };
  }
  const settled = await postPaidOut(ctx, row, { meaning });
  return settled.state === 'succeeded'
    ? { ok: true, result: { fundingId: settled.id, state: settled.state } }
    : { ok: false, code: 'payment_state_invalid' };
}

/** Maker–checker resolution of an "outcome unknown" withdrawal, after operations asked the bank out of band. */
export function withdrawalResolutionExecutor(ctx: PaymentsContext): ProposalExecutor<Resolution> {
  return {
    kind: 'withdrawal.resolve',
    proposerRoles: ['administrator', 'operations'],
    approverRoles: ['administrator', 'operations'],
    parse(payload) {
      const p = payload as { fundingId?: unknown; outcome?: unknown } | null;
      const ok =
        typeof p?.fundingId === 'string' &&
        /^fnd_[0-9a-z]{26}$/.test(p.fundingId) &&
        (p.outcome === 'paid' || p.outcome === 'not_paid');
      return ok ? { fundingId: p.fundingId as string, outcome: p.outcome as Resolution['outcome'] } : undefined;
    },
    async check(q, payload) {
      const row = await fundingById(q, payload.fundingId);
      return row?.kind === 'withdrawal' && row.state === 'processing' && row.outcomeUnknownAt !== null
        ? undefined
        : 'proposal_payload_invalid';
    },
    async outside(payload, proposal) {
      const row = await fundingById(ctx.store, payload.fundingId);
      // A retried execution after the resolution took: nothing more to do.
      if (row?.kind === 'withdrawal' && row.state === resolvedStateOf[payload.outcome]) {
        return { ok: true, result: { fundingId: row.id, state: row.state } };
      }
      return resolveOutcomeUnknown(ctx, payload, proposal.id);
    },
    // Resolved here, not through its case: the withdrawal's open `withdrawal_outcome_unknown` case is
    // closed with the reason, in the transaction that marks the proposal executed (the checker audited).
    async inside(tx, payload, proposal, now, actor) {
      const reason = `resolved by withdrawal.resolve ${proposal.id} (${payload.outcome})`;
      const subject = { kind: 'withdrawal_outcome_unknown', dedupeKey: payload.fundingId };
      const closed = await closeResolvedElsewhere(tx, subject, reason, actor, now);
      return { ok: true, result: closed === undefined ? {} : { closedCaseId: closed.id } };
    },
  };
}
