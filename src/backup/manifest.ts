// The manifest of one backup: what it holds (kind, pages, files and their hashes), how it links to
// the backup it is relative to and to the previous manifest, the KEK-wrapped archive key, and the
// ledger fingerprint at that moment. Canonical JSON (RFC 8785) with a MAC under the KEK.
import canonicalize from 'canonicalize';
import { cryptoProfile, type CryptoProfile, type Kek, type ProfileName } from '../crypto/index.ts';
import { BackupError } from './errors.ts';
import { manifestMac, manifestMacValid, type WrappedArchiveKey } from './keys.ts';
import type { LedgerFingerprint } from './fingerprint.ts';
import type { TrackingPositions } from './change-tracking.ts';

export const manifestFormats = ['anfu-backup-manifest/1', 'anfu-backup-manifest/2'] as const;
export const manifestFormat = 'anfu-backup-manifest/2';

export const backupKinds = ['full', 'incremental', 'differential'] as const;
export type BackupKind = (typeof backupKinds)[number];

export interface FileEntry {
  readonly name: string;
  readonly bytes: number;
  readonly hash: string;
  readonly chunks: number;
}

export interface ManifestLink {
  readonly id: string;
  readonly manifestHash: string;
}

/**
 * Format 1 (before change tracking): every kind holds pages. Format 2: a full holds pages and the
 * change positions; an incremental or differential holds change records (rows) up to its positions.
 */
export interface BackupManifest {
  readonly format: (typeof manifestFormats)[number];
  readonly id: string;
  readonly kind: BackupKind;
  readonly store: 'sqlite';
  readonly profile: ProfileName;
  readonly createdAt: number;
  /** The backup whose pages this one is relative to: none for a full, the full for a differential. */
  readonly parent: ManifestLink | null;
  /** The manifest written just before this one, of any kind: the chain a missing archive breaks. */
  readonly previous: ManifestLink | null;
  readonly pageSize: number;
  readonly pageCount: number;
  readonly pagesWritten: number;
  readonly data: FileEntry;
  /** Format 1 only: the page hashes its children diffed against. */
  readonly pageHashes?: FileEntry | null;
  /** Format 2: the change positions this backup covers. */
  readonly tracking?: TrackingPositions;
  /** Format 2 incremental or differential: the rows it holds. */
  readonly rowsWritten?: number;
  /** Set when an incremental or differential was asked for and a full was taken instead. */
  readonly promoted?: { readonly requested: BackupKind; readonly reason: string } | null;
  readonly key: WrappedArchiveKey;
  readonly fingerprint: LedgerFingerprint;
  readonly mac: string;
}

export type UnsignedManifest = Omit<BackupManifest, 'mac'>;

function canonicalBody(manifest: UnsignedManifest): string {
  const { mac: _mac, ...body } = manifest as BackupManifest;
  const text = canonicalize(body);
  if (text === undefined) throw new Error('manifest is not serialisable');
  return text;
}

export function signManifest(profile: CryptoProfile, kek: Kek, body: UnsignedManifest): BackupManifest {
  return { ...body, mac: manifestMac(profile, kek, canonicalBody(body)) };
}

/** The hash that the next manifest links to: over the whole manifest, MAC included. */
export function manifestHash(manifest: BackupManifest): string {
  return cryptoProfile(manifest.profile)
    .hash(Buffer.from(canonicalize(manifest) ?? '', 'utf8'))
    .toString('hex');
}

function isFileEntry(value: unknown): value is FileEntry {
  const v = value as Partial<FileEntry> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.name === 'string' &&
    /^[A-Za-z0-9_.-]+$/.test(v.name) &&
    Number.isSafeInteger(v.bytes) &&
    typeof v.hash === 'string' &&
    Number.isSafeInteger(v.chunks) &&
    (v.chunks ?? 0) >= 1
  );
}

function isLink(value: unknown): value is ManifestLink | null {
  if (value === null) return true;
  const v = value as Partial<ManifestLink>;
  return typeof v === 'object' && typeof v.id === 'string' && typeof v.manifestHash === 'string';
}

function isTracking(value: unknown): value is TrackingPositions {
  const v = value as Partial<TrackingPositions> | null;
  const seq = (s: unknown) => typeof s === 'string' && /^[0-9]{1,20}$/.test(s);
  return (
    typeof v === 'object' &&
    v !== null &&
    seq(v.changeSeq) &&
    typeof v.schemaHash === 'string' &&
    typeof v.appendOnly === 'object' &&
    v.appendOnly !== null &&
    Object.values(v.appendOnly).every(seq)
  );
}

/** Parses and authenticates a manifest's text; anything malformed or not under this KEK is refused. */
export function parseManifest(text: string, kek: Kek): BackupManifest {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new BackupError('backup_manifest_invalid', 'the manifest is not JSON');
  }
  const m = value as Partial<BackupManifest>;
  const shapeOk =
    typeof m === 'object' &&
    m !== null &&
    manifestFormats.includes(m.format as BackupManifest['format']) &&
    typeof m.id === 'string' &&
    /^bk_[0-9a-z_]+$/.test(m.id) &&
    backupKinds.includes(m.kind as BackupKind) &&
    m.store === 'sqlite' &&
    (m.profile === 'intl' || m.profile === 'gm') &&
    Number.isSafeInteger(m.createdAt) &&
    isLink(m.parent) &&
    isLink(m.previous) &&
    Number.isSafeInteger(m.pageSize) &&
    Number.isSafeInteger(m.pageCount) &&
    Number.isSafeInteger(m.pagesWritten) &&
    isFileEntry(m.data) &&
    (m.format === 'anfu-backup-manifest/1' ? isFileEntry(m.pageHashes) : isTracking(m.tracking)) &&
    typeof m.key === 'object' &&
    m.key !== null &&
    typeof m.fingerprint === 'object' &&
    typeof m.mac === 'string';
  if (!shapeOk) throw new BackupError('backup_manifest_invalid', 'the manifest does not have the expected fields');
  const manifest = m as BackupManifest;
  if ((manifest.kind === 'full') !== (manifest.parent === null)) {
    throw new BackupError('backup_manifest_invalid', `${manifest.id}: a full backup has no parent, any other has one`);
  }
  if (!manifestMacValid(cryptoProfile(manifest.profile), kek, canonicalBody(manifest), manifest.mac)) {
    throw new BackupError(
      'backup_manifest_invalid',
      `${manifest.id}: the manifest is not authenticated by this KEK (altered, or made under another key)`,
    );
  }
  return manifest;
}
