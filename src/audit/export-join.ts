/* eslint-disable security/detect-non-literal-fs-filename -- the export path is the operator's own command-line argument */
// The fast verification of an export, around export-scan.ts: reads the header and the checkpoints,
// verifies the signatures, splits the entry lines into ranges on 256-leaf boundaries, and joins the
// ranges' results (chain at each boundary, block roots into the Merkle tree, every checkpoint's root
// and chain). It answers only for an intact export; anything else is left to the exact scanner.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { checkpointVerifier } from './audit-signer.ts';
import { checkpointNote } from './checkpoint.ts';
import { blockLeaves, lineBytesMax, type RangeRequest, type RangeScan } from './export-scan.ts';
import { exportFormat } from './export-audit.ts';
import type { ScanCheckpoint } from './log-scanner.ts';
import { chainGenesis, emptyRoot, foldSubtrees, hashBytes, nodeHash } from './merkle.ts';

export const hexPattern = /^[0-9a-f]{64}$/;

export interface Header {
  readonly treeSize: number;
  readonly headChain: Buffer;
  readonly publicKey: string;
}

export function checkpointOf(value: Record<string, unknown>): ScanCheckpoint {
  const hex = (v: unknown) => (typeof v === 'string' && hexPattern.test(v) ? Buffer.from(v, 'hex') : Buffer.alloc(0));
  return {
    id: String(value.id), treeSize: Number(value.treeSize), rootHash: hex(value.rootHash), chainHash: hex(value.chainHash), createdAt: Number(value.createdAt),
    algorithm: String(value.algorithm), keyId: String(value.keyId), signature: Buffer.from(String(value.signature), 'base64'),
  };
}

export function headerOf(line: Buffer): Header | undefined {
  try {
    const value = JSON.parse(line.toString('utf8')) as Record<string, unknown>;
    if (value.kind !== 'header' || value.format !== exportFormat || typeof value.publicKey !== 'string') return undefined;
    const chain = String(value.headChain);
    return { treeSize: Number(value.treeSize), headChain: hexPattern.test(chain) ? Buffer.from(chain, 'hex') : Buffer.alloc(0), publicKey: value.publicKey };
  } catch {
    return undefined;
  }
}

/** What precedes the entries, and where they start. */
export interface Plan {
  readonly path: string;
  readonly header: Header;
  readonly checkpoints: readonly ScanCheckpoint[];
  readonly entriesStart: number;
  readonly fileBytes: number;
  readonly warnings: readonly string[];
}

/** Calls `onLine` for each leading line until it returns false; gives the offset of that line. */
function leadingLines(fd: number, onLine: (line: Buffer) => boolean): number {
  const block = Buffer.alloc(1024 * 1024);
  let offset = 0;
  for (;;) {
    const read = readSync(fd, block, 0, block.length, offset);
    let s = 0;
    for (let nl = block.indexOf(10); nl !== -1 && nl < read; nl = block.indexOf(10, s)) {
      if (!onLine(block.subarray(s, nl))) return offset + s;
      s = nl + 1;
    }
    if (read < block.length) return offset + s;
    if (s === 0) throw new Error('a leading line is longer than a megabyte');
    offset += s;
  }
}

/**
 * The header, checkpoints (with every signature checked) and the entries' offset, or undefined when
 * anything there is not as intact (the exact scanner then reports it).
 */
export function planOf(path: string, publicKeyPem: string | undefined): Plan | undefined {
  let header: Header | undefined;
  const checkpoints: ScanCheckpoint[] = [];
  const fd = openSync(path, 'r');
  let entriesStart: number;
  try {
    entriesStart = leadingLines(fd, (line) => {
      if (header === undefined) return (header = headerOf(line)) !== undefined;
      // {"k…: a checkpoint line (entries start with {"seq")
      if (line[0] !== 123 || line[1] !== 34 || line[2] !== 107) return false;
      checkpoints.push(checkpointOf(JSON.parse(line.toString('utf8')) as Record<string, unknown>));
      return true;
    });
    if (header === undefined) return undefined;
    const plan = { path, header, checkpoints, entriesStart, fileBytes: fstatSync(fd).size, warnings: [] as string[] };
    return signedCheckpoints(plan, publicKeyPem) ? plan : undefined;
  } finally {
    closeSync(fd);
  }
}

