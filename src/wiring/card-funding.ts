// The card link and token vault payments use for top-ups and withdrawals, built from the
// configuration when ANFU_CARD_LINK_PORT is set (without it card routes answer 503).
import { CardLink } from '../banks/index.ts';
import type { Config } from '../config.ts';
import type { Keyring } from '../crypto/index.ts';
import { provideCardFunding } from '../payments/index.ts';
import type { Store } from '../store/index.ts';
import { platformTokenVault } from './platform-keyring.ts';

/**
 * Builds and provides the card link when ANFU_CARD_LINK_PORT is set; returns it for closing. The link
 * stamps field 7 with the app's clock, the same clock that numbers the day's STANs: on two clocks a
 * STAN restarting on a new day could meet an earlier one with the same field 7, which the issuer
 * takes for a changed duplicate (94).
 */
export function provideCardFundingFrom(
  config: Config,
  store: Store,
  keyring: Keyring,
  clock: () => number = Date.now,
): CardLink | undefined {
  if (config.cardLinkPort === undefined) return undefined;
  const link = new CardLink({
    clock: () => new Date(clock()),
    host: config.cardLinkHost,
    port: config.cardLinkPort,
    terminalId: config.cardLinkTerminalId,
    merchantId: config.cardLinkMerchantId,
    responseTimeoutMs: config.cardLinkResponseTimeoutMs,
  });
  const vault = platformTokenVault(keyring);
  const { cardLinkBank: bank, cardLinkTerminalId: terminalId, cardLinkMerchantId: merchantId } = config;
  provideCardFunding(store, { link, vault, bank, terminalId, merchantId });
  return link;
}
