/* eslint-disable security/detect-non-literal-fs-filename -- the export path is the operator's own command-line argument */
// The offline verifier: only the export file and a trusted public key. An intact export is checked
// by the fast pass (export-scan.ts, joined in export-join.ts), over two threads for a big file; the
// first anomaly of any kind sends it to the exact scan below, which reads the file again in order
// and names the first entry altered, removed or reordered and the checkpoints that fail.
import { closeSync, openSync, readSync } from 'node:fs';
import { hash } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { checkpointVerifier } from './audit-signer.ts';
import { joinRanges, checkpointOf, headerOf, hexPattern, planOf, singleRange, splitRanges, type Header, type Plan } from './export-join.ts';
import { scanEntryRange, type RangeRequest, type RangeScan } from './export-scan.ts';
import { LogScanner, type AuditVerification, type ScanCheckpoint } from './log-scanner.ts';
import { leafHashOfText } from './merkle.ts';

const blockBytes = 16 * 1024 * 1024;
const lineBytesMax = 64 * 1024;
const entryPrefix = Buffer.from('{"seq":');
const leafTag = Buffer.from(',"leaf":"');
const chainTag = Buffer.from('","chain":"');
const entryTag = Buffer.from('","entry":');

export interface ExportVerification extends AuditVerification {
  /** Whether the key came from the caller (trusted) or only from inside the file (integrity only). */
  readonly keySource: 'trusted' | 'export-file';
}

/** Calls `onLine` for every line of the file (without its newline), reading in big blocks. */
function eachLine(path: string, onLine: (line: Buffer, number: number) => void): void {
  const fd = openSync(path, 'r');
  try {
    let carry = Buffer.alloc(0);
    let number = 0;
    const block = Buffer.alloc(blockBytes);
    for (;;) {
      const read = readSync(fd, block, 0, blockBytes, null);
      const data = carry.length === 0 ? block.subarray(0, read) : Buffer.concat([carry, block.subarray(0, read)]);
      let start = 0;
      for (let nl = data.indexOf(10, start); nl !== -1; nl = data.indexOf(10, start)) {
        onLine(data.subarray(start, nl), ++number);
        start = nl + 1;
      }
      carry = Buffer.from(data.subarray(start));
      if (carry.length > lineBytesMax) throw new Error(`line ${number + 1} is longer than ${lineBytesMax} bytes`);
      if (read === 0) break;
    }
    if (carry.length > 0) onLine(carry, ++number);
  } finally {
    closeSync(fd);
  }
}


interface ParsedEntry {
  readonly seq: number;
  readonly leaf: Buffer;
  readonly chain: Buffer;
  readonly entry: Buffer;
}

/** Splits an entry line by position; undefined when it is not in the exported shape. */
function parseEntryLine(line: Buffer): ParsedEntry | undefined {
  // (A line shorter than the prefix, an empty one above all, made compare() throw a RangeError.)
  if (line.length < entryPrefix.length || line.compare(entryPrefix, 0, entryPrefix.length, 0, entryPrefix.length) !== 0) return undefined;
  const comma = line.indexOf(44, entryPrefix.length);
  const seqText = line.toString('latin1', entryPrefix.length, comma);
  if (comma < 0 || !/^[1-9][0-9]{0,15}$/.test(seqText)) return undefined;
  const leafAt = comma + leafTag.length;
  const chainAt = leafAt + 64 + chainTag.length;
  const entryAt = chainAt + 64 + entryTag.length;
  if (line.length < entryAt + 2) return undefined;
  if (line.compare(leafTag, 0, leafTag.length, comma, leafAt) !== 0 || line.compare(chainTag, 0, chainTag.length, leafAt + 64, chainAt) !== 0) return undefined;
  if (line.compare(entryTag, 0, entryTag.length, chainAt + 64, entryAt) !== 0 || line[line.length - 1] !== 125) return undefined;
  const leafHex = line.toString('latin1', leafAt, leafAt + 64);
  const chainHex = line.toString('latin1', chainAt, chainAt + 64);
  if (!hexPattern.test(leafHex) || !hexPattern.test(chainHex)) return undefined;
  return { seq: Number(seqText), leaf: Buffer.from(leafHex, 'hex'), chain: Buffer.from(chainHex, 'hex'), entry: line.subarray(entryAt, line.length - 1) };
}

/** Leaf hashing straight from the line's bytes: SHA-256(0x00 || entry bytes) through one scratch buffer. */
function leafHasher(): (entry: Buffer) => Buffer {
  let scratch = Buffer.alloc(4096);
  return (entry) => {
    if (entry.length + 1 > scratch.length) scratch = Buffer.alloc(2 * (entry.length + 1));
    scratch[0] = 0;
    entry.copy(scratch, 1);
    return hash('sha256', scratch.subarray(0, entry.length + 1), 'buffer');
  };
}

