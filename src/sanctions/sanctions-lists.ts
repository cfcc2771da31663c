// The lists in force in this process: the index built from the newest version of each list in the
// store. Every process checks the store's versions at most every `refreshMs` (one small query) and
// rebuilds its index when another process loaded a new version — no restart, no message bus. While a
// new index is being built, searches use the previous one.
import type { Store } from '../store/index.ts';
import type { ListEntry } from './list-entry.ts';
import { ScreeningIndex } from './screening-index.ts';
import { currentVersions, versionEntries, type ListVersion } from './store.ts';

export interface LoadedLists {
  readonly index: ScreeningIndex;
  readonly versions: readonly ListVersion[];
  /** `ofac:3,un:2`: recorded with every hit. */
  readonly label: string;
}

function labelOf(versions: readonly ListVersion[]): string {
  return versions.map((v) => `${v.source}:${v.version}`).join(',');
}

export class SanctionsLists {
  private loaded: LoadedLists | undefined;
  private checkedAt = -Infinity;
  private building: Promise<LoadedLists | undefined> | undefined;

  constructor(
    private readonly store: Store,
    private readonly clock: () => number,
    readonly refreshMs: number,
  ) {}

  /** The lists in force; undefined when none was ever loaded. */
  async current(): Promise<LoadedLists | undefined> {
    const now = this.clock();
    if (this.loaded !== undefined && now - this.checkedAt < this.refreshMs) return this.loaded;
    this.checkedAt = now;
    const versions = await currentVersions(this.store);
    if (versions.length === 0) return undefined;
    if (this.loaded !== undefined && labelOf(versions) === this.loaded.label) return this.loaded;
    const rebuild = this.rebuild(versions);
    // The first build is awaited; later ones run while the previous index keeps serving.
    return this.loaded === undefined ? rebuild : this.loaded;
  }

  /** Rebuilds now (after a load in this process, or from a test). */
  async reload(): Promise<LoadedLists | undefined> {
    this.checkedAt = -Infinity;
    const versions = await currentVersions(this.store);
    return versions.length === 0 ? undefined : this.rebuild(versions);
  }

  private rebuild(versions: readonly ListVersion[]): Promise<LoadedLists | undefined> {
    this.building ??= (async () => {
      try {
        const entries: ListEntry[] = [];
        for (const version of versions) entries.push(...(await versionEntries(this.store, version.id)));
        this.loaded = { index: new ScreeningIndex(entries), versions, label: labelOf(versions) };
        return this.loaded;
      } finally {
        this.building = undefined;
      }
    })();
    return this.building;
  }
}
