// Test support: the real published lists in /work/shared/sanctions, read where they are (never copied
// into the repository), and one index over them shared by a test file.
/* eslint-disable security/detect-non-literal-fs-filename -- test fixtures found by path */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { OfacFiles } from './parse-ofac.ts';

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
