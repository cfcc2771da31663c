// What top-ups and withdrawals need besides the payments context: the card link to the partner bank
// (ISO 8583, src/banks), the card token vault (src/crypto) and the partner bank's code. Provided once
// per store by the server (or a test), like the identity port; without it card routes answer 503.
import type {
  AccountVerificationRequest,
  AccountVerificationResult,
  AuthorisationResult,
  AuthoriseRequest,
  CardRequest,
  OneTimeCodeResult,
  PayoutRequest,
  PayoutResult,
  ReversalResult,
  SentAt,
} from '../banks/index.ts';
import type { Currency } from '../money/index.ts';
import type { TokenVault } from '../crypto/index.ts';
import type { Store } from '../store/index.ts';

/** The slice of `CardLink` the flows use (a test may stand in for it). */
export interface CardLinkPort {
  /** Fields 7 and 12 for a request about to be sent; STANs come from the database (store/stans.ts). */
  stamp(): SentAt;
  /** `stamp()` with its moment (ms), for the STAN of a send drawn from that moment's UTC day. */
  stampWithMoment(): SentAt & { readonly at: number };
  authorise(input: AuthoriseRequest): Promise<AuthorisationResult>;
  reverse(original: CardRequest, stan?: string): Promise<ReversalResult>;
  payout(input: PayoutRequest): Promise<PayoutResult>;
  payoutStatus(reference: CardRequest): Promise<PayoutResult>;
  /** Card binding: the issuer checks card, CVV2 and cardholder, then sends its one-time code. */
  verifyAccount(input: AccountVerificationRequest): Promise<AccountVerificationResult>;
  confirmOneTimeCode(input: {
    pan: string;
    expiry: string;
    retrievalReference: string;
    code: string;
    currency: Currency;
    stan?: string;
  }): Promise<OneTimeCodeResult>;
}

export interface CardFunding {
  readonly link: CardLinkPort;
  readonly vault: TokenVault;
  /** Partner bank code (ANFU_CARD_LINK_BANK): the settlement account is bank_settlement:<bank>:<currency>. */
  readonly bank: string;
  readonly terminalId: string;
  readonly merchantId: string;
}

const provided = new WeakMap<Store, CardFunding>();

export function provideCardFunding(store: Store, funding: CardFunding): void {
  provided.set(store, funding);
}

export function cardFundingOf(store: Store): CardFunding | undefined {
  return provided.get(store);
}
