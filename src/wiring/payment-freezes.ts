// The freezes payments' identity port answers with (issue 11 joined their reads): a claim under review
// (support) answers its customer as disabled — no outgoing payment starts, and as a payee it is not
// found — and its device as revoked (its signature authorises nothing) until the claim is decided; a
// sanctions re-screening hit answers the customer as `outgoingFrozen` (no payment or withdrawal starts;
// money to them still arrives). One read answers both customer questions.
import type { PaymentIdentity } from '../payments/index.ts';
import type { Store } from '../store/index.ts';
import { customerFreezes, deviceFrozen } from '../support/index.ts';

export function withPaymentFreezes(identity: PaymentIdentity, store: Store): PaymentIdentity {
  return {
    ...identity,
    async customer(id) {
      const customer = await identity.customer(id);
      if (customer === undefined || customer.status !== 'active') return customer;
      const frozen = await customerFreezes(store, id);
      if (frozen.claim) return { ...customer, status: 'disabled' };
      return frozen.sanctions ? { ...customer, outgoingFrozen: true } : customer;
    },
    async device(id) {
      const device = await identity.device(id);
      if (device === undefined || device.status !== 'active') return device;
      return (await deviceFrozen(store, id)) ? { ...device, status: 'revoked' } : device;
    },
  };
}
