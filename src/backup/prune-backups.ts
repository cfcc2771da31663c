// Retention: keep the newest `keepFull` full backups and everything made after the oldest of them;
// older chains go. The manifest is removed first, so a prune cut short never leaves a listed backup
// without its archives.
import type { Kek } from '../crypto/index.ts';
import { loadCatalog, manifestSuffix } from './catalog.ts';
import type { BackupTarget } from './targets.ts';

export function pruneBackups(targets: readonly BackupTarget[], kek: Kek, keepFull: number): string[] {
  if (!Number.isSafeInteger(keepFull) || keepFull < 1) throw new RangeError('keepFull must be at least 1');
  const removed = new Set<string>();
  for (const target of targets) {
    const { manifests } = loadCatalog(target, kek);
    const fulls = manifests.filter((m) => m.kind === 'full');
    const oldestKept = fulls.at(-keepFull);
    if (oldestKept === undefined || fulls.length <= keepFull) continue;
    for (const manifest of manifests) {
      if (manifest.createdAt >= oldestKept.createdAt) break;
      target.remove(`${manifest.id}${manifestSuffix}`);
      target.remove(manifest.data.name);
      if (manifest.pageHashes) target.remove(manifest.pageHashes.name);
      removed.add(manifest.id);
    }
  }
  return [...removed];
}
