// Every file a bank sends is recorded once: by its identity (message or statement id, per partner and
// kind) and by its SHA-256, so a replayed or re-sent file is refused before anything is applied.
// Reading is streamed: the parser hands entries over as they close and the caller's async work runs
// between chunks, inside the one transaction that imports the file.
import { createHash, type Hash } from 'node:crypto';
import { newId } from '../ids.ts';
import type { Tx } from '../store/index.ts';
import { camtReader, isBankFileRefusal, type CamtEntry, type CamtHeader } from './camt.ts';
import { ClearingRefused, type ClearingCode } from './context.ts';

export type BankFileKind = 'pacs.002' | 'camt.054' | 'camt.053' | 'csv';

export async function registerBankFile(
  tx: Tx,
  input: { partnerId: string; kind: BankFileKind; identity: string; sha256: string; now: number },
): Promise<string> {
  const seen = await tx.get(
    'SELECT id FROM bank_files WHERE sha256 = ? OR (partner_id = ? AND kind = ? AND identity = ?)',
    [input.sha256, input.partnerId, input.kind, input.identity],
  );
  if (seen !== undefined)
    throw new ClearingRefused(
      'bank_file_replayed',
      `this ${input.kind} was imported already (same identity or same content)`,
    );
  const id = newId('bfl', input.now);
  await tx.run(
    'INSERT INTO bank_files (id, partner_id, kind, identity, sha256, entries, imported_at) VALUES (?, ?, ' +
      '?, ?, ?, 0, ?)',
    [id, input.partnerId, input.kind, input.identity, input.sha256, input.now],
  );
  return id;
}

/** A streamed file's hash is known at its end: a file with the same content imported before is a replay. */
export async function sealBankFile(tx: Tx, fileId: string, sha256: string, entries: number): Promise<void> {
  const seen = await tx.get('SELECT id FROM bank_files WHERE sha256 = ? AND id <> ?', [sha256, fileId]);
  if (seen !== undefined)
    throw new ClearingRefused('bank_file_replayed', 'a file with the same content was imported already');
  await tx.run('UPDATE bank_files SET entries = ?, sha256 = ? WHERE id = ?', [entries, sha256, fileId]);
}

/** Parser refusals as clearing refusals with their stable codes; anything else passes through. */
export function asRefusal(error: unknown): unknown {
  if (isBankFileRefusal(error)) return new ClearingRefused(error.code as ClearingCode, error.message);
  return error;
}

export type TextSource = string | AsyncIterable<string | Buffer>;

/** The file as text chunks (one UTF-8 decoder for the whole file), each byte hashed as it passes. */
export async function* textChunks(source: TextSource, hash: Hash): AsyncIterable<string> {
  if (typeof source === 'string') {
    hash.update(source, 'utf8');
    for (let i = 0; i < source.length; i += 1 << 16) yield source.slice(i, i + (1 << 16));
    return;
  }
  const decoder = new TextDecoder('utf-8', { fatal: true });
  for await (const chunk of source) {
    hash.update(chunk);
    yield typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
  }
  const rest = decoder.decode();
  if (rest !== '') yield rest;
}

export interface CamtConsumer {
  header(header: CamtHeader): Promise<void>;
  entry(header: CamtHeader, entry: CamtEntry): Promise<void>;
  end?(header: CamtHeader): Promise<void>;
}

/** Streams a camt file through the consumer (its awaits run between chunks, in order); returns the file's SHA-256. */
export async function streamCamt(source: TextSource, consumer: CamtConsumer): Promise<string> {
  const hash = createHash('sha256');
  const queue: Array<() => Promise<void>> = [];
  const reader = camtReader({
    header: (h) => void queue.push(() => consumer.header(h)),
    entry: (h, e) => void queue.push(() => consumer.entry(h, e)),
    end: (h) => void queue.push(async () => consumer.end?.(h)),
  });
  const drain = async (): Promise<void> => {
    while (queue.length > 0) await (queue.shift() as () => Promise<void>)();
  };
  try {
    for await (const chunk of textChunks(source, hash)) {
      reader.write(chunk);
      await drain();
    }
    reader.end();
    await drain();
    return hash.digest('hex');
  } catch (error) {
    if (error instanceof TypeError && /decode|encoded/i.test(error.message))
      throw new ClearingRefused('bank_file_malformed', 'the file is not UTF-8');
    throw asRefusal(error);
  }
}

/** Passes the bytes through and refuses the file past `bytesMax` (an upload is never buffered whole). */
export async function* boundedBytes(
  source: AsyncIterable<Buffer | string>, bytesMax: number,
): AsyncIterable<Buffer> {
  let seen = 0;
  for await (const chunk of source) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    seen += bytes.length;
    if (seen > bytesMax) throw new ClearingRefused('bank_file_too_large', `the file is larger than ${bytesMax} bytes`);
    yield bytes;
  }
}
