// Rewrap and retirement. Rewrap walks every registered protected column (key_usages) in small batches
// by row id and re-seals (or re-indexes) each value older than the active version; each batch is one
// short transaction and a row changed meanwhile is left to its writer, so the service keeps running.
// A version is retired (its key destroyed) only when no registered column references it any more and
// it has been superseded for longer than any process may still be writing with it.
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Queryable, Row } from '../store/index.ts';
import { blindIndexPrefix, envelopeHeader, fieldContext } from './envelope.ts';
import { isKeyPurpose, keyPurposes, type KeyPurpose, type Keyring } from './keyring.ts';
import { selectKeyUsages, type KeyUsage, type KeyVersionRow } from './keyring-store.ts';
import { isNormaliserName, normalise } from './normalisers.ts';

const identifierPattern = /^[a-z_][a-z0-9_]{0,62}$/;
export const rewrapBatchSizeDefault = 200;
/** Longer than a process's cached active version (5 s) plus its longest write transaction. */
export const retireGraceMsDefault = 10 * 60_000;

export interface ColumnRewrap {
  readonly table: string;
  readonly column: string;
  readonly purpose: string;
  readonly targetVersion: number;
  rewrapped: number;
  /** Rows changed by their writer between read and update: already written at a current version. */
  skipped: number;
  /** Values that did not open (tampered, or a missing key): left as they are, and counted. */
  failed: number;
}

export interface RetireOutcome {
  readonly purpose: string;
  readonly version: number;
  readonly outcome: 'retired' | 'referenced' | 'grace';
  readonly references: number;
}

function checkedUsage(usage: KeyUsage): KeyUsage & { purpose: KeyPurpose } {
  for (const name of [usage.table, usage.column, usage.idColumn, usage.sourceColumn ?? 'x']) {
    if (!identifierPattern.test(name)) throw new Error(`key_usages holds a malformed identifier for ${usage.table}.${usage.column}`);
  }
  if (!isKeyPurpose(usage.purpose)) throw new Error(`key_usages names an unknown purpose for ${usage.table}.${usage.column}`);
  return usage as KeyUsage & { purpose: KeyPurpose };
}

/** The smallest stored value of `version` in a column of this usage's kind. */
function versionBound(usage: KeyUsage & { purpose: KeyPurpose }, version: number): Buffer {
  return usage.kind === 'sealed' ? envelopeHeader(usage.purpose, version) : blindIndexPrefix(version);
}

/**
 * A value written before its column was sealed: the 0x00 marker byte and the plaintext (webhook
 * secrets were stored this way). Envelopes start with 0xA7, so `column < 0x01` finds these.
 */
export const plaintextMarker = 0x00;

function isMarkedPlaintext(value: Uint8Array): boolean {
  return value.length > 0 && value[0] === plaintextMarker;
}

/** Seals every marked-plaintext value in the registered sealed columns of `purposes`; run at start. */
export async function sealMarkedPlaintext(keyring: Keyring, purposes: readonly KeyPurpose[]): Promise<number> {
  const sealed = new Map<KeyPurpose, number>();
  for (const usage of (await selectKeyUsages(keyring.store)).map(checkedUsage)) {
    if (usage.kind !== 'sealed' || !purposes.includes(usage.purpose)) continue;
    const rows = await keyring.store.all(`SELECT ${usage.idColumn} AS id, ${usage.column} AS value FROM ${usage.table} WHERE ${usage.column} < ?`, [Buffer.from([plaintextMarker + 1])]);
    for (const row of rows) {
      const value = Buffer.from(row.value as Uint8Array);
      if (!isMarkedPlaintext(value)) continue;
      const next = await keyring.seal(usage.purpose, value.subarray(1), fieldContext(usage.table, usage.column, String(row.id)));
      // `AND column = old`: a row its writer changed meanwhile is already sealed.
      const changed = await keyring.store.run(`UPDATE ${usage.table} SET ${usage.column} = ? WHERE ${usage.idColumn} = ? AND ${usage.column} = ?`, [next, String(row.id), value]);
      sealed.set(usage.purpose, (sealed.get(usage.purpose) ?? 0) + changed);
    }
  }
  for (const [purpose, count] of sealed) {
    if (count === 0) continue;
    const version = await keyring.activeVersion(purpose);
    await keyring.store.transaction((tx) => keyring.recordEvent(tx, { operation: 'rewrapped', purpose, version, detail: `sealed ${count} plaintext values` }));
  }
  return [...sealed.values()].reduce((a, b) => a + b, 0);
}

async function olderRows(q: Queryable, usage: KeyUsage, bound: Buffer, afterId: string | undefined, limit: number): Promise<Row[]> {
  const source = usage.kind === 'blind-index' ? `, ${usage.sourceColumn} AS source` : '';
  const after = afterId === undefined ? '' : ` AND ${usage.idColumn} > ?`;
  const params = afterId === undefined ? [bound, limit] : [bound, afterId, limit];
  return q.all(`SELECT ${usage.idColumn} AS id, ${usage.column} AS value${source} FROM ${usage.table} WHERE ${usage.column} < ?${after} ORDER BY ${usage.idColumn} LIMIT ?`, params);
}

async function newValueOf(keyring: Keyring, usage: KeyUsage & { purpose: KeyPurpose }, sourcePurpose: KeyPurpose | undefined, row: Row): Promise<Buffer | undefined> {
  const id = String(row.id);
  if (usage.kind === 'sealed') {
    const context = fieldContext(usage.table, usage.column, id);
    const value = row.value as Buffer;
    const plaintext = isMarkedPlaintext(value) ? Buffer.from(value.subarray(1)) : await keyring.open(usage.purpose, value, context);
    return keyring.seal(usage.purpose, plaintext, context);
  }
  if (row.source === null || row.source === undefined || sourcePurpose === undefined || !isNormaliserName(usage.normaliser ?? '')) return undefined;
  const plaintext = await keyring.open(sourcePurpose, row.source as Buffer, fieldContext(usage.table, usage.sourceColumn ?? '', id));
  return keyring.blindIndex(usage.purpose, Buffer.from(normalise(usage.normaliser as Parameters<typeof normalise>[0], plaintext.toString('utf8')), 'utf8'));
}

