// Envelope encryption: data keys (DEKs) per purpose, stored in the database only wrapped by the KEK,
// in numbered versions. New writes use the active version; every older version that is not retired
// still decrypts, so a rotation never interrupts readers. Callers get intents (seal, open, blind
// index, sign), never key bytes. Rewrap and retirement live in keyring-rewrap.ts.
import type { CryptoProfile, ProfileName } from './profile.ts';
import type { PrivateKey, PublicKey, SecretKey } from './key-handle.ts';
import { intlProfile } from './intl.ts';
import { gmProfile } from './gm.ts';
import { CryptoError } from './errors.ts';
import type { Kek } from './kek.ts';
import { KeyringError } from './keyring-errors.ts';
import { blindIndexValue, envelopeHeader, isPurposeName, parseEnvelope } from './envelope.ts';
import {
  insertKeyEvent,
  insertKeyVersion,
  retireKeyVersion,
  rewrapKeyVersion,
  selectActiveKeyVersion,
  selectKeyVersion,
  selectKeyVersions,
  selectLiveKekIds,
  selectMaxKeyVersion,
  supersedeActiveKeyVersion,
  type KeyEvent,
  type KeyEventSink,
  type KeyKind,
  type KeyVersionRow,
} from './keyring-store.ts';
import type { Store, Tx } from '../store/index.ts';

/** Every purpose a data key may serve, and what kind of key it is. Separate purposes, separate keys. */
export const keyPurposes = {
  pii: 'seal',
  'card-vault': 'seal',
  'blind-index': 'mac',
  'card-fingerprint': 'mac',
  'audit-signing': 'sign',
  /** Merchants' webhook signing secrets (webhook_endpoints.secret_sealed): sealed, the platform signs with them. */
  'webhook-secret': 'seal',
  /** Operators' TOTP secrets (operators.totp_secret_sealed): sealed, login must read them back. */
  'totp-secret': 'seal',
  /** The customer access-token MAC key (identity_keys.customer_token_sealed). */
  'customer-token': 'seal',
  /** The device CA's private key (identity_keys.device_ca_sealed). */
  'device-ca': 'seal',
  /** Signs the ISO 20022 files clearing sends to banks (src/clearing; SM2 under the gm profile). */
  'bank-file-signing': 'sign',
} as const satisfies Record<string, KeyKind>;
export type KeyPurpose = keyof typeof keyPurposes;

export function isKeyPurpose(purpose: string): purpose is KeyPurpose {
  return Object.hasOwn(keyPurposes, purpose);
}

export function requireKeyPurpose(purpose: string): KeyPurpose {
  if (!isKeyPurpose(purpose) || !isPurposeName(purpose))
    throw new KeyringError('keyring_unknown_purpose', `known purposes: ${Object.keys(keyPurposes).join(', ')}`);
  return purpose;
}

/** Which profile implements a stored algorithm, so data written under one profile stays readable after a switch. */
export const profileOfAlgorithm: Readonly<Record<string, ProfileName>> = {
  'aes-256-gcm': 'intl',
  'hmac-sha256': 'intl',
  'ecdsa-p256-sha256': 'intl',
  ed25519: 'intl',
  'sm4-cbc-hmac-sm3': 'gm',
  'hmac-sm3': 'gm',
  'sm2-sm3': 'gm',
};
const profileOfWrapTag: Readonly<Record<number, ProfileName>> = { 0x01: 'intl', 0x02: 'gm' };

const profiles: Readonly<Record<ProfileName, CryptoProfile>> = { intl: intlProfile, gm: gmProfile };

function profileFor(algorithm: string): CryptoProfile {
  const name = profileOfAlgorithm[algorithm];
  if (name === undefined) throw new CryptoError('crypto_unknown_algorithm', 'unknown data-key algorithm');
  return profiles[name];
}

interface LoadedKey {
  readonly purpose: string;
  readonly version: number;
  readonly profile: CryptoProfile;
  readonly secret?: SecretKey;
  readonly privateKey?: PrivateKey;
  readonly publicKey?: PublicKey;
}

export interface KeyringOptions {
  readonly store: Store;
  readonly kek: Kek;
  /** Only during a KEK rotation: the KEK being replaced, accepted for data keys it still wraps. */
  readonly previousKek?: Kek | undefined;
  /** The profile new data-key versions use; older versions keep the algorithm they were made with. */
  readonly profile: CryptoProfile;
  readonly clock?: () => number;
  /** Who acts, for key events ('system', 'cli', an operator id). */
  readonly actor?: string;
  /** Routes key events to the audit log (same transaction); key_events is written regardless. */
  readonly onKeyEvent?: KeyEventSink;
  /** How long a process keeps using the active version it knows before asking again (another process may rotate). */
  readonly activeVersionTtlMs?: number;
}

