// The cardholder a card issuer matches when the customer binds a card: the legal name and resident
// ID number verified at registration. Opened only for that request to the issuer; never logged.
import type { Identity } from './identity.ts';
import { customerById } from './store.ts';

export async function cardholderOf(
  identity: Identity,
  customerId: string,
): Promise<{ name: string; idNumber: string } | undefined> {
  const customer = await customerById(identity.store, customerId);
  if (customer === undefined || customer.status !== 'active') return undefined;
  await identity.ready();
  const { name, idNumber } = await identity.protection.revealCustomer(customer.id, customer.row, ['name', 'idNumber']);
  return name === undefined || idNumber === undefined ? undefined : { name, idNumber };
}
