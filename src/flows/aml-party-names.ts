// Names for AML report rows, as the reports may show them: a customer's legal name masked (all but
// the last character), a merchant's registered business name.
import { maskedNameOf, type Identity } from '../identity/index.ts';
import { merchantById } from '../payments/index.ts';
import type { Store } from '../store/index.ts';

export function amlPartyNames(identity: Identity, store: Store): (partyId: string) => Promise<string | undefined> {
  return async (partyId) => {
    if (partyId.startsWith('mch_')) return (await merchantById(store, partyId))?.name;
    if (partyId.startsWith('cus_')) return maskedNameOf(identity, partyId);
    return undefined;
  };
}