const activeVersionTtlMsDefault = 5_000;

interface KeyMaterial {
  readonly algorithm: string;
  readonly bytes: Buffer;
  readonly publicKey: string | undefined;
}

function wrapAad(purpose: string, version: number, kind: KeyKind, algorithm: string): Buffer {
  // Binds a wrapped key to its row: swapping wrapped keys between purposes or versions fails to unwrap.
  return Buffer.from(`anfu dek v1|${purpose}|${version}|${kind}|${algorithm}`, 'utf8');
}

export class Keyring {
  readonly store: Store;
  readonly #kek: Kek;
  readonly #previousKek: Kek | undefined;
  readonly #profile: CryptoProfile;
  readonly #clock: () => number;
  readonly #actor: string;
  readonly #onKeyEvent: KeyEventSink | undefined;
  readonly #ttlMs: number;
  readonly #loaded = new Map<string, Promise<LoadedKey>>();
  readonly #active = new Map<string, { readonly key: Promise<LoadedKey>; readonly checkedAt: number }>();

  private constructor(options: KeyringOptions) {
    this.store = options.store;
    this.#kek = options.kek;
    this.#previousKek = options.previousKek;
    this.#profile = options.profile;
    this.#clock = options.clock ?? Date.now;
    this.#actor = options.actor ?? 'system';
    this.#onKeyEvent = options.onKeyEvent;
    this.#ttlMs = options.activeVersionTtlMs ?? activeVersionTtlMsDefault;
  }

  /**
   * Opens the keyring; refuses a KEK other than the one that wrapped the stored data keys. A previous
   * KEK is accepted only while it still wraps one: once a rotation is done, naming it is refused.
   */
  static async open(options: KeyringOptions): Promise<Keyring> {
    const live = await selectLiveKekIds(options.store);
    const previous = options.previousKek;
    const others = live.filter((id) => id !== options.kek.id && id !== previous?.id);
    if (others.length > 0)
      throw new KeyringError(
        'keyring_kek_mismatch',
        `stored data keys are wrapped by KEK ${others.join(', ')}, configured is ${options.kek.id}`,
      );
    if (previous !== undefined && (previous.id === options.kek.id || !live.includes(previous.id))) {
      throw new KeyringError(
        'keyring_kek_rotation_done',
        `no data key is wrapped by the previous KEK ${previous.id}: remove ANFU_KEK_PREVIOUS_FILE / ANFU_KEK_PREVIOUS`,
      );
    }
    return new Keyring(options);
  }

  /**
   * KEK rotation: re-wraps every live data key still under the previous KEK with the current one. Each
   * key changes in its own transaction with its key event (compare-and-set on the old KEK id), so an
   * interrupted run is resumed by running it again, and servers keep working throughout. Returns how
   * many keys this run re-wrapped.
   */
  async rewrapUnderCurrentKek(): Promise<number> {
    const previous = this.#previousKek;
    if (previous === undefined)
      throw new KeyringError(
        'keyring_kek_missing',
        'name the KEK being replaced in ANFU_KEK_PREVIOUS_FILE or ANFU_KEK_PREVIOUS',
      );
    let rewrapped = 0;
    for (const row of await selectKeyVersions(this.store)) {
      if (row.state === 'retired' || row.kekId !== previous.id || row.wrappedKey === undefined) continue;
      const bytes = unwrapWith(previous, row);
      const wrappedKey = this.#wrap(bytes, row.purpose, row.version, row.kind, row.algorithm);
      bytes.fill(0);
      rewrapped += await this.store.transaction(async (tx) => {
        const changed = await rewrapKeyVersion(tx, {
          purpose: row.purpose,
          version: row.version,
          fromKekId: previous.id,
          toKekId: this.#kek.id,
          wrappedKey,
        });
        if (changed === 1)
          await this.recordEvent(tx, {
            operation: 'rewrapped',
            purpose: row.purpose,
            version: row.version,
            detail: `KEK ${previous.id} -> ${this.#kek.id}`,
          });
        return changed;
      });
    }
    return rewrapped;
  }

