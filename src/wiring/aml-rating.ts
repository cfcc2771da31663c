// The customer money-laundering risk rating wired into identity: a new customer is rated in the
// registration's transaction, with where the ID was issued read from the number's shape (the number is
// not kept by AML). docs/aml.md "Customer risk rating".
import { idRegionOf, rateCustomer } from '../aml/index.ts';
import type { RegistrationRating } from '../identity/index.ts';

export const registrationRating: RegistrationRating = async (tx, registered) => {
  const { customerId, idNumber, now } = registered;
  await rateCustomer(tx, customerId, 'registration', now, { idRegion: idRegionOf(idNumber) });
};