function signedCheckpoints(plan: Plan & { warnings: string[] }, publicKeyPem: string | undefined): boolean {
  const key = checkpointVerifier(publicKeyPem ?? plan.header.publicKey);
  if (publicKeyPem !== undefined && plan.header.publicKey.trim() !== publicKeyPem.trim()) {
    plan.warnings.push('the export carries a different public key from the trusted one; the trusted key was used');
  }
  for (const c of plan.checkpoints) {
    if (!Number.isSafeInteger(c.treeSize) || c.treeSize < 0 || c.treeSize > plan.header.treeSize) return false;
    if (c.rootHash.length !== hashBytes || c.chainHash.length !== hashBytes) return false;
    if (c.keyId !== key.keyId || !key.verify(c.algorithm, checkpointNote(c), c.signature)) return false;
  }
  if (plan.checkpoints.length === 0) plan.warnings.push('no signed checkpoint: only internal consistency was checked');
  return Number.isSafeInteger(plan.header.treeSize) && plan.header.treeSize >= 0;
}

/** Tree sizes whose partial-block root and chain the ranges must report. */
function sizesOf(plan: Plan): number[] {
  return [...new Set([plan.header.treeSize, ...plan.checkpoints.map((c) => c.treeSize)])].filter((s) => s > 0);
}

/** The whole entry region as one range. */
export function singleRange(plan: Plan): RangeRequest[] {
  return [{ path: plan.path, start: plan.entriesStart, end: plan.fileBytes, firstSeq: 1, startChain: chainGenesis, sizes: sizesOf(plan) }];
}

const seqPrefix = Buffer.from('{"seq":');
const chainTag = Buffer.from('","chain":"');

/** The seq and stored chain of an entry line, read by position; undefined when it is not that shape. */
function seqAndChain(line: Buffer): { seq: number; chain: Buffer } | undefined {
  if (line.length < seqPrefix.length || line.compare(seqPrefix, 0, seqPrefix.length, 0, seqPrefix.length) !== 0) return undefined;
  const comma = line.indexOf(44, seqPrefix.length);
  const seqText = line.toString('latin1', seqPrefix.length, comma);
  const chainAt = comma + 9 + 64 + chainTag.length;
  if (comma < 0 || chainAt + 64 > line.length || !/^[1-9][0-9]{0,15}$/.test(seqText) || line.compare(chainTag, 0, chainTag.length, chainAt - chainTag.length, chainAt) !== 0) return undefined;
  const chainHex = line.toString('latin1', chainAt, chainAt + 64);
  return hexPattern.test(chainHex) ? { seq: Number(seqText), chain: Buffer.from(chainHex, 'hex') } : undefined;
}

/** Window read around the middle to find a block boundary: 256 lines of up to 8 KiB, and some. */
const splitWindowBytes = blockLeaves * 8 * 1024 + lineBytesMax;

/**
 * Two ranges split at the first block boundary (a line with seq ≡ 1 mod 256) after the middle
 * byte, with the stored chain of the line before it as the second range's starting chain; one range
 * when no boundary is found near the middle (the scan then finds out what is wrong, if anything).
 */