async function rewrapColumn(keyring: Keyring, usage: KeyUsage & { purpose: KeyPurpose }, usages: readonly KeyUsage[], batchSize: number): Promise<ColumnRewrap> {
  const targetVersion = await keyring.activeVersion(usage.purpose, { fresh: true });
  const result: ColumnRewrap = { table: usage.table, column: usage.column, purpose: usage.purpose, targetVersion, rewrapped: 0, skipped: 0, failed: 0 };
  const source = usages.find((u) => u.table === usage.table && u.column === usage.sourceColumn);
  const sourcePurpose = source !== undefined && isKeyPurpose(source.purpose) ? source.purpose : undefined;
  const bound = versionBound(usage, targetVersion);
  let afterId: string | undefined;
  for (;;) {
    const rows = await olderRows(keyring.store, usage, bound, afterId, batchSize);
    if (rows.length === 0) return result;
    const updates: Array<[Buffer, string, Buffer]> = [];
    for (const row of rows) {
      try {
        const next = await newValueOf(keyring, usage, sourcePurpose, row);
        if (next === undefined) result.failed += 1;
        else updates.push([next, String(row.id), row.value as Buffer]);
      } catch {
        result.failed += 1;
      }
    }
    const changed = await keyring.store.transaction(async (tx) => {
      let n = 0;
      // `AND column = old` leaves a row its writer changed meanwhile alone: no lost update.
      for (const [next, id, old] of updates) n += await tx.run(`UPDATE ${usage.table} SET ${usage.column} = ? WHERE ${usage.idColumn} = ? AND ${usage.column} = ?`, [next, id, old]);
      return n;
    });
    result.rewrapped += changed;
    result.skipped += updates.length - changed;
    afterId = String(rows.at(-1)?.id);
    await yieldToEventLoop();
  }
}

/** Re-seals every registered column to the newest versions; records one key event per purpose touched. */
export async function rewrap(keyring: Keyring, options: { batchSize?: number; purposes?: readonly KeyPurpose[] } = {}): Promise<ColumnRewrap[]> {
  const usages = await selectKeyUsages(keyring.store);
  const results: ColumnRewrap[] = [];
  for (const usage of usages.map(checkedUsage)) {
    if (options.purposes !== undefined && !options.purposes.includes(usage.purpose)) continue;
    results.push(await rewrapColumn(keyring, usage, usages, options.batchSize ?? rewrapBatchSizeDefault));
  }
  const purposes = new Set(results.filter((r) => r.rewrapped + r.failed > 0).map((r) => r.purpose));
  for (const purpose of purposes) {
    const mine = results.filter((r) => r.purpose === purpose);
    const detail = `rewrapped ${sum(mine, 'rewrapped')}, failed ${sum(mine, 'failed')} in ${mine.map((r) => `${r.table}.${r.column}`).join(', ')}`;
    await keyring.store.transaction((tx) => keyring.recordEvent(tx, { operation: 'rewrapped', purpose, version: mine[0]?.targetVersion, detail }));
  }
  return results;
}

function sum(rows: readonly ColumnRewrap[], field: 'rewrapped' | 'failed'): number {
  return rows.reduce((total, row) => total + row[field], 0);
}

/** How many stored values across all registered columns were sealed or indexed under `version`. */
export async function countReferences(q: Queryable, purpose: KeyPurpose, version: number): Promise<number> {
  let total = 0;
  for (const usage of (await selectKeyUsages(q, purpose)).map(checkedUsage)) {
    const row = await q.get<{ n: unknown }>(
      `SELECT COUNT(*) AS n FROM ${usage.table} WHERE ${usage.column} >= ? AND ${usage.column} < ?`,
      [versionBound(usage, version), versionBound(usage, version + 1)],
    );
    total += Number(row?.n ?? 0);
  }
  return total;
}

/** Retires each superseded version past its grace period that nothing references; reports the rest. */
export async function retireUnused(keyring: Keyring, options: { graceMs?: number } = {}): Promise<RetireOutcome[]> {
  const graceMs = options.graceMs ?? retireGraceMsDefault;
  const outcomes: RetireOutcome[] = [];
  for (const row of await keyring.versions()) {
    if (row.state !== 'decrypt_only' || !isKeyPurpose(row.purpose)) continue;
    outcomes.push(await retireOne(keyring, row, row.purpose, graceMs));
  }
  return outcomes;
}

async function retireOne(keyring: Keyring, row: KeyVersionRow, purpose: KeyPurpose, graceMs: number): Promise<RetireOutcome> {
  const base = { purpose, version: row.version };
  if (keyring.now() - (row.supersededAt ?? 0) < graceMs) return { ...base, outcome: 'grace', references: await countReferences(keyring.store, purpose, row.version) };
  return keyring.store.transaction(async (tx) => {
    // Counted again inside the transaction that retires, so the count and the retirement agree.
    const references = keyPurposes[purpose] === 'sign' ? 0 : await countReferences(tx, purpose, row.version);
    if (references > 0) return { ...base, outcome: 'referenced' as const, references };
    const retired = await keyring.retireVersion(tx, purpose, row.version, 'no stored value references this version');
    return { ...base, outcome: retired ? ('retired' as const) : ('referenced' as const), references };
  });
}
