// The crypto capability's only door. Other folders pick a profile by name and use its intents.
import type { CryptoProfile, ProfileName } from './profile.ts';
import { intlProfile } from './intl.ts';
import { gmProfile } from './gm.ts';
import { CryptoError } from './errors.ts';

export type {
  CryptoProfile, HashAlgorithm, KeyPair, MacAlgorithm, ProfileName, SealAlgorithm, SecretKeyAlgorithm, SignatureAlgorithm,
} from './profile.ts';
export type { AsymmetricKeyKind, PrivateKey, PublicKey, SecretKey } from './key-handle.ts';
export type { CryptoErrorCode } from './errors.ts';
export { CryptoError } from './errors.ts';
export { sealTags } from './symmetric.ts';

export const profileNames: readonly ProfileName[] = ['intl', 'gm'];

/** The profile a deployment chose in its configuration; an unknown name is a typed error. */
export function cryptoProfile(name: string): CryptoProfile {
  if (name === 'intl') return intlProfile;
  if (name === 'gm') return gmProfile;
  throw new CryptoError('crypto_unknown_algorithm', `unknown crypto profile ${JSON.stringify(name)}`);
}
