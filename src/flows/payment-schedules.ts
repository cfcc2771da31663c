// The server's wiring of payments' background work: the card link and token vault from the
// configuration, and one timer that settles payments left `processing` by a crash, recovers
// interrupted top-ups and owed reversals, polls the bank for processing withdrawals, expires
// challenges, orders and requests, and finishes or closes refunds — each under a database lease.
import { CardLink } from '../banks/index.ts';
import type { Config } from '../config.ts';
import { platformTokenVault } from '../crypto/platform-keyring.ts';
import type { Keyring } from '../crypto/index.ts';
import type { Ledger } from '../ledger/index.ts';
import {
  cardFundingOf, expireChallengedPayments, expireOrdersAndRequests, paymentSettingsOf, provideCardFunding, settleStuckPayments, sweepRefunds, underSweepLease,
  type CardFunding, type PaymentIdentity, type PaymentsContext } from '../payments/index.ts';
import type { Store } from '../store/index.ts';
import { pollWithdrawals } from './withdraw-to-card.ts';
import { recoverCardFunding } from './recover-card-funding.ts';

export const paymentSweepIntervalMs = 5_000;
/** Older than every card-link timeout and reversal retry, so a live request is never taken for a stuck one. */
export const stuckAfterMs = 60_000;
const sweepBatchMax = 100;

/** Builds and provides the card link when ANFU_CARD_LINK_PORT is set; returns it for closing. */
export function provideCardFundingFrom(config: Config, store: Store, keyring: Keyring): CardLink | undefined {
  if (config.cardLinkPort === undefined) return undefined;
  const link = new CardLink({ host: config.cardLinkHost, port: config.cardLinkPort, terminalId: config.cardLinkTerminalId, merchantId: config.cardLinkMerchantId, responseTimeoutMs: config.cardLinkResponseTimeoutMs });
  provideCardFunding(store, { link, vault: platformTokenVault(keyring), bank: config.cardLinkBank, terminalId: config.cardLinkTerminalId, merchantId: config.cardLinkMerchantId });
  return link;
}

/** The sweeps of one pass, by lease name; each runs under its own lease (never two at once, in or across processes). */
export function paymentSweeps(ctx: PaymentsContext, funding: CardFunding | undefined): Array<[string, () => Promise<unknown>]> {
  const sweeps: Array<[string, () => Promise<unknown>]> = [
    ['payments.settle-stuck', () => settleStuckPayments(ctx, stuckAfterMs, sweepBatchMax)],
    ['payments.expire-challenges', () => expireChallengedPayments(ctx, sweepBatchMax)],
    ['payments.expire-orders', () => expireOrdersAndRequests(ctx, sweepBatchMax)],
    ['payments.refunds', () => sweepRefunds(ctx, { olderThanMs: stuckAfterMs, limit: sweepBatchMax })],
  ];
  if (funding === undefined) return sweeps;
  sweeps.push(['payments.card-recovery', () => recoverCardFunding(ctx, funding, { olderThanMs: stuckAfterMs, limit: sweepBatchMax })]);
  sweeps.push(['payments.withdrawals', () => pollWithdrawals(ctx, funding, { limit: sweepBatchMax })]);
  return sweeps;
}

/** One pass of the sweep; each part runs even if another fails. */
export async function sweepPayments(config: Config, store: Store, ledger: Ledger, identity: PaymentIdentity, onError: (error: unknown) => void): Promise<void> {
  const ctx: PaymentsContext = { store, ledger, identity, settings: paymentSettingsOf(config), clock: Date.now };
  for (const [name, sweep] of paymentSweeps(ctx, cardFundingOf(store))) await underSweepLease(store, name, ctx.clock, sweep).catch(onError);
}
