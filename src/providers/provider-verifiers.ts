// Identity's verification port (src/identity, IdentityVerifier) answered by the identity provider:
// the two-element check at registration, the bank-card four-element check when a customer upgrades.
import type { IdentityVerifier, VerificationResult } from '../identity/index.ts';
import type { IdentityCheckOutcome, IdentityProviderClient } from './identity-provider-client.ts';

export const twoElementSource = 'public-security-two-element';
export const bankCardSource = 'bank-card-four-element';

function resultOf(outcome: IdentityCheckOutcome): VerificationResult {
  switch (outcome.result) {
    case 'match':
      return { verified: true, reference: outcome.reference };
    case 'mismatch':
      return { verified: false, reason: 'mismatch' };
    case 'no_record':
      return { verified: false, reason: 'no_record' };
    case 'unavailable':
    case 'rejected':
      return { verified: false, reason: 'unavailable' };
  }
}

export function providerVerifiers(client: IdentityProviderClient): readonly IdentityVerifier[] {
  return [
    {
      source: twoElementSource,
      stage: 'registration',
      verify: async (claim) => resultOf(await client.checkTwoElements({ name: claim.name, idNumber: claim.idNumber })),
    },
    {
      source: bankCardSource,
      stage: 'upgrade',
      async verify(claim) {
        const cardNumber = claim.evidence?.cardNumber?.replace(/[\s-]/g, '');
        if (cardNumber === undefined || !/^[0-9]{12,19}$/.test(cardNumber))
          return { verified: false, reason: 'evidence_missing' };
        return resultOf(
          await client.checkBankCard({ cardNumber, name: claim.name, idNumber: claim.idNumber, phone: claim.phone }),
        );
      },
    },
  ];
}
