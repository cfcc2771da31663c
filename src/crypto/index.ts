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
export { decodeCanonicalBase64url } from './base64url.ts';

export const profileNames: readonly ProfileName[] = ['intl', 'gm'];

/** The profile a deployment chose in its configuration; an unknown name is a typed error. */
export function cryptoProfile(name: string): CryptoProfile {
  if (name === 'intl') return intlProfile;
  if (name === 'gm') return gmProfile;
  throw new CryptoError('crypto_unknown_algorithm', `unknown crypto profile ${JSON.stringify(name)}`);
}

// Data protection: the keyring (KEK-wrapped data keys per purpose), field-level protection with blind
// indexes, and the card token vault. The platform keyring (wired to the audit log) is opened by the
// server and the CLI from src/wiring/platform-keyring.ts, so crypto never imports audit.
export { Keyring, keyPurposes, requireKeyPurpose, type KeyPurpose, type KeyringOptions } from './keyring.ts';
export { KeyringError } from './keyring-errors.ts';
export { keyInventory, type KeyInventory, type KeyInventoryEntry } from './key-inventory.ts';
export type { KeyEvent } from './keyring-store.ts';
export { countReferences, retireUnused } from './keyring-rewrap.ts';
export { Kek, loadKek, loadPreviousKek } from './kek.ts';
export { fieldContext } from './envelope.ts';
export { plaintextMarker, sealMarkedPlaintext, rewrap } from './keyring-rewrap.ts';
export { ProtectedTable, personalFieldNormalisers, type ProtectedFieldSpec, type ProtectedTableSpec } from './field-protection.ts';
export { normalise, type NormaliserName } from './normalisers.ts';
export {
  TokenVault, checkedPan, detokenisePurposes, type CardInput, type CardToken, type DetokenisePurpose, type TokenVaultOptions, type VaultAccess, type VaultLog,
} from './token-vault.ts';
