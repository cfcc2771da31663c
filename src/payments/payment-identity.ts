// What payments need from the identity capability, as one small port. The app answers it with the
// real identity (src/wiring/identity-for-payments.ts) and hands it to every use case in the
// PaymentsContext; unit tests may pass the in-memory stand-in of src/payments/testing.ts instead.
import type { AccountClass, LimitTier } from './payment-limits.ts';

export interface PaymentCustomer {
  readonly id: string;
  readonly accountClass: AccountClass;
  readonly status: 'active' | 'disabled';
  /**
   * Outgoing money held (a sanctions re-screening hit under review): the customer still receives
   * money but neither pays nor withdraws (`customer_frozen`).
   */
  readonly outgoingFrozen?: boolean | undefined;
  readonly createdAt: number;
  /** Hex of the ID-number blind index (risk's `id` list); absent from stand-ins that have none. */
  readonly idNumberHash?: string | undefined;
}

export interface PaymentDevice {
  readonly id: string;
  readonly customerId: string;
  readonly status: 'active' | 'revoked';
  readonly certificatePem: string | null;
  readonly createdAt: number;
}

/** The authenticated customer of a request (identity's session). */
export interface PayingCustomer {
  readonly customerId: string;
  readonly deviceId: string;
  readonly strength: LimitTier;
}

export interface PaymentIdentity {
  customer(id: string): Promise<PaymentCustomer | undefined>;
  device(id: string): Promise<PaymentDevice | undefined>;
  /** The platform device CA certificate (PEM) that device certificates chain to. */
  deviceCaCertificatePem(): Promise<string>;
  /** Payee lookup by mobile number; undefined when no active customer holds it. */
  customerIdByPhone(phone: string): Promise<string | undefined>;
  /** The legal name masked for a payer's confirmation (e.g. "*三"); never the full name. */
  maskedName(customerId: string): Promise<string | undefined>;
  /** Checks a bearer credential of a customer session. */
  authenticate(authorization: string | undefined): Promise<PayingCustomer | undefined>;
  /** Checks a step-up factor presented to resume a challenged payment; attempts are bounded (identity counts them). */
  verifyStepUp(input: {
    customerId: string;
    deviceId: string;
    paymentId: string;
    factor: PaymentStepUpFactor;
    ip?: string | null;
  }): Promise<PaymentStepUpVerdict>;
  /** Sends an SMS code bound to one payment; `summary` says what it authorises (amount and payee). */
  sendStepUpCode(input: {
    customerId: string;
    deviceId: string;
    paymentId: string;
    summary: string;
  }): Promise<{ codeId: string; expiresAt: number }>;
  /** WebAuthn options for a passkey assertion bound to one payment. */
  stepUpPasskeyOptions(customerId: string, paymentId: string): Promise<unknown>;
  /** When the customer last added, replaced or removed a factor (risk challenges large payments for a while after). */
  recentFactorChangeAt(customerId: string): Promise<number | undefined>;
  /** The legal name and resident ID number the card issuer matches when a card is bound; sent to the issuer only. */
  cardholder(customerId: string): Promise<{ readonly name: string; readonly idNumber: string } | undefined>;
}

export type PaymentStepUpFactor =
  | { readonly kind: 'totp'; readonly code: string }
  | { readonly kind: 'sms'; readonly codeId: string; readonly code: string }
  | { readonly kind: 'passkey'; readonly response: never; readonly origin: string };

export type PaymentStepUpVerdict =
  | { readonly outcome: 'passed' }
  | { readonly outcome: 'failed'; readonly attemptsLeft: number }
  | { readonly outcome: 'exhausted'; readonly bound: 'payment' | 'day' };
