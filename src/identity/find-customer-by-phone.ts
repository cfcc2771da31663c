// Payee lookup by mobile number (R1.2): the blind index finds the customer without decrypting any
// row. Only an active customer is found; anything that is not a mobile number finds nobody.
import type { Identity } from './identity.ts';
import { parsePhoneNumber } from './phone-number.ts';
import { customerWhere } from './store.ts';

export async function findCustomerByPhone(identity: Identity, phone: string): Promise<string | undefined> {
  const e164 = parsePhoneNumber(phone);
  if (e164 === undefined) return undefined;
  await identity.ready();
  const customer = await customerWhere(identity.store, await identity.protection.lookupCustomer('phone', e164));
  return customer?.status === 'active' ? customer.id : undefined;
}
