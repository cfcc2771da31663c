// Test support: the real published lists in /work/shared/sanctions, read where they are (never copied
// into the repository), and one index over them shared by a test file.
/* eslint-disable security/detect-non-literal-fs-filename -- test fixtures found by path */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { openCase } from '../cases/index.ts';
import type { Store } from '../store/index.ts';
import type { OfacFiles } from './parse-ofac.ts';
import { insertMerchantFreeze } from './store.ts';

/** The nearest `shared/sanctions` above this file (the workspace keeps it beside the repository). */
function findSharedLists(): string {
  for (let dir = import.meta.dirname; dir !== dirname(dir); dir = dirname(dir)) {
    const candidate = join(dir, 'shared', 'sanctions');
    if (existsSync(candidate)) return candidate;
  }
  return '/work/shared/sanctions';
}

export const sharedListsDir = process.env.ANFU_SANCTIONS_TEST_DIR ?? findSharedLists();

export const realOfacFiles: OfacFiles = {
  sdn: join(sharedListsDir, 'ofac-sdn.csv'),
  alt: join(sharedListsDir, 'ofac-alt.csv'),
  add: join(sharedListsDir, 'ofac-add.csv'),
};
export const realUnFile = join(sharedListsDir, 'un-consolidated.xml');

/** Fails (not skips) when the shared lists are missing: the screening tests mean nothing without them. */
export function requireSharedLists(): void {
  for (const path of [realOfacFiles.sdn, realUnFile]) {
    if (!existsSync(path)) throw new Error(`the published lists are needed at ${path} (set ANFU_SANCTIONS_TEST_DIR)`);
  }
}

/** Freezes a merchant as a sanctions hit does (its case, then the case's freeze row), for tests. */
export async function freezeMerchantAsHit(store: Store, merchantId: string, now: number): Promise<void> {
  const hit = await openCase(store, {
    kind: 'sanctions_hit', dedupeKey: `hit-${merchantId}`, title: 'hit',
    subject: { type: 'merchant', id: merchantId }, severity: 'critical', openedBy: 'system:test',
  }, now);
  const freeze = { id: `smf-${merchantId}`, caseId: hit.id, merchantId, now };
  const inserted = await store.transaction((tx) => insertMerchantFreeze(tx, freeze));
  if (!inserted) throw new Error('the merchant was frozen already');
}
