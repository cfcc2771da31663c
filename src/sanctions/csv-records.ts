// A streamed CSV reader for OFAC's legacy files: RFC 4180 quoting, CRLF or LF, the DOS end-of-file
// mark (0x1A) OFAC appends, and `-0-` for an empty field. It reads chunk by chunk (the full SDN file is
// never one string) and refuses what a truncated or corrupted file looks like: a row with the wrong
// number of fields, a quote never closed, bytes that are not UTF-8, text after the end mark.
/* eslint-disable security/detect-non-literal-fs-filename -- list files are named by the operator who loads them */
import { createReadStream } from 'node:fs';
import { ListFormatError } from './list-entry.ts';

export interface CsvRecord {
  readonly line: number;
  readonly fields: readonly string[];
}

interface Cursor {
  field: string;
  fields: string[];
  quoted: boolean;
  inQuotes: boolean;
  quotePending: boolean;
  line: number;
  recordLine: number;
  ended: boolean;
}

const endMark = '\u001a';

function cell(raw: string, quoted: boolean): string {
  const value = quoted ? raw : raw.trim();
  return value.trim() === '-0-' ? '' : value.trim();
}

/** Feeds one decoded chunk; finished records are pushed to `out`. */
function feed(cursor: Cursor, chunk: string, file: string, out: CsvRecord[]): void {
  for (let i = 0; i < chunk.length; i += 1) {
    const c = chunk[i] as string;
    if (cursor.ended) {
      if (!/\s/u.test(c)) throw new ListFormatError(file, cursor.line, 'text after the end-of-file mark');
      continue;
    }
    if (cursor.inQuotes) {
      if (cursor.quotePending) {
        cursor.quotePending = false;
        if (c === '"') {
          cursor.field += '"';
          continue;
        }
        cursor.inQuotes = false;
      } else if (c === '"') {
        cursor.quotePending = true;
        continue;
      } else {
        if (c === '\n') cursor.line += 1;
        cursor.field += c;
        continue;
      }
    }
    structural(cursor, c, file, out);
  }
}

function structural(cursor: Cursor, c: string, file: string, out: CsvRecord[]): void {
  if (c === '"') {
    if (cursor.field.trim().length > 0)
      throw new ListFormatError(file, cursor.line, 'a quote inside an unquoted field');
    cursor.field = '';
    cursor.quoted = true;
    cursor.inQuotes = true;
  } else if (c === ',') {
    cursor.fields.push(cell(cursor.field, cursor.quoted));
    cursor.field = '';
    cursor.quoted = false;
  } else if (c === '\n' || c === endMark) {
    endRecord(cursor, out);
    if (c === '\n') cursor.line += 1;
    else cursor.ended = true;
    cursor.recordLine = cursor.line;
  } else if (c !== '\r') {
    if (cursor.quoted && c.trim().length > 0)
      throw new ListFormatError(file, cursor.line, 'text after a closing quote');
    cursor.field += c;
  }
}

function endRecord(cursor: Cursor, out: CsvRecord[]): void {
  const empty = cursor.fields.length === 0 && cursor.field.trim().length === 0 && !cursor.quoted;
  if (!empty) {
    cursor.fields.push(cell(cursor.field, cursor.quoted));
    out.push({ line: cursor.recordLine, fields: cursor.fields });
  }
  cursor.fields = [];
  cursor.field = '';
  cursor.quoted = false;
}

/**
 * The records of a CSV file, each checked to have `width` fields. Throws ListFormatError on the
 * first problem; the caller has built nothing it keeps by then.
 */
export async function* csvRecords(path: string, label: string, width: number): AsyncGenerator<CsvRecord> {
  const cursor: Cursor = {
    field: '',
    fields: [],
    quoted: false,
    inQuotes: false,
    quotePending: false,
    line: 1,
    recordLine: 1,
    ended: false,
  };
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const check = (records: CsvRecord[]) => {
    for (const record of records) {
      if (record.fields.length !== width) {
        const problem = `expected ${width} fields, found ${record.fields.length} (malformed or truncated)`;
        throw new ListFormatError(label, record.line, problem);
      }
    }
    return records;
  };
  for await (const chunk of createReadStream(path)) {
    const text = utf8(decoder, chunk as Buffer, label, cursor.line);
    const out: CsvRecord[] = [];
    feed(cursor, text, label, out);
    yield* check(out);
  }
  const rest = utf8(decoder, undefined, label, 0);
  if (rest.length > 0)
    throw new ListFormatError(label, cursor.line, 'the file ends inside a UTF-8 character (truncated)');
  if (cursor.inQuotes && !cursor.quotePending) {
    throw new ListFormatError(label, cursor.line, 'the file ends inside a quoted field (truncated)');
  }
  cursor.inQuotes = false;
  const out: CsvRecord[] = [];
  if (!cursor.ended) endRecord(cursor, out);
  yield* check(out);
}

/** Strict UTF-8: a byte sequence that is not UTF-8 is a corrupted file, not text to guess at. */
function utf8(
  decoder: InstanceType<typeof TextDecoder>,
  chunk: Buffer | undefined,
  file: string,
  line: number,
): string {
  try {
    return chunk === undefined ? decoder.decode() : decoder.decode(chunk, { stream: true });
  } catch {
    throw new ListFormatError(
      file,
      line,
      chunk === undefined ? 'the file ends inside a UTF-8 character (truncated)' : 'bytes that are not UTF-8 text',
    );
  }
}
