/* eslint-disable security/detect-non-literal-fs-filename -- the export path is the operator's own command-line argument */
// The fast pass of the offline verifier: checks one byte range of an export's entry lines on the
// assumption that the log is intact, with no string decoding, no JSON parsing and little allocation
// per entry beside the three hashes the format requires (leaf, chain, one Merkle node on average). It
// only answers "clean" or "not clean": the first anomaly of any kind stops it, and the caller then
// runs the exact scanner (log-scanner.ts) to name the place. Ranges start on a 256-leaf boundary
// so that two threads can each check half a file and the Merkle trees join at block roots.
import { closeSync, openSync, readSync } from 'node:fs';
import { hash } from 'node:crypto';

/** Leaves per block: a range returns the root of each complete block, and the partial tail at a size. */
export const blockLeaves = 256;
const readBytes = 4 * 1024 * 1024;
/** The exact verifier refuses longer lines; the fast pass gives up on them too. */
export const lineBytesMax = 64 * 1024;

export interface RangeRequest {
  readonly path: string;
  /** Byte offset of the range's first line and the end of the range (exclusive; lines start before it). */
  readonly start: number;
  readonly end: number;
  /** The seq the first line must carry (a multiple of blockLeaves, plus one). */
  readonly firstSeq: number;
  /** The stored chain hash of the entry before the first line (32 zero bytes before seq 1). */
  readonly startChain: Uint8Array;
  /** Tree sizes at which the partial block root and the chain are wanted (checkpoints, the header's size). */
  readonly sizes: readonly number[];
}

export interface SizeState {
  readonly size: number;
  /** MTH of the leaves from the last block boundary up to `size`; null at a boundary. */
  readonly tail: Uint8Array | null;
  readonly chain: Uint8Array;
}

export interface RangeScan {
  /** Every line in the range is an entry in the exported shape, in seq order, matching its leaf and chain. */
  readonly clean: boolean;
  /** Why not, for diagnostics only (the exact scanner produces the report). */
  readonly reason: string;
  readonly lastSeq: number;
  readonly lastChain: Uint8Array;
  /** Roots of the complete blocks, 32 bytes each, in order. */
  readonly blockRoots: Uint8Array;
  readonly states: readonly SizeState[];
}

const bytesOf = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text, 'latin1'));
const seqTag = bytesOf('{"seq":');
const leafTag = bytesOf(',"leaf":"');
const chainTag = bytesOf('","chain":"');
const entryTag = bytesOf('","entry":');
const innerTag = bytesOf('{"v":1,"seq":');
const hexDigits = bytesOf('0123456789abcdef');
/** Byte → its two lower-case hex digits as one 16-bit number (first digit high). */
const hexPairs = Uint16Array.from({ length: 256 }, (_, b) => ((hexDigits[b >> 4] as number) << 8) | (hexDigits[b & 15] as number));

function tagAt(d: Uint8Array, at: number, tag: Uint8Array): boolean {
  for (let i = 0; i < tag.length; i++) if (d[at + i] !== tag[i]) return false;
  return true;
}

/** Whether the 64 bytes at `at` are the lower-case hex of the 32-byte latin1 string `h` (no allocation). */
function hexEquals(d: Uint8Array, at: number, h: string): boolean {
  for (let i = 0; i < 32; i++) {
    const p = at + 2 * i;
    if ((((d[p] as number) << 8) | (d[p + 1] as number)) !== hexPairs[h.charCodeAt(i)]) return false;
  }
  return true;
}

function put(into: Uint8Array, at: number, h: string): void {
  for (let i = 0; i < 32; i++) into[at + i] = h.charCodeAt(i);
}

// Hashes are kept as 32-character latin1 strings: crypto.hash returning a string costs about a third
// of one returning a Buffer (no backing store per hash), and this pass does three per entry.
// ('binary' is Node's alias of latin1, the name the typings accept.)
const sha256 = (data: Uint8Array): string => hash('sha256', data, 'binary');

/** MerkleAccumulator over latin1 hash strings, for the leaves of one block. */
class BlockAccumulator {
  private readonly levels: number[] = [];
  private readonly hashes: string[] = [];
  private readonly node = Buffer.alloc(65);

  constructor() {
    this.node[0] = 1;
  }

  private nodeHash(left: string, right: string): string {
    put(this.node, 1, left);
    put(this.node, 33, right);
    return sha256(this.node);
  }

  push(leaf: string): void {
    let level = 0;
    let h = leaf;
    while (this.levels.length > 0 && this.levels[this.levels.length - 1] === level) {
      this.levels.pop();
      h = this.nodeHash(this.hashes.pop() as string, h);
      level++;
    }
    this.levels.push(level);
    this.hashes.push(h);
  }

  /** MTH of the leaves pushed since the last reset (RFC 9162: fold the subtrees right to left). */
  root(): Buffer {
    let acc = this.hashes.at(-1) as string;
    for (let i = this.hashes.length - 2; i >= 0; i--) acc = this.nodeHash(this.hashes[i] as string, acc);
    return Buffer.from(acc, 'latin1');
  }

