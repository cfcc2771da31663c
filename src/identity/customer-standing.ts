// What other capabilities may know of a customer without seeing personal data: the wallet class
// (R6.2 limits), whether the customer is active, and when the wallet was opened.
import type { Identity } from './identity.ts';
import type { AccountClass } from './identity-verification.ts';
import { customerById } from './store.ts';

export interface CustomerStanding {
  readonly customerId: string;
  readonly accountClass: AccountClass;
  readonly status: 'active' | 'disabled';
  readonly openedAt: number;
  /** Hex of the ID-number blind index: keyed, so it names the person without revealing the number. */
  readonly idNumberHash: string;
}

export async function customerStanding(identity: Identity, customerId: string): Promise<CustomerStanding | undefined> {
  const customer = await customerById(identity.store, customerId);
  if (customer === undefined) return undefined;
  return {
    customerId: customer.id, accountClass: customer.accountClass, status: customer.status, openedAt: customer.createdAt,
    idNumberHash: customer.idNumberIndex.toString('hex'),
  };
}
