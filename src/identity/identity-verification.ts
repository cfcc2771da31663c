// Real-name verification sources (R3.1) and the wallet classes they earn (R6.2, PBOC 2015 No. 43:
// class I needs at least one independent external source, class II three, class III five). Sources
// are pluggable: a deployment adds its public-security bureau, telecom operator and bank-card
// four-element checks; development ships a format verifier and a bank-card check that runs offline.
import { luhnValid } from '../cards/index.ts';
export const accountClasses = ['I', 'II', 'III'] as const;
export type AccountClass = (typeof accountClasses)[number];

export interface IdentityClaim {
  readonly name: string;
  readonly idNumber: string;
  readonly phone: string;
  /** Source-specific evidence, e.g. a bank card number for a four-element check. Never stored in plain. */
  readonly evidence?: Readonly<Record<string, string>>;
}

/**
 * `mismatch`: the source contradicts the claim (registration is refused); `no_record`: the source has
 * no record of the identity; `unavailable`: the source did not answer in time (try again later).
 */
export type VerificationResult =
  | { readonly verified: true; readonly reference: string }
  | { readonly verified: false; readonly reason: 'mismatch' | 'no_record' | 'unavailable' | 'evidence_missing' };

export interface IdentityVerifier {
  /** Stable name recorded with the verification, e.g. 'public-security-bureau'. */
  readonly source: string;
  /** Run at registration, or only when the customer asks to upgrade with extra evidence. */
  readonly stage: 'registration' | 'upgrade';
  verify(claim: IdentityClaim): Promise<VerificationResult>;
}

export const sourcesForClass: Readonly<Record<AccountClass, number>> = { I: 1, II: 3, III: 5 };

/** Pure: the class earned by `verifiedSources` independent sources, or undefined when none. */
export function accountClassFor(verifiedSources: number): AccountClass | undefined {
  if (verifiedSources >= sourcesForClass.III) return 'III';
  if (verifiedSources >= sourcesForClass.II) return 'II';
  if (verifiedSources >= sourcesForClass.I) return 'I';
  return undefined;
}

/**
 * Development only (production refuses to start without an identity provider): the format checks
 * already ran, so this confirms nothing more than the format.
 */
export const developmentFormatVerifier: IdentityVerifier = {
  source: 'development-format',
  stage: 'registration',
  verify: async () => ({ verified: true, reference: 'format-checked' }),
};

/** Development stand-in for a bank-card four-element check (name, ID, card, phone): checks the card number only. */
export const developmentBankCardVerifier: IdentityVerifier = {
  source: 'development-bank-card',
  stage: 'upgrade',
  async verify(claim) {
    const card = claim.evidence?.cardNumber?.replace(/[\s-]/g, '');
    if (card === undefined) return { verified: false, reason: 'evidence_missing' };
    if (!/^[0-9]{13,19}$/.test(card) || !luhnValid(card)) return { verified: false, reason: 'mismatch' };
    return { verified: true, reference: `card-last4-${card.slice(-4)}` };
  },
};

export const developmentVerifiers: readonly IdentityVerifier[] = [developmentFormatVerifier, developmentBankCardVerifier];
