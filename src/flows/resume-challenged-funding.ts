// A top-up or withdrawal that risk control challenged (a new device, a large amount, high velocity)
// waits in `challenged`, its limit usage reserved, until the customer passes a step-up with one of
// their factors; then it goes to the bank like an unchallenged one. The wait has a deadline
// (`fundingChallengeTtlMs`): the sweep fails what was not stepped up in time and gives its usage back.
import { passStepUp, type StepUpAnswer } from './pass-step-up.ts';
import { AnfuError } from '../errors.ts';
import { currencyOf, formatMajor } from '../money/index.ts';
import {
  cardById,
  fundingById,
  fundingInState,
  recordFundingTransition,
  stampForSending,
  type CardFunding,
  type PayingCustomer,
  type FundingPayment,
  type PaymentsContext,
} from '../payments/index.ts';
import { failFunding } from './card-exchange.ts';
import { refetchFunding, sendingStampOf } from './start-funding.ts';
import { authoriseTopUp } from './top-up-by-card.ts';
import { payOutWithdrawal } from './withdraw-to-card.ts';

const expiredDetail = { failureCode: 'payment_denied', meaning: 'the step-up was not passed in time' };

/**
 * Sends the customer an SMS code that answers this challenged top-up or withdrawal only (its id is the
 * code's subject: a session step-up code, or another payment's, is refused by the resume).
 */
export async function sendFundingStepUpCode(
  ctx: PaymentsContext,
  principal: PayingCustomer,
  fundingId: string,
): Promise<{ codeId: string; expiresAt: number }> {
  const row = await fundingById(ctx.store, fundingId);
  if (row === undefined || row.customerId !== principal.customerId) throw new AnfuError('payment_not_found');
  if (row.state !== 'challenged')
    throw new AnfuError('payment_state_invalid', `the ${row.kind} is ${row.state}, not challenged`);
  const what = row.kind === 'top_up' ? '充值' : '提现';
  const summary = `${what} ${formatMajor(row.amount, currencyOf(row.currency))} ${row.currency}`;
  const { customerId, deviceId } = principal;
  return ctx.identity.sendStepUpCode({ customerId, deviceId, paymentId: row.id, summary });
}

export async function resumeChallengedFunding(
  ctx: PaymentsContext,
  funding: CardFunding,
  principal: PayingCustomer,
  fundingId: string,
  factor: StepUpAnswer,
): Promise<FundingPayment> {
  const row = await fundingById(ctx.store, fundingId);
  if (row === undefined || row.customerId !== principal.customerId) throw new AnfuError('payment_not_found');
  if (row.state !== 'challenged')
    throw new AnfuError('payment_state_invalid', `the ${row.kind} is ${row.state}, not challenged`);
  if (ctx.clock() - row.createdAt >= ctx.settings.fundingChallengeTtlMs) {
    await failFunding(ctx, row, expiredDetail);
    throw new AnfuError('payment_state_invalid', 'the step-up was not passed in time; the request has failed');
  }
  // A withdrawal waiting for its step-up when the customer's outgoing money was frozen fails (a top-up,
  // money in, may still go on).
  if (row.kind === 'withdrawal' && (await ctx.identity.customer(principal.customerId))?.outgoingFrozen === true) {
    await failFunding(ctx, row, { failureCode: 'customer_frozen', meaning: 'outgoing money is frozen' });
    throw new AnfuError('customer_frozen');
  }
  const passed = await passStepUp(ctx, principal, row.id, factor, null);
  if (passed === 'step_up_exhausted')
    await failFunding(ctx, row, { failureCode: 'step_up_exhausted', meaning: 'too many wrong step-up answers' });
  if (passed !== 'passed') throw new AnfuError(passed);
  const card = await cardById(ctx.store, row.cardId);
  if (card === undefined || card.verifiedAt === null || card.status !== 'active')
    throw new AnfuError('card_unverified');
  const actor = { type: 'customer' as const, id: principal.customerId, device: principal.deviceId };
  const now = ctx.clock();
  // Stamped now, not at creation: a step-up may come minutes later (fundingChallengeTtlMs).
  const sentAt = sendingStampOf(funding);
  await ctx.store.transaction(async (tx) => {
    const authorised = await recordFundingTransition(tx, row, 'step_up_passed', actor, now, { reasons: [factor.kind] });
    await recordFundingTransition(tx, { ...row, state: authorised }, 'process', actor, now);
    await stampForSending(tx, row.id, sentAt, now);
  });
  const processing = await refetchFunding(ctx, row.id);
  return row.kind === 'top_up'
    ? authoriseTopUp(ctx, funding, processing, card)
    : payOutWithdrawal(ctx, funding, processing, card);
}

/** The sweep: challenged fundings past their deadline fail (usage given back). Returns how many. */
export async function expireChallengedFunding(ctx: PaymentsContext, options: { limit: number }): Promise<number> {
  const before = ctx.clock() - ctx.settings.fundingChallengeTtlMs;
  let expired = 0;
  for (const kind of ['top_up', 'withdrawal'] as const) {
    for (const row of await fundingInState(ctx.store, kind, 'challenged', before, options.limit)) {
      try {
        await failFunding(ctx, row, expiredDetail);
        expired += 1;
      } catch (error) {
        // Stepped up meanwhile: it is no longer challenged, and that is its own outcome.
        if (!(error instanceof AnfuError && error.code === 'payment_state_invalid')) throw error;
      }
    }
  }
  return expired;
}
