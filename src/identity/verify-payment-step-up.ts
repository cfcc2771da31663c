// Step-up of a challenged payment (R3.6): the payer proves a second factor again. A TOTP code is
// checked against the enrolled authenticator and spent (its step is recorded, so it works once).
// SMS is refused for now: sms_codes has no payment purpose and no route sends a payment code, so
// accepting a login code here would let one purpose's code authorise another. Every try is audited.
import { auditCustomer } from './customer-audit.ts';
import { checkCustomerTotp, totpSecretOf } from './enrol-totp.ts';
import type { Identity } from './identity.ts';
import { customerById } from './store.ts';

export interface PaymentStepUp {
  readonly customerId: string;
  readonly deviceId: string | null;
  /** The payment being resumed (audited as the target). */
  readonly paymentId: string | null;
  readonly factor: { readonly kind: 'totp' | 'sms'; readonly code: string };
}

export async function verifyPaymentStepUp(identity: Identity, input: PaymentStepUp): Promise<boolean> {
  const now = identity.clock();
  const customer = await customerById(identity.store, input.customerId);
  const usable = customer !== undefined && customer.status === 'active' && input.factor.kind === 'totp' && customer.totpState === 'active';
  if (usable) await identity.ready();
  const secret = usable ? await totpSecretOf(identity, customer) : undefined;
  return identity.store.transaction(async (tx) => {
    const passed = usable && (await checkCustomerTotp(tx, customer, secret, input.factor.code, now));
    const reason = passed ? undefined : input.factor.kind === 'sms' ? 'sms_step_up_unavailable' : usable ? 'code_invalid' : 'factor_not_enrolled';
    await auditCustomer(tx, customer?.id ?? null, { ip: null, userAgent: null, deviceId: input.deviceId }, [
      { action: 'customer.payment.step_up', target: input.paymentId, outcome: passed ? 'success' : 'failure', details: { factor: input.factor.kind, ...(reason === undefined ? {} : { reason }) } },
    ], now);
    return passed;
  });
}