  /** How many live data keys the previous KEK still wraps (0: the rotation is complete). */
  async keysUnderPreviousKek(): Promise<number> {
    const previous = this.#previousKek;
    if (previous === undefined) return 0;
    return (await selectKeyVersions(this.store)).filter((row) => row.state !== 'retired' && row.kekId === previous.id)
      .length;
  }

  get kekId(): string {
    return this.#kek.id;
  }

  /** Seals `plaintext` under the purpose's active version; `context` (table, column, row id …) is authenticated. */
  async seal(purpose: KeyPurpose, plaintext: Uint8Array, context: Uint8Array = Buffer.alloc(0)): Promise<Buffer> {
    const key = await this.#activeKey(purpose, 'seal');
    const header = envelopeHeader(purpose, key.version);
    return Buffer.concat([header, key.profile.seal(secretOf(key), plaintext, Buffer.concat([header, context]))]);
  }

  /** The whole plaintext, or a typed error (tampering, wrong row, wrong purpose, unknown or retired version). */
  async open(purpose: KeyPurpose, sealed: Uint8Array, context: Uint8Array = Buffer.alloc(0)): Promise<Buffer> {
    const envelope = parseEnvelope(sealed);
    if (envelope.purpose !== purpose)
      throw new CryptoError('crypto_key_mismatch', 'the value was sealed for another purpose');
    const key = await this.#versionKey(purpose, envelope.version, 'seal');
    return key.profile.open(secretOf(key), envelope.body, Buffer.concat([envelope.bytes, context]));
  }

  /** A keyed blind index under the active version: [version][MAC]. */
  async blindIndex(purpose: KeyPurpose, data: Uint8Array): Promise<Buffer> {
    const key = await this.#activeKey(purpose, 'mac');
    return blindIndexValue(key.version, key.profile.mac(secretOf(key), data));
  }

