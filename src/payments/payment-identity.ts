// What payments need from the identity capability, as one small port. Identity (src/identity) is
// being built alongside; until its door offers these, the app provides an implementation through
// `providePaymentIdentity` (tests use src/payments/testing.ts). Without one, customer routes answer
// 503 not_ready rather than guessing.
import type { Store } from '../store/index.ts';
import type { AccountClass, AuthenticationStrength } from './payment-limits.ts';

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

/** The authenticated customer of a request (identity's session). */
export interface CustomerPrincipal {
  readonly customerId: string;
  readonly deviceId: string;
  readonly strength: AuthenticationStrength;
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
  authenticate(authorization: string | undefined): Promise<CustomerPrincipal | undefined>;
  /** Checks a step-up factor (TOTP or SMS code) presented to resume a challenged payment. */
  verifyStepUp(customerId: string, factor: { kind: 'totp' | 'sms'; code: string }): Promise<boolean>;
}

const provided = new WeakMap<Store, PaymentIdentity>();

export function providePaymentIdentity(store: Store, identity: PaymentIdentity): void {
  provided.set(store, identity);
}

let processDefault: PaymentIdentity | undefined;

/** For a server started by `serve()` in this process (benchmarks), whose store the caller cannot reach. */
export function provideDefaultPaymentIdentity(identity: PaymentIdentity | undefined): void {
  processDefault = identity;
}

export function paymentIdentityOf(store: Store): PaymentIdentity | undefined {
  return provided.get(store) ?? processDefault;
}
