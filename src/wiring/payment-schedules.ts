// The server's wiring of payments' background work: one timer that settles payments left
// `processing` by a crash, recovers interrupted top-ups and owed reversals, and polls the bank for
// processing withdrawals. (The card link itself is built in ./card-funding.ts.)
import type { Config } from '../config.ts';
import type { Ledger } from '../ledger/index.ts';
import {
  cardFundingOf, paymentSettingsOf, type CardFunding, type PaymentIdentity, type PaymentsContext,
} from '../payments/index.ts';
import type { Store } from '../store/index.ts';
import { pollWithdrawals } from '../flows/withdraw-to-card.ts';
import { recoverCardFunding } from '../flows/recover-card-funding.ts';
import { settleStuckPayments } from '../flows/settle-payment.ts';

export const paymentSweepIntervalMs = 5_000;
/** Older than every card-link timeout and reversal retry, so a live request is never taken for a stuck one. */
export const stuckAfterMs = 60_000;
const sweepBatchMax = 100;

/** One pass of the sweep; each part runs even if another fails. */
export async function sweepPayments(
  config: Config,
  store: Store,
  ledger: Ledger,
  identity: PaymentIdentity,
  onError: (error: unknown) => void,
): Promise<void> {
  const ctx: PaymentsContext = { store, ledger, identity, settings: paymentSettingsOf(config), clock: Date.now };
  const funding: CardFunding | undefined = cardFundingOf(store);
  await settleStuckPayments(ctx, stuckAfterMs, sweepBatchMax).catch(onError);
  if (funding === undefined) return;
  await recoverCardFunding(ctx, funding, { olderThanMs: stuckAfterMs, limit: sweepBatchMax }).catch(onError);
  await pollWithdrawals(ctx, funding, { olderThanMs: 0, limit: sweepBatchMax }).catch(onError);
}