export function splitRanges(plan: Plan): RangeRequest[] {
  const [whole] = singleRange(plan);
  if (whole === undefined) return [];
  const middle = plan.entriesStart + Math.floor((plan.fileBytes - plan.entriesStart) / 2);
  const window = Buffer.alloc(splitWindowBytes);
  const fd = openSync(plan.path, 'r');
  let read: number;
  try {
    read = readSync(fd, window, 0, window.length, middle);
  } finally {
    closeSync(fd);
  }
  let previous: { seq: number; chain: Buffer } | undefined;
  let s = window.indexOf(10) + 1;
  for (let nl = window.indexOf(10, s); s > 0 && nl !== -1 && nl < read; nl = window.indexOf(10, s)) {
    const line = seqAndChain(window.subarray(s, nl));
    if (line === undefined) return [whole];
    if (previous !== undefined && (line.seq - 1) % blockLeaves === 0 && line.seq === previous.seq + 1) {
      const at = middle + s;
      return [{ ...whole, end: at }, { ...whole, start: at, firstSeq: line.seq, startChain: previous.chain }];
    }
    previous = line;
    s = nl + 1;
  }
  return [whole];
}

/** Hashes of the complete subtrees over the block roots, by level (level 0: the blocks). */
function blockTree(roots: Buffer): Buffer[][] {
  const levels: Buffer[][] = [Array.from({ length: roots.length / hashBytes }, (_, i) => roots.subarray(i * hashBytes, (i + 1) * hashBytes))];
  for (let below = levels[0] as Buffer[]; below.length >= 2;) {
    const level: Buffer[] = [];
    for (let i = 0; i + 1 < below.length; i += 2) level.push(nodeHash(below[i] as Buffer, below[i + 1] as Buffer));
    levels.push(level);
    below = level;
  }
  return levels;
}

/** MTH of the first `size` leaves: the complete block subtrees (largest first) folded with the tail. */
function rootAt(levels: readonly Buffer[][], size: number, tail: Uint8Array | null): Buffer {
  const blocks = Math.floor(size / blockLeaves);
  const parts: Buffer[] = [];
  let at = 0;
  for (let level = levels.length - 1; level >= 0; level--) {
    if (Math.floor(blocks / 2 ** level) % 2 === 0) continue;
    parts.push((levels[level] as Buffer[])[at / 2 ** level] as Buffer);
    at += 2 ** level;
  }
  if (tail !== null) parts.push(Buffer.from(tail));
  return parts.length === 0 ? emptyRoot : foldSubtrees(parts);
}

export interface CleanVerification {
  readonly entries: number;
  readonly rootHash: string;
}

/**
 * Joins the ranges' scans: every range clean, each starting where the previous one ended (seq and
 * chain), the header's size and chain matching, and every checkpoint's root and chain matching.
 * Undefined otherwise: the caller then runs the exact scanner to name the place.
 */
export function joinRanges(plan: Plan, ranges: readonly { request: RangeRequest; scan: RangeScan }[]): CleanVerification | undefined {
  let seq = 0;
  let chain: Uint8Array = chainGenesis;
  const states = new Map<number, { tail: Uint8Array | null; chain: Uint8Array }>();
  for (const { request, scan } of ranges) {
    if (!scan.clean || request.firstSeq !== seq + 1 || !Buffer.from(chain).equals(request.startChain)) return undefined;
    seq = scan.lastSeq;
    chain = scan.lastChain;
    for (const state of scan.states) states.set(state.size, state);
  }
  if (seq !== plan.header.treeSize || !plan.header.headChain.equals(chain)) return undefined;
  const levels = blockTree(Buffer.concat(ranges.map((r) => r.scan.blockRoots)));
  for (const c of plan.checkpoints) {
    const state = c.treeSize === 0 ? { tail: null, chain: chainGenesis } : states.get(c.treeSize);
    if (state === undefined || !c.chainHash.equals(state.chain) || !c.rootHash.equals(rootAt(levels, c.treeSize, state.tail))) return undefined;
  }
  const last = seq === 0 ? { tail: null } : states.get(seq);
  if (last === undefined) return undefined;
  return { entries: seq, rootHash: rootAt(levels, seq, last.tail).toString('hex') };
}
