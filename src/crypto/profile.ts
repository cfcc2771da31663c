// The one interface both crypto profiles offer: intents (sign, verify, seal, open, ...) over opaque key
// handles. A deployment picks `intl` or `gm`; callers never see which primitive runs underneath.
import type { KeyObject } from 'node:crypto';
import type { PrivateKey, PublicKey, SecretKey } from './key-handle.ts';

export type ProfileName = 'intl' | 'gm';
export type SignatureAlgorithm = 'ecdsa-p256-sha256' | 'ed25519' | 'sm2-sm3';
export type SealAlgorithm = 'aes-256-gcm' | 'sm4-cbc-hmac-sm3';
export type MacAlgorithm = 'hmac-sha256' | 'hmac-sm3';
export type HashAlgorithm = 'sha256' | 'sm3';
export type SecretKeyAlgorithm = SealAlgorithm | MacAlgorithm;

export interface KeyPair {
  readonly privateKey: PrivateKey;
  readonly publicKey: PublicKey;
}

export interface CryptoProfile {
  readonly name: ProfileName;
  readonly signatureAlgorithms: readonly SignatureAlgorithm[];
  readonly sealAlgorithm: SealAlgorithm;
  readonly macAlgorithm: MacAlgorithm;
  readonly hashAlgorithm: HashAlgorithm;

  /** Defaults to the profile's first signature algorithm (ECDSA P-256 for intl, SM2 for gm). */
  generateSigningKeyPair(algorithm?: SignatureAlgorithm): KeyPair;
  /** A key pair for `encryptTo`/`decryptWith` (P-256 for intl, SM2 for gm); keep it apart from signing keys. */
  generateEncryptionKeyPair(): KeyPair;
  /** DER-encoded ECDSA/SM2 signature, or the 64-byte Ed25519 signature. */
  sign(privateKey: PrivateKey, data: Uint8Array): Buffer;
  /** False for any bad signature, including garbage bytes; throws only for a key of the wrong profile. */
  verify(publicKey: PublicKey, data: Uint8Array, signature: Uint8Array): boolean;

  hash(data: Uint8Array): Buffer;
  generateMacKey(): SecretKey;
  mac(key: SecretKey, data: Uint8Array): Buffer;
  /** Constant-time comparison with a freshly computed tag of the full length. */
  macVerify(key: SecretKey, data: Uint8Array, tag: Uint8Array): boolean;

  generateSealKey(): SecretKey;
  /** Authenticated encryption; the output starts with an algorithm tag byte (see docs/crypto.md). */
  seal(key: SecretKey, plaintext: Uint8Array, aad?: Uint8Array): Buffer;
  /** Returns the whole plaintext or throws `crypto_decrypt_failed`; never part of it. */
  open(key: SecretKey, sealed: Uint8Array, aad?: Uint8Array): Buffer;

  /** Public-key (hybrid) encryption to the holder of the matching private key. */
  encryptTo(publicKey: PublicKey, plaintext: Uint8Array): Buffer;
  decryptWith(privateKey: PrivateKey, ciphertext: Uint8Array): Buffer;

  importPrivateKey(pem: string): PrivateKey;
  importPublicKey(pem: string): PublicKey;
  /**
   * A public key Node already parsed (e.g. an X509Certificate's `publicKey`), without the SPKI PEM round
   * trip; the same kind checks as importPublicKey. The gm profile refuses: SM2 keys never become KeyObjects.
   */
  importPublicKeyObject(keyObject: KeyObject): PublicKey;
  /** PKCS#8 PEM, unencrypted: the caller is responsible for protecting it (the keyring wraps it). */
  exportPrivateKey(privateKey: PrivateKey): string;
  /** SPKI PEM. */
  exportPublicKey(publicKey: PublicKey): string;
  publicKeyOf(privateKey: PrivateKey): PublicKey;

  importSecretKey(algorithm: SecretKeyAlgorithm, bytes: Uint8Array): SecretKey;
  /** Raw bytes, for wrapping by the keyring only. */
  exportSecretKey(key: SecretKey): Buffer;
}
