// The one keyring (and card vault) an app instance uses, with its key operations and every vault
// access routed into the tamper-evident audit log in the same transaction as key_events/vault_access.
// Opened once per process after the KEK is loaded and the store migrated (serve, CLI, test harness).
import { appendAudit, type AuditEvent } from '../audit/index.ts';
import type { Config } from '../config.ts';
import { cryptoProfile, Keyring, TokenVault, type Kek, type KeyEvent, type VaultAccess, type VaultLog } from '../crypto/index.ts';
import type { Store, Tx } from '../store/index.ts';

const keyActions: Readonly<Record<KeyEvent['operation'], string>> = {
  created: 'keys.create',
  rotated: 'keys.rotate',
  rewrapped: 'keys.rewrap',
  retired: 'keys.retire',
};

/** 'opr_…' acts as an operator; 'system', 'cli:<user>' and other process names as the system. */
function actorOf(actor: string): Pick<AuditEvent, 'actorType' | 'actorId'> {
  return { actorType: actor.startsWith('opr_') ? 'operator' : 'system', actorId: actor };
}

/** The audit entry of a key event: purpose and version, counts and reasons; never key material. */
export function keyEventAuditEntry(event: KeyEvent): AuditEvent {
  const target = event.version === undefined ? event.purpose : `${event.purpose}#v${event.version}`;
  const details: Record<string, unknown> = { purpose: event.purpose, ...(event.version === undefined ? {} : { version: event.version }) };
  if (event.detail !== undefined) details.detail = event.detail;
  return { ...actorOf(event.actor), action: keyActions[event.operation], target, outcome: 'success', details };
}

export async function auditKeyEvent(tx: Tx, event: KeyEvent): Promise<void> {
  await appendAudit(tx, [keyEventAuditEntry(event)], event.at);
}

/** The audit entry of a detokenisation: the card token (a reference) and why; never the PAN. */
export async function auditVaultAccess(tx: Tx, access: VaultAccess): Promise<void> {
  const entry: AuditEvent = {
    ...actorOf(access.actor),
    action: 'vault.detokenise',
    target: access.token,
    outcome: access.outcome === 'granted' ? 'success' : 'failure',
    details: { reason: access.purpose, ...(access.outcome === 'granted' ? {} : { refusal: access.outcome }) },
  };
  await appendAudit(tx, [entry], access.at);
}

export interface PlatformKeyringOptions {
  readonly store: Store;
  readonly config: Pick<Config, 'cryptoProfile'>;
  readonly kek: Kek;
  readonly clock?: () => number;
  /** Who acts for key events ('system' in the server, 'cli:<user>' from the command line). */
  readonly actor?: string;
  readonly activeVersionTtlMs?: number;
}

/** Opens the keyring with key events audited; refuses a KEK other than the one wrapping the stored keys. */
export function openPlatformKeyring(options: PlatformKeyringOptions): Promise<Keyring> {
  return Keyring.open({
    store: options.store,
    kek: options.kek,
    profile: cryptoProfile(options.config.cryptoProfile),
    actor: options.actor ?? 'system',
    onKeyEvent: auditKeyEvent,
    ...(options.clock === undefined ? {} : { clock: options.clock }),
    ...(options.activeVersionTtlMs === undefined ? {} : { activeVersionTtlMs: options.activeVersionTtlMs }),
  });
}

/** The card vault over the platform keyring, every detokenisation audited. */
export function platformTokenVault(keyring: Keyring, options: { clock?: () => number; log?: VaultLog } = {}): TokenVault {
  return new TokenVault(keyring, { ...options, onAccess: auditVaultAccess });
}
