// Loading lists: files in the publishers' formats are recognised, parsed completely and checked
// before anything is written; then each list becomes a new version in the store in one transaction
// with its audit entry. A malformed or truncated file refuses the whole load (ListFormatError) and the
// lists in force stay as they were — in this process and every other.
/* eslint-disable security/detect-non-literal-fs-filename -- list files are named by the operator who loads them */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { appendAudit, type ActorType } from '../audit/index.ts';
import { newId } from '../ids.ts';
import type { Store } from '../store/index.ts';
import { ListFormatError, type ListEntry, type ListSource } from './list-entry.ts';
import { parseOfac, type OfacFiles } from './parse-ofac.ts';
import { parseUn } from './parse-un.ts';
import { insertVersion, nextVersion, type ListVersion } from './store.ts';

export interface ListFiles {
  readonly ofac?: OfacFiles;
  readonly un?: string;
}

export interface LoadActor {
  readonly type: ActorType;
  readonly id: string;
}

export interface LoadedListReport {
  readonly source: ListSource;
  readonly version: number;
  readonly entries: number;
  readonly sha256: string;
  readonly skippedRows: number;
}

type FileKind = 'un' | 'sdn' | 'alt' | 'add';

/** Field count of the first CSV row (quotes respected). */
function firstRowWidth(head: string): number {
  let fields = 1;
  let quoted = false;
  for (const c of head) {
    if (c === '"') quoted = !quoted;
    else if (c === ',' && !quoted) fields += 1;
    else if (c === '\n' && !quoted) break;
  }
  return fields;
}

async function kindOfFile(path: string): Promise<FileKind> {
  const handle = await open(path, 'r');
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(8192), 0, 8192, 0);
    const head = buffer.subarray(0, bytesRead).toString('utf8');
    const body = head
      .trimStart()
      .replace(/^<\?xml[^>]*>/u, '')
      .trimStart();
    if (body.startsWith('<CONSOLIDATED_LIST')) return 'un';
    const widths: Record<number, FileKind> = { 12: 'sdn', 5: 'alt', 6: 'add' };
    const kind = head.startsWith('<') ? undefined : widths[firstRowWidth(head)];
    if (kind === undefined) {
      throw new ListFormatError(path, 1, 'neither the UN consolidated XML nor an OFAC SDN, ALT or ADD CSV file');
    }
    return kind;
  } finally {
    await handle.close();
  }
}

/** Recognises each file by its content (the UN XML; OFAC SDN, ALT and ADD by their width). */
export async function identifyListFiles(paths: readonly string[]): Promise<ListFiles> {
  const found: Partial<Record<FileKind, string>> = {};
  for (const path of paths) {
    const kind = await kindOfFile(path);
    if (found[kind] !== undefined)
      throw new ListFormatError(path, 1, `a second ${kind.toUpperCase()} file in one load`);
    found[kind] = path;
  }
  if ((found.alt !== undefined || found.add !== undefined) && found.sdn === undefined) {
    throw new ListFormatError(
      found.alt ?? found.add ?? '',
      1,
      'OFAC ALT/ADD files need their SDN.CSV in the same load',
    );
  }
  return {
    ...(found.sdn === undefined ? {} : { ofac: { sdn: found.sdn, alt: found.alt, add: found.add } }),
    ...(found.un === undefined ? {} : { un: found.un }),
  };
}

async function sha256Of(paths: readonly string[]): Promise<string> {
  const hash = createHash('sha256');
  for (const path of paths) for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

interface ParsedSource {
  readonly source: ListSource;
  readonly entries: ListEntry[];
  readonly sha256: string;
  readonly skippedRows: number;
}

async function parseAll(files: ListFiles): Promise<ParsedSource[]> {
  const parsed: ParsedSource[] = [];
  if (files.ofac !== undefined) {
    const { entries, orphanRows } = await parseOfac(files.ofac);
    const paths = [files.ofac.sdn, files.ofac.alt, files.ofac.add].filter((p): p is string => p !== undefined);
    parsed.push({ source: 'ofac', entries, sha256: await sha256Of(paths), skippedRows: orphanRows });
  }
  if (files.un !== undefined) {
    parsed.push({ source: 'un', entries: await parseUn(files.un), sha256: await sha256Of([files.un]), skippedRows: 0 });
  }
  if (parsed.length === 0) throw new ListFormatError('(none)', 0, 'no list file given');
  return parsed;
}

/** Parses and checks every file, then stores each list as a new version; refuses all on any problem. */
export async function loadLists(
  store: Store,
  files: ListFiles,
  actor: LoadActor,
  now: number,
): Promise<LoadedListReport[]> {
  let parsed: ParsedSource[];
  try {
    parsed = await parseAll(files);
  } catch (error) {
    if (error instanceof ListFormatError) {
      const details = { file: error.file.split('/').at(-1) ?? '', line: error.line, problem: error.problem };
      await store.transaction((tx) =>
        appendAudit(
          tx,
          [
            {
              actorType: actor.type,
              actorId: actor.id,
              action: 'sanctions.list.load',
              target: null,
              outcome: 'failure',
              details,
            },
          ],
          now,
        ),
      );
    }
    throw error;
  }
  return store.transaction(async (tx) => {
    const reports: LoadedListReport[] = [];
    for (const list of parsed) {
      const version: ListVersion = {
        id: newId('slv', now),
        source: list.source,
        version: await nextVersion(tx, list.source),
        sha256: list.sha256,
        entryCount: list.entries.length,
        loadedBy: actor.id,
        loadedAt: now,
      };
      await insertVersion(tx, version, list.entries);
      reports.push({
        source: list.source,
        version: version.version,
        entries: list.entries.length,
        sha256: list.sha256,
        skippedRows: list.skippedRows,
      });
    }
    await appendAudit(
      tx,
      reports.map((r) => ({
        actorType: actor.type,
        actorId: actor.id,
        action: 'sanctions.list.load',
        target: `${r.source}:${r.version}`,
        outcome: 'success' as const,
        details: { entries: r.entries, sha256: r.sha256, skippedRows: r.skippedRows },
      })),
      now,
    );
    return reports;
  });
}
