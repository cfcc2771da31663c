// Top-ups left `processing` by a stopped process, and reversals the bank never confirmed. An
// approved top-up (authorisation code recorded) is captured again — its ledger keys make that
// idempotent. One without a recorded answer is reversed at the issuer (0400 naming the STAN and
// field 7 stored before the request was sent, with a new STAN from the database) and failed; what is
// recorded is what the bank said: "reversed" only on its 00/25, otherwise the reversal stays owed and
// is retried. Run on a schedule by the server under its lease; every step is audited like the live path.
import {
  cardById, fundingInState, fundingWithReversalOwed, nextCardStan, recordBankAnswer, type CardFunding, type FundingPayment, type PaymentsContext,
} from '../payments/index.ts';
import type { ReversalResult } from '../banks/index.ts';
import { failFunding, revealCard, storedCardRequest } from './card-exchange.ts';
import { captureTopUp } from './top-up-by-card.ts';

export async function reverseStored(ctx: PaymentsContext, funding: CardFunding, row: FundingPayment): Promise<ReversalResult | undefined> {
  const card = await cardById(ctx.store, row.cardId);
  if (card === undefined || row.exchange.transmitted === null) return undefined;
  const revealed = await revealCard(funding, card, 'card_authorisation', 'system:card-recovery');
  return funding.link.reverse(storedCardRequest(funding, row, revealed, '0100', row.exchange.transmitted), await nextCardStan(ctx.store, ctx.clock()));
}

function meaningOf(reversal: ReversalResult | undefined): string {
  if (reversal === undefined) return 'interrupted before an answer was recorded; the request identity was not stored, so nothing could be reversed';
  if (reversal.outcome === 'reversed') return `interrupted before an answer was recorded; the issuer confirmed the reversal (${reversal.responseCode})`;
  return 'interrupted before an answer was recorded; the reversal is not confirmed yet and is retried';
}

export async function recoverCardFunding(ctx: PaymentsContext, funding: CardFunding, options: { olderThanMs: number; limit: number }): Promise<number> {
  const stuck = await fundingInState(ctx.store, 'top_up', 'processing', ctx.clock() - options.olderThanMs, options.limit);
  for (const row of stuck) {
    if (row.exchange.authorisationCode !== null) {
      await captureTopUp(ctx, row);
      continue;
    }
    const reversal = await reverseStored(ctx, funding, row);
    if (reversal?.outcome === 'unconfirmed') await recordBankAnswer(ctx.store, row.id, { reversalOwed: true }, ctx.clock());
    await failFunding(ctx, row, { failureCode: 'card_issuer_unavailable', meaning: meaningOf(reversal), ...(reversal?.outcome === 'reversed' ? { responseCode: reversal.responseCode } : {}) });
  }
  for (const row of await fundingWithReversalOwed(ctx.store, options.limit)) {
    if ((await reverseStored(ctx, funding, row))?.outcome === 'reversed') await recordBankAnswer(ctx.store, row.id, { reversalOwed: false }, ctx.clock());
  }
  return stuck.length;
}
