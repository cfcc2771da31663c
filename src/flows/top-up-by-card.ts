// Top-up from a bound bank card. After the funding payment commits as `processing`, the card is
// authorised over ISO 8583 (0100) — never inside a database transaction. Approval: a ledger hold from
// the partner bank's settlement account to the wallet, posted at once (a top-up's capture is the
// approval itself: the issuer's 0100 hold is cleared in the bank's clearing run, and the platform has
// nothing to wait for). Decline: failed with `card_declined` and the response code. No answer: the
// card link has reversed (0400/0401); failed with `card_issuer_unavailable`, and an unconfirmed
// reversal is remembered (`reversal_owed`) for the recovery sweep. The STAN (from the database) and
// fields 7/12 are stored when the payment is created — anew when a challenged or held one goes on
// (stampForSending) — before anything is sent, and a retry under the same idempotency key never
// reaches the bank again. A top-up risk control sends to review is not
// authorised until an analyst releases it (flows/hold-funding-for-review.ts).
import { currencyOf } from '../money/index.ts';
import {
  bankSettlementOf, nextCardStan, recordBankAnswer, recordFundingTransition, walletOf,
  type CardFunding, type PayingCustomer, type FundingPayment, type PaymentCard, type PaymentsContext,
} from '../payments/index.ts';
import { failFunding, fundingActor, revealCard, sentAtOf } from './card-exchange.ts';
import { recordTopUpCapture } from './clear-card-top-up.ts';
import { refetchFunding, startFunding, type StartedFunding } from './start-funding.ts';
import type { SignedRequest } from './start-signed-payment.ts';

/** A top-up's ledger hold is posted right after it is made; the timeout only bounds a crash in between. */
const topUpHoldTimeoutMs = 3600_000;

export async function topUpByCard(ctx: PaymentsContext, funding: CardFunding, principal: PayingCustomer, request: SignedRequest): Promise<StartedFunding> {
  const started = await startFunding(ctx, funding, principal, request, 'top_up');
  if (started.replayed || started.funding.state !== 'processing') return started;
  return { ...started, funding: await authoriseTopUp(ctx, funding, started.funding, started.card) };
}

export async function authoriseTopUp(ctx: PaymentsContext, funding: CardFunding, row: FundingPayment, card: PaymentCard): Promise<FundingPayment> {
  const revealed = await revealCard(funding, card, 'card_authorisation', row.customerId);
  if (revealed.expiry === undefined) return failFunding(ctx, row, { failureCode: 'card_declined', responseCode: '54', meaning: 'expired card' });
  const result = await funding.link.authorise({
    pan: revealed.pan, expiry: revealed.expiry, amount: { minor: row.amount, currency: currencyOf(row.currency) }, stan: row.exchange.stan,
    sentAt: sentAtOf(row), reversalStan: await nextCardStan(ctx.store, ctx.clock()),
  });
  const now = ctx.clock();
  switch (result.outcome) {
    case 'approved':
      await recordBankAnswer(ctx.store, row.id, { transmitted: result.reference.transmissionDateTime, localTime: result.reference.localTime, authorisationCode: result.authorisationCode, retrievalReference: result.retrievalReference, responseCode: '00' }, now);
      return captureTopUp(ctx, await refetchFunding(ctx, row.id));
    case 'declined':
      await recordBankAnswer(ctx.store, row.id, { transmitted: result.reference.transmissionDateTime, localTime: result.reference.localTime, responseCode: result.responseCode }, now);
      return failFunding(ctx, row, { failureCode: 'card_declined', responseCode: result.responseCode, meaning: result.meaning });
    case 'timeout':
      await recordBankAnswer(ctx.store, row.id, { transmitted: result.reference.transmissionDateTime, localTime: result.reference.localTime, reversalOwed: result.reversal === 'unconfirmed' }, now);
      return failFunding(ctx, row, { failureCode: 'card_issuer_unavailable', meaning: `no answer in time; reversal ${result.reversal}` });
    case 'unavailable':
      return failFunding(ctx, row, { failureCode: 'card_issuer_unavailable', meaning: 'the card link is down; nothing was sent' });
  }
}

/** Approved at the issuer: hold bank settlement → wallet and post it (derived keys make a re-run safe). */
export async function captureTopUp(ctx: PaymentsContext, row: FundingPayment): Promise<FundingPayment> {
  const bank = await bankSettlementOf(ctx.ledger, row.bank, row.currency);
  const wallet = await walletOf(ctx.ledger, row.customerId, row.currency);
  const hold = await ctx.ledger.submit({ kind: 'hold', key: `${row.id}:hold`, debitAccountId: bank.id, creditAccountId: wallet.id, amount: row.amount, currency: row.currency, timeoutMs: topUpHoldTimeoutMs, reference: row.id });
  // The settlement account may go negative and the wallet is credited: only a broken ledger refuses.
  if (!hold.ok) throw new Error(`payments invariant: top-up hold of ${row.id} refused (${hold.code})`);
  const post = await ctx.ledger.submit({ kind: 'post', key: `${row.id}:post`, holdSeq: hold.transfer.seq, reference: row.id });
  if (!post.ok) throw new Error(`payments invariant: top-up post of ${row.id} refused (${post.code})`);
  const now = ctx.clock();
  await ctx.store.transaction(async (tx) => {
    await recordBankAnswer(tx, row.id, { holdSeq: hold.transfer.seq }, now);
    // An approval proves nothing about who holds the card: only binding verifies it (flows/bind-card.ts).
    await recordFundingTransition(tx, row, 'settle', fundingActor, now, { responseCode: '00' });
    // The partner owes us what the issuer approved: a credit for the next clearing run, with the completion.
    await recordTopUpCapture(tx, row, now);
  });
  return refetchFunding(ctx, row.id);
}
