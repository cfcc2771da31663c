// CSV statements (banks that offer no camt): a header row, one booked line per row, read through a
// configurable column map (which column holds the date, the amount, the direction or a signed amount,
// the end-to-end id, the counterparty). Streamed line by line; amounts exact, as in camt.
import { createHash } from 'node:crypto';
import { ClearingRefused, minorOf, asRefusal, type CamtEntry, type TextSource } from '../clearing/index.ts';

export interface CsvColumns {
  readonly bookingDate?: string;
  readonly valueDate?: string;
  readonly amount?: string;
  /** A column holding D/DBIT/debit or C/CRDT/credit; without it the amount is signed (negative: debit). */
  readonly direction?: string;
  readonly currency?: string;
  readonly endToEndId?: string;
  readonly counterparty?: string;
  readonly bankCode?: string;
}

export interface CsvStatementOptions {
  readonly columns: CsvColumns;
  /** The statement's identity (a file carries none of its own): account/date/sequence. */
  readonly statementId?: string;
  readonly statementDate?: string;
  readonly currency?: string;
  readonly delimiter?: string;
  readonly closing?: bigint;
}

export interface CsvSink {
  begin(identity: string, date: string): Promise<void>;
  entry(entry: CamtEntry): Promise<void>;
  closing(closing: bigint | undefined): void;
}

export function splitCsvLine(line: string, delimiter: string): string[] {
  const out: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i += 1) {
    const c = line[i] as string;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        field += '"';
        i += 1;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === delimiter) {
      out.push(field);
      field = '';
    } else field += c;
  }
  if (quoted) throw new ClearingRefused('bank_file_malformed', 'an unterminated quoted field');
  out.push(field);
  return out;
}

function entryOfRow(row: string[], index: Map<string, number>, o: CsvStatementOptions, lineNo: number): CamtEntry {
  const get = (name: string | undefined): string | undefined =>
    name === undefined ? undefined : row[index.get(name) ?? -1]?.trim();
  const currency = get(o.columns.currency) ?? o.currency ?? '';
  const raw = get(o.columns.amount) ?? '';
  const negative = raw.startsWith('-');
  const amount = minorOf(negative ? raw.slice(1) : raw, currency);
  const d = get(o.columns.direction)?.toUpperCase();
  const direction =
    d === undefined
      ? negative
        ? 'debit'
        : 'credit'
      : /^(D|DBIT|DEBIT|DR)$/.test(d)
        ? 'debit'
        : /^(C|CRDT|CREDIT|CR)$/.test(d)
          ? 'credit'
          : undefined;
  if (direction === undefined)
    throw new ClearingRefused('bank_file_schema_invalid', `row ${lineNo}: the direction is neither debit nor credit`);
  const bookingDate = get(o.columns.bookingDate) ?? '';
  if (!/^\d{4}-\d{2}-\d{2}$/.test(bookingDate))
    throw new ClearingRefused('bank_file_schema_invalid', `row ${lineNo}: the date is not YYYY-MM-DD`);
  const e2e = get(o.columns.endToEndId);
  return {
    lineNo,
    amount,
    currency,
    direction,
    status: 'BOOK',
    reversal: false,
    bookingDate,
    valueDate: get(o.columns.valueDate) ?? bookingDate,
    bankRef: undefined,
    bankCode: get(o.columns.bankCode),
    info: undefined,
    details: [
      {
        endToEndId: e2e === '' ? undefined : e2e,
        amount: undefined,
        counterparty: get(o.columns.counterparty),
        returnReason: undefined,
      },
    ],
  };
}

/** Streams the CSV rows to the sink; returns the file's SHA-256. */
export async function streamCsvStatement(source: TextSource, o: CsvStatementOptions, sink: CsvSink): Promise<string> {
  if (o.statementId === undefined || o.statementDate === undefined)
    throw new ClearingRefused('bank_file_schema_invalid', 'a CSV statement needs its id and date');
  const hash = createHash('sha256');
  let header: Map<string, number> | undefined;
  let rest = '';
  let lineNo = 0;
  const handle = async (line: string): Promise<void> => {
    if (line.trim() === '') return;
    const cells = splitCsvLine(line.replace(/\r$/, ''), o.delimiter ?? ',');
    if (header === undefined) {
      header = new Map(cells.map((c, i) => [c.trim(), i]));
      for (const name of Object.values(o.columns))
        if (name !== undefined && !header.has(name))
          throw new ClearingRefused(
            'bank_file_schema_invalid',
            `the CSV has no column ${JSON.stringify(name).slice(0, 40)}`,
          );
      await sink.begin(o.statementId as string, o.statementDate as string);
      return;
    }
    lineNo += 1;
    await sink.entry(entryOfRow(cells, header, o, lineNo));
  };
  try {
    const chunks: AsyncIterable<string | Buffer> | string[] = typeof source === 'string' ? [source] : source;
    // One decoder for the whole file: a character split across two chunks is joined, not mangled.
    const decoder = new TextDecoder('utf-8', { fatal: true });
    for await (const chunk of chunks) {
      hash.update(chunk);
      rest += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
      if (rest.length > 1 << 20 && !rest.includes('\n'))
        throw new ClearingRefused('bank_file_too_large', 'a CSV line is too long');
      const lines = rest.split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) await handle(line);
    }
    await handle(rest + decoder.decode());
  } catch (error) {
    if (error instanceof TypeError && /decode|encoded/i.test(error.message))
      throw new ClearingRefused('bank_file_malformed', 'the file is not UTF-8');
    throw asRefusal(error);
  }
  if (header === undefined) throw new ClearingRefused('bank_file_schema_invalid', 'an empty CSV statement');
  sink.closing(o.closing);
  return hash.digest('hex');
}
