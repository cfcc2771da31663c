// What keys the platform holds, for operators (GET /v1/keys): every data-key version of the keyring
// with its purpose, algorithm, profile and state, the KEK that wraps them (by id), and the latest key
// events (created, rotated, rewrapped, retired). Names, dates and states only — never key material:
// neither the wrapped key nor a public key leaves this function.
import { profileOfAlgorithm, type Keyring } from './keyring.ts';
import { selectKeyEvents, type KeyKind, type KeyState } from './keyring-store.ts';

/** How the console names a version's state: the active one, older ones that still decrypt, destroyed ones. */
export type KeyInventoryState = 'active' | 'previous' | 'retired';

export interface KeyInventoryEntry {
  /** `purpose:vN`, stable and public. */
  readonly id: string;
  readonly purpose: string;
  readonly version: number;
  readonly kind: KeyKind;
  readonly algorithm: string;
  readonly profile: string;
  readonly state: KeyInventoryState;
  readonly kekId: string;
  readonly createdAt: number;
  readonly supersededAt: number | undefined;
  readonly retiredAt: number | undefined;
}

export interface KeyInventory {
  readonly kekId: string;
  readonly keys: readonly KeyInventoryEntry[];
  readonly events: readonly {
    readonly operation: string; readonly purpose: string; readonly version: number | undefined;
    readonly actor: string; readonly at: number; readonly detail: string | undefined;
  }[];
}

const stateNames: Readonly<Record<KeyState, KeyInventoryState>> = {
  active: 'active', decrypt_only: 'previous', retired: 'retired',
};

export async function keyInventory(keyring: Keyring, options: { eventsMax: number }): Promise<KeyInventory> {
  const versions = await keyring.versions();
  const keys = versions.map((row) => ({
    id: `${row.purpose}:v${row.version}`, purpose: row.purpose, version: row.version, kind: row.kind,
    algorithm: row.algorithm, profile: profileOfAlgorithm[row.algorithm] ?? 'unknown', state: stateNames[row.state],
    kekId: row.kekId, createdAt: row.createdAt, supersededAt: row.supersededAt, retiredAt: row.retiredAt,
  }));
  return { kekId: keyring.kekId, keys, events: await selectKeyEvents(keyring.store, options.eventsMax) };
}
