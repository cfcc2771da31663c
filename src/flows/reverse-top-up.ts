// A succeeded card top-up taken back (the issuer recalls it, or an operator corrects a top-up credited in
// error): the money leaves the wallet for the bank settlement account it came from, the issuer gets a
// reversal (0400) of the authorisation, and in one transaction the top-up becomes `reversed` and its
// clearing credit is withdrawn — or, already netted in a batch, owed back in the next run. Re-running after
// a crash between the steps is safe: the ledger key replays, and the issuer answers a repeated reversal
// with 00 or 25; an unconfirmed reversal stays owed for the recovery sweep.
import type { IncomingReversal } from '../clearing/index.ts';
import {
  bankSettlementOf, fundingById, recordBankAnswer, recordFundingTransition, walletOf,
  type CardFunding, type FundingPayment, type PaymentsContext, type TransitionActor,
} from '../payments/index.ts';
import { withdrawTopUpCapture } from './clear-card-top-up.ts';
import { reverseStored } from './recover-card-funding.ts';
import { refetchFunding } from './start-funding.ts';

export type TopUpReversal =
  | { readonly ok: true; readonly funding: FundingPayment; readonly clearing: IncomingReversal }
  | { readonly ok: false; readonly code: 'payment_not_found' | 'payment_state_invalid' | 'insufficient_funds' };

export async function reverseTopUp(
  ctx: PaymentsContext, funding: CardFunding, fundingId: string, actor: TransitionActor,
): Promise<TopUpReversal> {
  const row = await fundingById(ctx.store, fundingId);
  if (row === undefined || row.kind !== 'top_up') return { ok: false, code: 'payment_not_found' };
  if (row.state !== 'succeeded') return { ok: false, code: 'payment_state_invalid' };
  const bank = await bankSettlementOf(ctx.ledger, row.bank, row.currency);
  const wallet = await walletOf(ctx.ledger, row.customerId, row.currency);
  const back = await ctx.ledger.submit({
    kind: 'single', key: `${row.id}:reverse`, debitAccountId: wallet.id, creditAccountId: bank.id, amount: row.amount,
    currency: row.currency, reference: row.id,
  });
  if (!back.ok && back.code === 'insufficient_funds') return { ok: false, code: 'insufficient_funds' };
  if (!back.ok) throw new Error(`payments invariant: top-up reversal of ${row.id} refused (${back.code})`);
  const issuer = await reverseStored(ctx, funding, row);
  const now = ctx.clock();
  let clearing: IncomingReversal = 'not_recorded';
  await ctx.store.transaction(async (tx) => {
    if (issuer?.outcome !== 'reversed') await recordBankAnswer(tx, row.id, { reversalOwed: true }, now);
    await recordFundingTransition(tx, row, 'reverse', actor, now, {
      meaning: issuer?.outcome === 'reversed' ? 'reversed at the issuer' : 'the issuer reversal is owed',
    });
    clearing = await withdrawTopUpCapture(tx, row, now);
  });
  return { ok: true, funding: await refetchFunding(ctx, row.id), clearing };
}
