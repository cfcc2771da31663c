// Withdrawal to the customer's verified card (a debit card is the bank account in China's banks).
// After the funding payment commits as `processing`: a ledger hold wallet → partner bank settlement,
// then the payout over ISO 8583 (0200, processing code 260000). Completed (00): the hold is posted.
// Refused: the hold is voided and the payment fails (`payout_failed` with the response code).
// In progress (09) or unanswered: it stays `processing` — a payout is never reversed on a timeout —
// and `pollWithdrawals` asks the bank again (0201, same STAN and field 7) until it settles.
import { currencyOf } from '../money/index.ts';
import {
  bankSettlementOf, cardById, fundingInState, recordExchange, recordFundingTransition, walletOf,
  type CardFunding, type PayingCustomer, type FundingPayment, type PaymentsContext,
} from '../payments/index.ts';
import type { PayoutResult } from '../banks/index.ts';
import { failFunding, fundingActor, revealCard, storedCardRequest } from './card-exchange.ts';
import { refetchFunding, startFunding, type StartedFunding } from './start-funding.ts';
import type { SignedRequest } from './start-signed-payment.ts';

/** How long a withdrawal's hold may wait for the bank's final answer before the ledger expires it. */
export const withdrawalHoldTimeoutMs = 7 * 24 * 3600_000;

export async function withdrawToCard(ctx: PaymentsContext, funding: CardFunding, principal: PayingCustomer, request: SignedRequest): Promise<StartedFunding> {
  const started = await startFunding(ctx, funding, principal, request, 'withdrawal');
  if (started.replayed || started.funding.state !== 'processing') return started;
  const row = started.funding;
  const wallet = await walletOf(ctx.ledger, row.customerId, row.currency);
  const bank = await bankSettlementOf(ctx.ledger, row.bank, row.currency);
  const hold = await ctx.ledger.submit({ kind: 'hold', key: `${row.id}:hold`, debitAccountId: wallet.id, creditAccountId: bank.id, amount: row.amount, currency: row.currency, timeoutMs: withdrawalHoldTimeoutMs, reference: row.id });
  if (!hold.ok) return { ...started, funding: await failFunding(ctx, row, { failureCode: hold.code }) };
  await recordExchange(ctx.store, row.id, { holdSeq: hold.transfer.seq }, ctx.clock());
  const revealed = await revealCard(funding, started.card, 'card_payout', row.customerId);
  const result = await funding.link.payout({ accountPan: revealed.pan, amount: { minor: row.amount, currency: currencyOf(row.currency) }, stan: row.exchange.stan });
  return { ...started, funding: await applyPayoutResult(ctx, await refetchFunding(ctx, row.id), result, false) };
}

/** Records the bank's answer and moves the money accordingly; `polling` keeps an unreachable bank from failing a sent payout. */
export async function applyPayoutResult(ctx: PaymentsContext, row: FundingPayment, result: PayoutResult, polling: boolean): Promise<FundingPayment> {
  const now = ctx.clock();
  if (result.outcome !== 'unavailable') await recordExchange(ctx.store, row.id, { transmitted: result.reference.transmissionDateTime, localTime: result.reference.localTime }, now);
  if (row.holdSeq === null) throw new Error(`payments invariant: withdrawal ${row.id} has no hold`);
  switch (result.outcome) {
    case 'completed': {
      const post = await ctx.ledger.submit({ kind: 'post', key: `${row.id}:post`, holdSeq: row.holdSeq, reference: row.id });
      if (!post.ok) throw new Error(`payments invariant: the paid-out withdrawal ${row.id} cannot be posted (${post.code})`);
      await ctx.store.transaction(async (tx) => {
        await recordExchange(tx, row.id, { retrievalReference: result.retrievalReference, responseCode: '00' }, now);
        await recordFundingTransition(tx, row, 'settle', fundingActor, now, { responseCode: '00' });
      });
      return refetchFunding(ctx, row.id);
    }
    case 'failed':
      await voidHold(ctx, row);
      await recordExchange(ctx.store, row.id, { responseCode: result.responseCode }, now);
      return failFunding(ctx, row, { failureCode: 'payout_failed', responseCode: result.responseCode, meaning: result.meaning });
    case 'processing':
      return refetchFunding(ctx, row.id);
    case 'unavailable':
      if (polling) return row;
      await voidHold(ctx, row);
      return failFunding(ctx, row, { failureCode: 'card_issuer_unavailable', meaning: 'the card link is down; nothing was sent' });
  }
}

async function voidHold(ctx: PaymentsContext, row: FundingPayment): Promise<void> {
  if (row.holdSeq === null) return;
  const voided = await ctx.ledger.submit({ kind: 'void', key: `${row.id}:void`, holdSeq: row.holdSeq, reference: row.id });
  if (!voided.ok && voided.code !== 'hold_expired') throw new Error(`payments invariant: withdrawal hold of ${row.id} cannot be voided (${voided.code})`);
}

/** Asks the bank about withdrawals still `processing` (0201 repeats) and completes or fails them; returns how many settled. */
export async function pollWithdrawals(ctx: PaymentsContext, funding: CardFunding, options: { olderThanMs: number; limit: number }): Promise<number> {
  const waiting = await fundingInState(ctx.store, 'withdrawal', 'processing', ctx.clock() - options.olderThanMs, options.limit);
  let settled = 0;
  for (const row of waiting) {
    const card = await cardById(ctx.store, row.cardId);
    // No field 7 recorded: the process stopped between the hold and the payout answer; an operator decides (docs/payments.md).
    if (card === undefined || row.exchange.transmitted === null || row.holdSeq === null) continue;
    const revealed = await revealCard(funding, card, 'card_payout', 'system:withdrawal-poll');
    const after = await applyPayoutResult(ctx, row, await funding.link.payoutStatus(storedCardRequest(funding, row, revealed, '0200', row.exchange.transmitted)), true);
    if (after.state !== 'processing') settled += 1;
  }
  return settled;
}
