/* eslint-disable security/detect-non-literal-fs-filename -- the export path is the operator's own command-line argument */
// The offline verifier: only the export file and a trusted public key. Reads the file in large
// blocks and works on bytes (no per-line string decoding or JSON parsing for entries), because it has
// to keep up with a million entries in about two seconds.
import { closeSync, openSync, readSync } from 'node:fs';
import { hash } from 'node:crypto';
import { checkpointVerifier } from './audit-signer.ts';
import { exportFormat } from './export-audit.ts';
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

const hexPattern = /^[0-9a-f]{64}$/;

interface ParsedEntry {
  readonly seq: number;
  readonly leaf: Buffer;
  readonly chain: Buffer;
  readonly entry: Buffer;
}

/** Splits an entry line by position; undefined when it is not in the exported shape. */
function parseEntryLine(line: Buffer): ParsedEntry | undefined {
  if (line.compare(entryPrefix, 0, entryPrefix.length, 0, entryPrefix.length) !== 0) return undefined;
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

function checkpointOf(value: Record<string, unknown>): ScanCheckpoint {
  const hex = (v: unknown) => (typeof v === 'string' && hexPattern.test(v) ? Buffer.from(v, 'hex') : Buffer.alloc(0));
  return {
    id: String(value.id), treeSize: Number(value.treeSize), rootHash: hex(value.rootHash), chainHash: hex(value.chainHash), createdAt: Number(value.createdAt),
    algorithm: String(value.algorithm), keyId: String(value.keyId), signature: Buffer.from(String(value.signature), 'base64'),
  };
}

interface Header {
  readonly treeSize: number;
  readonly headChain: Buffer;
  readonly publicKey: string;
}

function headerOf(line: Buffer): Header | undefined {
  try {
    const value = JSON.parse(line.toString('utf8')) as Record<string, unknown>;
    if (value.kind !== 'header' || value.format !== exportFormat || typeof value.publicKey !== 'string') return undefined;
    const chain = String(value.headChain);
    return { treeSize: Number(value.treeSize), headChain: hexPattern.test(chain) ? Buffer.from(chain, 'hex') : Buffer.alloc(0), publicKey: value.publicKey };
  } catch {
    return undefined;
  }
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

/**
 * Verifies an export offline. `publicKeyPem` is the key the verifier trusts (obtained out of band);
 * without it the key inside the file is used, which proves integrity but not who signed.
 */
export function verifyAuditExport(path: string, options: { publicKeyPem?: string } = {}): ExportVerification {
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
