// Merchant onboarding with sanctions screening first: the business name is screened against the lists
// in force; a hit refuses the onboarding (`sanctions_hit`, a case opened for compliance), a near hit is
// recorded for review and the merchant is onboarded.
import { onboardMerchant, type MerchantInput, type MerchantProtection } from '../payments/index.ts';
import { requireNoHit, screenParty, type Sanctions } from '../sanctions/index.ts';
import type { Store } from '../store/index.ts';

export async function onboardScreenedMerchant(
  parts: { store: Store; sanctions: Sanctions; protection: MerchantProtection; feeBpsDefault: number; now: number },
  input: MerchantInput,
  operatorId: string,
) {
  const verdict = await screenParty(parts.sanctions, {
    context: 'merchant',
    subject: { type: 'merchant_application', id: input.businessRegistration },
    name: input.name,
    actor: operatorId,
  });
  requireNoHit(parts.sanctions, verdict);
  return onboardMerchant(parts.store, parts.protection, input, operatorId, parts.feeBpsDefault, parts.now);
}
