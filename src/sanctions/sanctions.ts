// The sanctions capability's context, built once per process at wiring: the store, the clock, the
// lists in force and the thresholds.
import type { Store } from '../store/index.ts';
import { SanctionsLists } from './sanctions-lists.ts';

export interface ScreeningSettings {
  /** A match at or above this score (0..1) blocks and opens a case. */
  readonly blockScore: number;
  /** A match at or above this score and below blockScore is recorded as a near hit. */
  readonly nearHitScore: number;
  /** How often each process looks for a newly loaded list version. */
  readonly refreshMs: number;
  /** Refuse screened actions while no list is loaded (production). */
  readonly requireLists: boolean;
}

export const defaultScreeningSettings: ScreeningSettings = {
  blockScore: 0.92,
  nearHitScore: 0.85,
  refreshMs: 5000,
  requireLists: false,
};

export interface ScreeningCounts {
  clear: number;
  near_hit: number;
  hit: number;
  unscreened: number;
}

export interface Sanctions {
  readonly store: Store;
  readonly clock: () => number;
  readonly lists: SanctionsLists;
  readonly settings: ScreeningSettings;
  readonly counts: ScreeningCounts;
}

export function createSanctions(
  store: Store,
  clock: () => number,
  settings: Partial<ScreeningSettings> = {},
): Sanctions {
  const full = { ...defaultScreeningSettings, ...settings };
  if (!(full.nearHitScore > 0 && full.nearHitScore <= full.blockScore && full.blockScore <= 1)) {
    throw new Error('sanctions settings: need 0 < nearHitScore <= blockScore <= 1');
  }
  return {
    store,
    clock,
    settings: full,
    lists: new SanctionsLists(store, clock, full.refreshMs),
    counts: { clear: 0, near_hit: 0, hit: 0, unscreened: 0 },
  };
}
