// What payments need from the identity capability, as one small port. The app answers it with the
// real identity (src/wiring/identity-for-payments.ts) and hands it to every use case in the
// PaymentsContext; unit tests may pass the in-memory stand-in of src/payments/testing.ts instead.
import type { AccountClass, LimitTier } from './payment-limits.ts';

export interface PaymentCustomer {
  readonly id: string;
  readonly accountClass: AccountClass;
  readonly status: 'active' | 'disabled';
  readonly createdAt: number;
}

export interface PaymentDevice {
  readonly id: string;
  readonly customerId: string;
  readonly status: 'active' | 'revoked';
  readonly certificatePem: string | null;
  readonly createdAt: number;
}

/** The authenticated customer of a payments request: who, from which device, at which limit tier
 * (identity's own CustomerPrincipal is the session itself). */
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
  /** Checks a step-up factor (TOTP or SMS code) presented to resume a challenged payment. */
  verifyStepUp(customerId: string, factor: { kind: 'totp' | 'sms'; code: string }): Promise<boolean>;
}
