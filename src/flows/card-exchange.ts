// Helpers shared by top-ups and withdrawals: the card's PAN from the vault (named purpose, audited by
// the vault), an ISO 8583 request rebuilt from what was stored (for a reversal or a payout status
// after a restart), and the failure step with its audit entry.
import { CardNumber, type CardRequest } from '../banks/index.ts';
import type { DetokenisePurpose } from '../crypto/index.ts';
import { currencyOf } from '../money/index.ts';
import { recordFundingTransition, releaseFundingLimits, type CardFunding, type FundingDetail, type FundingPayment, type PaymentCard, type PaymentsContext, type TransitionActor } from '../payments/index.ts';
import { refetchFunding } from './start-funding.ts';

export const fundingActor: TransitionActor = { type: 'system', id: 'card-link' };
/** ISO 8583 processing codes (docs/banks.md): purchase for the top-up authorisation, credit to account for the payout. */
const processingCodeOf = { '0100': '000000', '0200': '260000' } as const;

export interface RevealedCard {
  readonly pan: string;
  /** YYMM as field 14 wants it. */
  readonly expiry: string | undefined;
}

export async function revealCard(funding: CardFunding, card: PaymentCard, purpose: DetokenisePurpose, actor: string): Promise<RevealedCard> {
  const { pan, expiry } = await funding.vault.detokenise(card.cardToken, { purpose, actor });
  // The vault keeps MM/YYYY.
  const match = expiry === undefined ? null : /^([0-9]{2})\/[0-9]{2}([0-9]{2})$/.exec(expiry);
  return { pan, expiry: match === null ? undefined : `${match[2] ?? ''}${match[1] ?? ''}` };
}

/** The request as it was sent, from the stored STAN, field 7 and field 12. */
export function storedCardRequest(funding: CardFunding, row: FundingPayment, card: RevealedCard, mti: '0100' | '0200', transmitted: string): CardRequest {
  return {
    mti, processingCode: processingCodeOf[mti], pan: new CardNumber(card.pan), expiry: mti === '0100' ? card.expiry : undefined, amountMinor: row.amount,
    currency: currencyOf(row.currency), stan: row.exchange.stan, transmissionDateTime: transmitted, localTime: row.exchange.localTime ?? '000000',
    terminalId: funding.terminalId, merchantId: funding.merchantId,
  };
}

/** Fields 7 and 12 as stored before the request was sent. */
export function sentAtOf(row: FundingPayment): { transmissionDateTime: string; localTime: string } | undefined {
  const { transmitted, localTime } = row.exchange;
  return transmitted === null || localTime === null ? undefined : { transmissionDateTime: transmitted, localTime };
}

export async function failFunding(ctx: PaymentsContext, row: FundingPayment, detail: FundingDetail & { failureCode: string }): Promise<FundingPayment> {
  const now = ctx.clock();
  await ctx.store.transaction(async (tx) => {
    await recordFundingTransition(tx, row, 'fail', fundingActor, now, detail);
    // No money moved: the limit usage the funding reserved is given back with its failure.
    await releaseFundingLimits(tx, row);
  });
  return refetchFunding(ctx, row.id);
}
