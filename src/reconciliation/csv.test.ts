// CSV statements read as streams: a multibyte character split across chunks at every possible byte is
// read whole (the hash is the file's), invalid UTF-8 is refused, and the upload bound holds at N and N + 1.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { boundedBytes, type CamtEntry } from '../clearing/index.ts';
import { streamCsvStatement } from './csv.ts';

const options = {
  columns: { bookingDate: 'Datum', amount: 'Betrag', counterparty: 'Name' },
  statementId: 'S1', statementDate: '2030-01-01', currency: 'CNY',
};
const text = 'Datum,Betrag,Name\n2030-01-01,-12.34,张三丰\n2030-01-01,5.00,Café “Ü”\n';
const bytes = Buffer.from(text, 'utf8');

async function* chunked(parts: Buffer[]): AsyncIterable<Buffer> {
  for (const p of parts) yield p;
}

async function read(parts: Buffer[]): Promise<{ entries: CamtEntry[]; sha256: string }> {
  const entries: CamtEntry[] = [];
  const sha256 = await streamCsvStatement(chunked(parts), options, {
    begin: async () => undefined,
    entry: async (e) => void entries.push(e),
    closing: () => undefined,
  });
  return { entries, sha256 };
}

test('a character split across two chunks, at every byte of the file, is read whole', async () => {
  const expected = createHash('sha256').update(bytes).digest('hex');
  for (let cut = 1; cut < bytes.length; cut += 1) {
    const { entries, sha256 } = await read([bytes.subarray(0, cut), bytes.subarray(cut)]);
    assert.deepEqual(entries.map((e) => [e.details[0]?.counterparty, e.direction, e.amount]), [
      ['张三丰', 'debit', 1234n], ['Café “Ü”', 'credit', 500n],
    ], `cut at byte ${cut}`);
    assert.equal(sha256, expected);
  }
  const oneByOne = await read([...bytes].map((b) => Buffer.from([b])));
  assert.equal(oneByOne.entries[0]?.details[0]?.counterparty, '张三丰');
});

test('a file that is not UTF-8 is refused as malformed', async () => {
  const broken = Buffer.concat([Buffer.from('Datum,Betrag,Name\n2030-01-01,1.00,'), Buffer.from([0xe5, 0xbc])]);
  await assert.rejects(read([broken]), { code: 'bank_file_malformed' });
});

test('the upload bound: N bytes pass, N + 1 are refused as too large', async () => {
  const through = async (size: number, max: number) => {
    let total = 0;
    for await (const c of boundedBytes(chunked([Buffer.alloc(size - 1), Buffer.alloc(1)]), max)) total += c.length;
    return total;
  };
  assert.equal(await through(1024, 1024), 1024);
  await assert.rejects(through(1025, 1024), { code: 'bank_file_too_large' });
});