  /** The blind index under every live version: look up with `IN (…)` while a rewrap is under way. */
  async blindIndexCandidates(purpose: KeyPurpose, data: Uint8Array): Promise<Buffer[]> {
    const live = (await selectKeyVersions(this.store, purpose)).filter((row) => row.state !== 'retired');
    if (live.length === 0) return [await this.blindIndex(purpose, data)];
    const keys = await Promise.all(live.map((row) => this.#versionKey(purpose, row.version, 'mac')));
    return keys.map((key) => blindIndexValue(key.version, key.profile.mac(secretOf(key), data)));
  }

  async sign(purpose: KeyPurpose, data: Uint8Array): Promise<{ version: number; signature: Buffer }> {
    const key = await this.#activeKey(purpose, 'sign');
    if (key.privateKey === undefined) throw new KeyringError('keyring_key_retired');
    return { version: key.version, signature: key.profile.sign(key.privateKey, data) };
  }

  /** Verifies with the public key of `version`, which outlives the retirement of its private key. */
  async verify(purpose: KeyPurpose, version: number, data: Uint8Array, signature: Uint8Array): Promise<boolean> {
    requireKind(purpose, 'sign');
    const row = await selectKeyVersion(this.store, purpose, version);
    if (row?.publicKey === undefined) throw new KeyringError('keyring_key_not_found', `${purpose} v${version}`);
    const profile = profileFor(row.algorithm);
    return profile.verify(profile.importPublicKey(row.publicKey), data, signature);
  }

  /** The active version number, created (version 1) if the purpose has none yet. */
  async activeVersion(purpose: KeyPurpose, options: { fresh?: boolean } = {}): Promise<number> {
    if (options.fresh === true) this.#active.delete(purpose);
    return (await this.#activeKey(purpose, keyPurposes[purpose])).version;
  }

  async versions(purpose?: KeyPurpose): Promise<KeyVersionRow[]> {
    return selectKeyVersions(this.store, purpose);
  }

  /** A new version becomes active for writes; the previous one keeps decrypting until it is retired. */
  async rotate(purpose: KeyPurpose): Promise<KeyVersionRow> {
    const kind = keyPurposes[purpose];
    const at = this.#clock();
    const version = await this.store.transaction(async (tx) => {
      const next = (await selectMaxKeyVersion(tx, purpose)) + 1;
      await supersedeActiveKeyVersion(tx, purpose, at);
      if ((await this.#insertVersion(tx, purpose, kind, next, at)) !== 1)
        throw new KeyringError('keyring_key_in_use', 'another rotation of this purpose is under way');
      await this.recordEvent(tx, {
        operation: next === 1 ? 'created' : 'rotated',
        purpose,
        version: next,
        detail: undefined,
      });
      return next;
    });
    this.#active.delete(purpose);
    const row = await selectKeyVersion(this.store, purpose, version);
    if (row === undefined) throw new Error(`keyring: version ${version} of ${purpose} vanished after rotation`);
    return row;
  }

  /**
   * Takes an existing signing key under the KEK (a key that used to live in a plain file) as the
   * purpose's first version. `adopted` when it became that version, `present` when the purpose
   * already holds this very key (another process adopted it first), `conflict` when it holds another.
   */
  async adoptSigningKey(
    purpose: KeyPurpose,
    privateKeyPem: string,
    algorithm: string,
    detail: string,
  ): Promise<'adopted' | 'present' | 'conflict'> {
    requireKind(purpose, 'sign');
    const profile = profileFor(algorithm);
    const publicKey = profile.exportPublicKey(profile.publicKeyOf(profile.importPrivateKey(privateKeyPem)));
    const material = { algorithm, bytes: Buffer.from(privateKeyPem, 'utf8'), publicKey };
    const outcome = await this.store.transaction(async (tx) => {
      const live = (await selectKeyVersions(tx, purpose)).filter((row) => row.state !== 'retired');
      if (live.length > 0)
        return live.some((row) => row.publicKey === publicKey) ? ('present' as const) : ('conflict' as const);
      const version = (await selectMaxKeyVersion(tx, purpose)) + 1;
      if ((await this.#insertVersion(tx, purpose, 'sign', version, this.#clock(), material)) !== 1)
        return 'conflict' as const;
      await this.recordEvent(tx, { operation: 'created', purpose, version, detail });
      return 'adopted' as const;
    });
    material.bytes.fill(0);
    this.#active.delete(purpose);
    return outcome;
  }

  /** Destroys a superseded version's key material (the caller has proven nothing references it). */
  async retireVersion(tx: Tx, purpose: KeyPurpose, version: number, detail: string): Promise<boolean> {
    if ((await retireKeyVersion(tx, purpose, version, this.#clock())) !== 1) return false;
    await this.recordEvent(tx, { operation: 'retired', purpose, version, detail });
    this.#loaded.delete(`${purpose}#${version}`);
    return true;
  }

  async recordEvent(tx: Tx, event: Omit<KeyEvent, 'at' | 'actor'>): Promise<void> {
    const full: KeyEvent = { ...event, at: this.#clock(), actor: this.#actor };
    await insertKeyEvent(tx, full);
    if (this.#onKeyEvent !== undefined) await this.#onKeyEvent(tx, full);
  }

  now(): number {
    return this.#clock();
  }

  async #insertVersion(
    tx: Tx,
    purpose: string,
    kind: KeyKind,
    version: number,
    at: number,
    given?: KeyMaterial,
  ): Promise<number> {
    const material = given ?? this.#newKeyMaterial(kind);
    const wrappedKey = this.#wrap(material.bytes, purpose, version, kind, material.algorithm);
    return insertKeyVersion(tx, {
      purpose,
      version,
      kind,
      algorithm: material.algorithm,
      kekId: this.#kek.id,
      wrappedKey,
      publicKey: material.publicKey,
      createdAt: at,
    });
  }

  #wrap(bytes: Buffer, purpose: string, version: number, kind: KeyKind, algorithm: string): Buffer {
    const wrapKey = this.#profile.importSecretKey(
      this.#profile.sealAlgorithm,
      this.#kek.wrappingKeyBytes(this.#profile.hashAlgorithm, this.#profile.sealAlgorithm),
    );
    return this.#profile.seal(wrapKey, bytes, wrapAad(purpose, version, kind, algorithm));
  }

  #newKeyMaterial(kind: KeyKind): KeyMaterial {
    const profile = this.#profile;
    if (kind === 'seal')
      return {
        algorithm: profile.sealAlgorithm,
        bytes: profile.exportSecretKey(profile.generateSealKey()),
        publicKey: undefined,
      };
    if (kind === 'mac')
      return {
        algorithm: profile.macAlgorithm,
        bytes: profile.exportSecretKey(profile.generateMacKey()),
        publicKey: undefined,
      };
    const algorithm = profile.signatureAlgorithms[0];
    if (algorithm === undefined)
      throw new CryptoError('crypto_unknown_algorithm', 'profile without a signature algorithm');
    const pair = profile.generateSigningKeyPair(algorithm);
    return {
      algorithm,
      bytes: Buffer.from(profile.exportPrivateKey(pair.privateKey), 'utf8'),
      publicKey: profile.exportPublicKey(pair.publicKey),
    };
  }

  async #activeKey(purpose: KeyPurpose, kind: KeyKind): Promise<LoadedKey> {
    requireKind(purpose, kind);
    const cached = this.#active.get(purpose);
    const now = this.#clock();
    if (cached !== undefined && now - cached.checkedAt < this.#ttlMs) return cached.key;
    const key = this.#loadActive(purpose);
    this.#active.set(purpose, { key, checkedAt: now });
    key.catch(() => this.#active.delete(purpose));
    return key;
  }

  async #loadActive(purpose: KeyPurpose): Promise<LoadedKey> {
    let row = await selectActiveKeyVersion(this.store, purpose);
    if (row === undefined) {
      // First use of a purpose: create version 1. Concurrent first users race; ON CONFLICT keeps one.
      const at = this.#clock();
      await this.store.transaction(async (tx) => {
        if ((await selectActiveKeyVersion(tx, purpose)) !== undefined) return;
        const version = (await selectMaxKeyVersion(tx, purpose)) + 1;
        if ((await this.#insertVersion(tx, purpose, keyPurposes[purpose], version, at)) === 1) {
          await this.recordEvent(tx, { operation: 'created', purpose, version, detail: undefined });
        }
      });
      row = await selectActiveKeyVersion(this.store, purpose);
      if (row === undefined) throw new Error(`keyring: no active version of ${purpose} after creating one`);
    }
    return this.#versionKey(purpose, row.version, keyPurposes[purpose]);
  }

  async #versionKey(purpose: KeyPurpose, version: number, kind: KeyKind): Promise<LoadedKey> {
    requireKind(purpose, kind);
    const id = `${purpose}#${version}`;
    let loading = this.#loaded.get(id);
    if (loading === undefined) {
      loading = this.#unwrap(purpose, version);
      this.#loaded.set(id, loading);
      // A version not found now may be created by another process later: do not remember the failure.
      loading.catch(() => this.#loaded.delete(id));
    }
    return loading;
  }

  async #unwrap(purpose: string, version: number): Promise<LoadedKey> {
    const row = await selectKeyVersion(this.store, purpose, version);
    if (row === undefined) throw new KeyringError('keyring_key_not_found', `${purpose} v${version}`);
    if (row.wrappedKey === undefined) throw new KeyringError('keyring_key_retired', `${purpose} v${version}`);
    // During a KEK rotation a key may still be wrapped by the previous KEK; any other is refused.
    const kek = [this.#kek, this.#previousKek].find((candidate) => candidate?.id === row.kekId);
    if (kek === undefined)
      throw new KeyringError('keyring_kek_mismatch', `${purpose} v${version} is wrapped by KEK ${row.kekId}`);
    const bytes = unwrapWith(kek, row);
    const profile = profileFor(row.algorithm);
    if (row.kind === 'sign') {
      const privateKey = profile.importPrivateKey(bytes.toString('utf8'));
      bytes.fill(0);
      return { purpose, version, profile, privateKey, publicKey: profile.publicKeyOf(privateKey) };
    }
    const secret = profile.importSecretKey(row.algorithm as Parameters<CryptoProfile['importSecretKey']>[0], bytes);
    bytes.fill(0);
    return { purpose, version, profile, secret };
  }
}

/** The data key bytes of a row, unwrapped with `kek` (the wrap algorithm is read from the wrapped key's tag). */
function unwrapWith(kek: Kek, row: KeyVersionRow): Buffer {
  const wrapProfileName = profileOfWrapTag[row.wrappedKey?.[0] ?? -1];
  if (row.wrappedKey === undefined || wrapProfileName === undefined) throw new CryptoError('crypto_decrypt_failed');
  const wrapProfile = profiles[wrapProfileName];
  const wrapKey = wrapProfile.importSecretKey(
    wrapProfile.sealAlgorithm,
    kek.wrappingKeyBytes(wrapProfile.hashAlgorithm, wrapProfile.sealAlgorithm),
  );
  return wrapProfile.open(wrapKey, row.wrappedKey, wrapAad(row.purpose, row.version, row.kind, row.algorithm));
}

function requireKind(purpose: string, kind: KeyKind): void {
  const known = requireKeyPurpose(purpose);
  if (keyPurposes[known] !== kind)
    throw new CryptoError('crypto_key_mismatch', `${purpose} keys are ${keyPurposes[known]} keys, not ${kind}`);
}

function secretOf(key: LoadedKey): SecretKey {
  if (key.secret === undefined) throw new CryptoError('crypto_key_mismatch', 'not a secret key');
  return key.secret;
}
