// Top-ups left `processing` by a stopped process, and reversals the bank never confirmed. An
// approved top-up (authorisation code recorded) is captured again — its ledger keys make that
// idempotent; one without an answer is reversed at the issuer (0400 naming the stored STAN and field
// 7) and failed. Run on a schedule by the server; every step is audited like the live path.
import { fundingInState, fundingWithReversalOwed, cardById, recordExchange, type CardFunding, type FundingPayment, type PaymentsContext } from '../payments/index.ts';
import { failFunding, revealCard, storedCardRequest } from './card-exchange.ts';
import { captureTopUp } from './top-up-by-card.ts';

async function reverseStored(ctx: PaymentsContext, funding: CardFunding, row: FundingPayment): Promise<boolean> {
  const card = await cardById(ctx.store, row.cardId);
  if (card === undefined || row.exchange.transmitted === null) return false;
  const revealed = await revealCard(funding, card, 'card_authorisation', 'system:card-recovery');
  const reversal = await funding.link.reverse(storedCardRequest(funding, row, revealed, '0100', row.exchange.transmitted));
  return reversal.outcome === 'reversed';
}

export async function recoverCardFunding(ctx: PaymentsContext, funding: CardFunding, options: { olderThanMs: number; limit: number }): Promise<number> {
  const stuck = await fundingInState(ctx.store, 'top_up', 'processing', ctx.clock() - options.olderThanMs, options.limit);
  for (const row of stuck) {
    if (row.exchange.authorisationCode !== null) {
      await captureTopUp(ctx, row);
      continue;
    }
    const reversed = await reverseStored(ctx, funding, row);
    if (!reversed) await recordExchange(ctx.store, row.id, { reversalOwed: row.exchange.transmitted !== null }, ctx.clock());
    await failFunding(ctx, row, { failureCode: 'card_issuer_unavailable', meaning: 'interrupted before the answer was recorded; reversed at the issuer' });
  }
  for (const row of await fundingWithReversalOwed(ctx.store, options.limit)) {
    if (await reverseStored(ctx, funding, row)) await recordExchange(ctx.store, row.id, { reversalOwed: false }, ctx.clock());
  }
  return stuck.length;
}