const withSeq = (entry: Buffer, seq: number) => leafHashOfText(entry.toString('utf8').replace(/^\{"v":1,"seq":[0-9]+,/, `{"v":1,"seq":${seq},`));

/** The exact scan: every line in order through the shared LogScanner (the fast pass's fallback, and its reference in tests). */
export function verifyAuditExportExactly(path: string, options: { publicKeyPem?: string } = {}): ExportVerification {
  let header: Header | undefined;
  const checkpoints: ScanCheckpoint[] = [];
  let scanner: LogScanner | undefined;
  let headerProblem: string | undefined;
  const leafOf = leafHasher();
  const startScan = () => {
    const key = checkpointVerifier(options.publicKeyPem ?? header?.publicKey ?? '');
    scanner = new LogScanner(checkpoints, key);
    if (options.publicKeyPem !== undefined && header !== undefined && header.publicKey.trim() !== options.publicKeyPem.trim()) {
      scanner.warnings.push('the export carries a different public key from the trusted one; the trusted key was used');
    }
    return scanner;
  };
  eachLine(path, (line, number) => {
    if (number === 1) {
      header = headerOf(line);
      if (header === undefined) headerProblem = 'line 1 is not an anfu audit export header';
      return;
    }
    if (scanner === undefined && line[0] === 123 && line[1] === 34 && line[2] === 107) {
      // {"k…: a checkpoint line (entries start with {"seq")
      checkpoints.push(checkpointOf(JSON.parse(line.toString('utf8')) as Record<string, unknown>));
      return;
    }
    const s = scanner ?? startScan();
    const parsed = parseEntryLine(line);
    if (parsed === undefined) {
      s.malformed(`line ${number} is not an entry line in the exported shape`);
      return;
    }
    const inner = `{"v":1,"seq":${parsed.seq},`;
    const leaf = leafOf(parsed.entry);
    if (parsed.entry.toString('latin1', 0, inner.length) !== inner) s.malformed(`line ${number}: the entry text does not carry seq ${parsed.seq}`, parsed.seq);
    s.entry(parsed.seq, leaf, parsed.leaf, parsed.chain, (seq) => withSeq(parsed.entry, seq));
  });
  const s = scanner ?? startScan();
  if (headerProblem !== undefined) s.malformed(headerProblem);
  const result = s.finish(header === undefined ? undefined : { size: header.treeSize, chain: header.headChain });
  return { ...result, keySource: options.publicKeyPem === undefined ? 'export-file' : 'trusted' };
}

export interface ExportVerifyOptions {
  /** The key the verifier trusts (obtained out of band); without it the key inside the file is used. */
  readonly publicKeyPem?: string;
}

/** The fast pass's answer over `ranges`, or undefined when the export is not intact (or unreadable). */
function cleanResult(plan: Plan, ranges: readonly { request: RangeRequest; scan: RangeScan }[], options: ExportVerifyOptions): ExportVerification | undefined {
  const clean = joinRanges(plan, ranges);
  if (clean === undefined) return undefined;
  return {
    ok: true, entries: clean.entries, checkpoints: plan.checkpoints.length, treeSize: clean.entries, rootHash: clean.rootHash,
    firstProblem: null, failedCheckpoint: null, checkpointsFailed: 0, warnings: [...plan.warnings], keySource: options.publicKeyPem === undefined ? 'export-file' : 'trusted',
  };
}

function planOrUndefined(path: string, options: ExportVerifyOptions): Plan | undefined {
  try {
    return planOf(path, options.publicKeyPem);
  } catch {
    // Unreadable or malformed: the exact scan reports it (or throws) exactly as it always has.
    return undefined;
  }
}

/**
 * Verifies an export offline, on this thread. `publicKeyPem` is the key the verifier trusts
 * (obtained out of band); without it the key inside the file is used, which proves integrity but not
 * who signed.
 */
export function verifyAuditExport(path: string, options: ExportVerifyOptions = {}): ExportVerification {
  const plan = planOrUndefined(path, options);
  const fast = plan === undefined ? undefined : cleanResult(plan, singleRange(plan).map((request) => ({ request, scan: scanEntryRange(request) })), options);
  return fast ?? verifyAuditExportExactly(path, options);
}

/** Below this many bytes of entries a second thread costs more than it saves. */
const parallelBytesMin = 32 * 1024 * 1024;
const workerModule = new URL('./export-scan-worker.ts', import.meta.url).href;
// The worker is started without the parent's flags and registers tsx itself, so it loads the
// TypeScript module the same way whether the parent came from bin/anfu.js or `node --import tsx`.
const workerBootstrap = `const { workerData } = require('node:worker_threads');
import(workerData.loader).then((tsx) => { tsx.register(); return import(workerData.module); });`;

function scanInWorker(request: RangeRequest): Promise<RangeScan> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(workerBootstrap, { eval: true, execArgv: [], workerData: { loader: import.meta.resolve('tsx/esm/api'), module: workerModule, request } });
    worker.once('message', (scan: RangeScan) => resolve(scan));
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`verify worker exited with ${code} before answering`)));
  });
}

/**
 * Verifies an export offline like verifyAuditExport, checking the two halves of a big export at once
 * (this thread and one worker: the machine this was sized for has two cores). The answer is the same;
 * a worker that fails to start only costs the speed-up.
 */
export async function verifyAuditExportParallel(path: string, options: ExportVerifyOptions & { parallelBytesMin?: number } = {}): Promise<ExportVerification> {
  const plan = planOrUndefined(path, options);
  if (plan === undefined) return verifyAuditExportExactly(path, options);
  const requests = plan.fileBytes - plan.entriesStart >= (options.parallelBytesMin ?? parallelBytesMin) ? splitRanges(plan) : singleRange(plan);
  const [first, ...rest] = requests;
  if (first === undefined) return verifyAuditExportExactly(path, options);
  const others = rest.map((request) => scanInWorker(request).catch(() => scanEntryRange(request)));
  const scans = [scanEntryRange(first), ...(await Promise.all(others))];
  return cleanResult(plan, requests.map((request, i) => ({ request, scan: scans[i] as RangeScan })), options) ?? verifyAuditExportExactly(path, options);
}
