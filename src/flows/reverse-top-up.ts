// A succeeded card top-up taken back (the issuer recalls it, or an operator corrects a top-up credited in
// error): the money leaves the wallet for the bank settlement account it came from, the issuer gets a
// reversal (0400) of the authorisation, and in one transaction the top-up becomes `reversed` and its
// clearing credit is withdrawn — or, already netted in a batch, owed back in the next run. Re-running after
// a crash between the steps is safe: the ledger key replays, and the issuer answers a repeated reversal
// with 00 or 25; an unconfirmed reversal stays owed for the recovery sweep.
import type { ProposalExecutor } from '../access/index.ts';
import type { IncomingReversal } from '../clearing/index.ts';
import {
  bankSettlementOf, cardFundingOf, fundingById, recordBankAnswer, recordFundingTransition, walletOf,
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

/**
 * Maker–checker kind `top_up.reverse` `{fundingId}`: taking money back out of a customer's wallet is never
 * one person's decision. One operator proposes (POST /v1/proposals), a second approves; the execution is
 * `reverseTopUp` under the proposal's name, and a retried execution after it took changes nothing.
 */
export function topUpReversalExecutor(ctx: PaymentsContext): ProposalExecutor<{ fundingId: string }> {
  return {
    kind: 'top_up.reverse',
    proposerRoles: ['administrator', 'operations'],
    approverRoles: ['administrator', 'operations'],
    proposerNeedsSession: true,
    parse(payload) {
      const p = payload as { fundingId?: unknown } | null;
      if (typeof p !== 'object' || p === null || Object.keys(p).length !== 1) return undefined;
      return typeof p.fundingId === 'string' && /^fnd_[0-9a-z]{26}$/.test(p.fundingId)
        ? { fundingId: p.fundingId }
        : undefined;
    },
    async check(q, payload) {
      const row = await fundingById(q, payload.fundingId);
      return row?.kind === 'top_up' && row.state === 'succeeded' ? undefined : 'proposal_payload_invalid';
    },
    async outside(payload, proposal) {
      const row = await fundingById(ctx.store, payload.fundingId);
      if (row?.kind === 'top_up' && row.state === 'reversed')
        return { ok: true, result: { fundingId: row.id, state: row.state } };
      const funding = cardFundingOf(ctx.store);
      if (funding === undefined) return { ok: false, code: 'card_issuer_unavailable', detail: 'no card link' };
      const reversed = await reverseTopUp(ctx, funding, payload.fundingId, {
        type: 'operator', id: `proposal:${proposal.id}`,
      });
      if (!reversed.ok) return { ok: false, code: reversed.code };
      const { funding: after, clearing } = reversed;
      return { ok: true, result: { fundingId: after.id, state: after.state, clearing } };
    },
  };
}
