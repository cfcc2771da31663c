// The catalogue of backups on a target: every manifest authenticated, in the order written, and the
// chain of parents a restore needs. A manifest that fails to parse or authenticate is named, never
// skipped in silence.
import type { Kek } from '../crypto/index.ts';
import { BackupError } from './errors.ts';
import { manifestHash, parseManifest, type BackupManifest } from './manifest.ts';
import { readTargetFile, type BackupTarget } from './targets.ts';

export const manifestSuffix = '.manifest.json';

export interface Catalog {
  /** Oldest first. */
  readonly manifests: readonly BackupManifest[];
  byId(id: string): BackupManifest | undefined;
}

export function loadCatalog(target: BackupTarget, kek: Kek): Catalog {
  const manifests: BackupManifest[] = [];
  for (const file of target.list()) {
    if (!file.endsWith(manifestSuffix)) continue;
    const text = readTargetFile(target, file);
    if (text === undefined) continue;
    try {
      manifests.push(parseManifest(text, kek));
    } catch (error) {
      if (error instanceof BackupError) throw new BackupError(error.code, `${file}: ${error.detail ?? error.message}`);
      throw error;
    }
  }
  manifests.sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1));
  const index = new Map(manifests.map((m) => [m.id, m]));
  return { manifests, byId: (id) => index.get(id) };
}

/** Each manifest links to the one written before it; the oldest kept may link to a pruned one. */
export function checkManifestChain(catalog: Catalog): void {
  catalog.manifests.forEach((manifest, i) => {
    const before = catalog.manifests[i - 1];
    if (before === undefined) return;
    if (manifest.previous === null || manifest.previous.id !== before.id || manifest.previous.manifestHash !== manifestHash(before)) {
      const expected = manifest.previous?.id ?? 'nothing';
      throw new BackupError('backup_chain_broken', `${manifest.id} follows ${expected}, but the catalogue holds ${before.id} before it`);
    }
  });
}

/** The backups to apply, oldest first, to rebuild `target`: a full, then each child down to it. */
export function restoreChain(catalog: Catalog, target: BackupManifest): BackupManifest[] {
  const chain: BackupManifest[] = [target];
  let current = target;
  while (current.parent !== null) {
    const parent = catalog.byId(current.parent.id);
    if (parent === undefined) throw new BackupError('backup_chain_broken', `${current.id} needs ${current.parent.id}, which is missing`);
    if (manifestHash(parent) !== current.parent.manifestHash) {
      throw new BackupError('backup_chain_broken', `${current.id} needs ${parent.id}, whose manifest is not the one it was made from`);
    }
    chain.unshift(parent);
    current = parent;
    if (chain.length > 100_000) throw new BackupError('backup_chain_broken', 'the parent chain does not end in a full backup');
  }
  return chain;
}

/** The newest backup made at or before `at` (ms); refuses a time in the future or before the first full. */
export function backupAt(catalog: Catalog, at: number, now: number): BackupManifest {
  if (at > now) throw new BackupError('backup_not_found', 'the requested time is in the future');
  const found = catalog.manifests.filter((m) => m.createdAt <= at).at(-1);
  if (found === undefined) throw new BackupError('backup_not_found', 'no backup was made at or before the requested time');
  return found;
}