  reset(): void {
    this.levels.length = 0;
    this.hashes.length = 0;
  }
}

/** Where a clean scan currently stands. */
class RangeState {
  seq: number;
  private readonly block = new BlockAccumulator();
  readonly blockRoots: Buffer[] = [];
  readonly states: SizeState[] = [];
  /** The previous chain hash (bytes 0–31) and the current leaf (32–63): the chain hash input. */
  private readonly chainInput = Buffer.alloc(64);
  private readonly wanted: Set<number>;

  constructor(request: RangeRequest) {
    this.seq = request.firstSeq - 1;
    this.chainInput.set(request.startChain, 0);
    this.wanted = new Set(request.sizes);
  }

  get chain(): Buffer {
    return Buffer.from(this.chainInput.subarray(0, 32));
  }

  /** Checks one entry line [s, e) of `d`; false on the first thing that is not as the writer made it. */
  line(d: Buffer, s: number, e: number): boolean {
    if (e - s > lineBytesMax || !tagAt(d, s, seqTag)) return false;
    const digitsAt = s + seqTag.length;
    let p = digitsAt;
    let seq = 0;
    for (let c = d[p] as number; c >= 48 && c <= 57 && p - digitsAt < 16; c = d[++p] as number) seq = seq * 10 + (c - 48);
    const digits = p - digitsAt;
    if (digits === 0 || d[digitsAt] === 48 || seq !== this.seq + 1 || !tagAt(d, p, leafTag)) return false;
    const leafAt = p + leafTag.length;
    const chainAt = leafAt + 64 + chainTag.length;
    const entryAt = chainAt + 64 + entryTag.length;
    if (e < entryAt + 2 || d[e - 1] !== 125 || !tagAt(d, leafAt + 64, chainTag) || !tagAt(d, chainAt + 64, entryTag)) return false;
    // The entry text must carry the line's seq: {"v":1,"seq":<same digits>,
    const innerDigitsAt = entryAt + innerTag.length;
    if (!tagAt(d, entryAt, innerTag) || d[innerDigitsAt + digits] !== 44) return false;
    for (let i = 0; i < digits; i++) if (d[innerDigitsAt + i] !== d[digitsAt + i]) return false;
    // Leaf = SHA-256(0x00 || entry bytes): borrow the byte before the entry (the ':') for the prefix
    // rather than copying the entry into a scratch buffer.
    const colon = d[entryAt - 1] as number;
    d[entryAt - 1] = 0;
    const leaf = sha256(d.subarray(entryAt - 1, e - 1));
    d[entryAt - 1] = colon;
    if (!hexEquals(d, leafAt, leaf)) return false;
    put(this.chainInput, 32, leaf);
    const chain = sha256(this.chainInput);
    if (!hexEquals(d, chainAt, chain)) return false;
    put(this.chainInput, 0, chain);
    this.advance(seq, leaf);
    return true;
  }

  private advance(seq: number, leaf: string): void {
    this.seq = seq;
    this.block.push(leaf);
    const atBoundary = seq % blockLeaves === 0;
    if (this.wanted.has(seq)) this.states.push({ size: seq, tail: atBoundary ? null : this.block.root(), chain: this.chain });
    if (atBoundary) {
      this.blockRoots.push(this.block.root());
      this.block.reset();
    }
  }
}

/** Checks the entry lines in [start, end) of the file; stops at the first anomaly. */
export function scanEntryRange(request: RangeRequest): RangeScan {
  const state = new RangeState(request);
  const fail = (reason: string): RangeScan => ({ clean: false, reason, lastSeq: state.seq, lastChain: state.chain, blockRoots: new Uint8Array(0), states: [] });
  if ((request.firstSeq - 1) % blockLeaves !== 0) return fail('a range must start on a block boundary');
  const fd = openSync(request.path, 'r');
  try {
    const buffer = Buffer.alloc(readBytes + lineBytesMax);
    let position = request.start;
    let carried = 0;
    while (position < request.end) {
      const read = readSync(fd, buffer, carried, Math.min(readBytes, request.end - position), position);
      if (read === 0) break;
      position += read;
      const filled = carried + read;
      const atEnd = position >= request.end;
      let s = 0;
      for (let nl = buffer.indexOf(10, s); nl !== -1 && nl < filled; nl = buffer.indexOf(10, s)) {
        if (!state.line(buffer, s, nl)) return fail(`the line for seq ${state.seq + 1} is not clean`);
        s = nl + 1;
      }
      if (atEnd && s < filled && !state.line(buffer, s, filled)) return fail(`the last line (seq ${state.seq + 1}) is not clean`);
      carried = atEnd ? 0 : filled - s;
      if (carried > lineBytesMax) return fail(`the line for seq ${state.seq + 1} is too long`);
      buffer.copyWithin(0, s, filled);
    }
  } finally {
    closeSync(fd);
  }
  return { clean: true, reason: '', lastSeq: state.seq, lastChain: state.chain, blockRoots: Buffer.concat(state.blockRoots), states: state.states };
}
