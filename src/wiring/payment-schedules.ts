// The server's wiring of payments' background work: every 5 s, each sweep of flows/payment-sweeps.ts
// (stuck payments, lapsed challenges, expired orders and requests, refunds, interrupted top-ups,
// withdrawals awaiting the bank) under its own database lease. (The card link is built in ./card-funding.ts.)
import type { Config } from '../config.ts';
import { paymentSweeps } from '../flows/payment-sweeps.ts';
import type { Ledger } from '../ledger/index.ts';
import { cardFundingOf, paymentSettingsOf, type PaymentIdentity, type PaymentsContext } from '../payments/index.ts';
import { underLease, type Store } from '../store/index.ts';

export { stuckAfterMs } from '../flows/payment-sweeps.ts';
export const paymentSweepIntervalMs = 5_000;

/** One pass of the sweep; each part runs even if another fails. */
export async function sweepPayments(
  config: Config,
  store: Store,
  ledger: Ledger,
  identity: PaymentIdentity,
  onError: (error: unknown) => void,
): Promise<void> {
  const ctx: PaymentsContext = { store, ledger, identity, settings: paymentSettingsOf(config), clock: Date.now };
  for (const [name, sweep] of paymentSweeps(ctx, cardFundingOf(store))) await underLease(store, name, ctx.clock, sweep).catch(onError);
}
