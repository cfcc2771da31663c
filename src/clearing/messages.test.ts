// The ISO 20022 files: what Anfu writes validates against the official XSDs (xmllint-wasm, the schemas
// read in place from /work/shared/iso20022/xsd); every genuine bank sample reads; and hostile or
// broken input is refused with its code — XML bombs, external entities, schema-invalid files, too
// many decimals — before anything is applied.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { validateXML } from 'xmllint-wasm';
import { skipUnless } from '../testing/required-tools.ts';
import { camtReader, type CamtEntry, type CamtHeader } from './camt.ts';
import { decimalOf, minorOf } from './iso-amount.ts';
import { camt053, camt054, pacs002, pacs008, pain001, type OutboundBatch } from './messages.ts';
import { parseStatusReport } from './status.ts';
import { XmlRefused } from './xml-stream.ts';

const shared = '/work/shared/iso20022';
const skip = skipUnless(existsSync(shared), 'the ISO 20022 schemas and samples in /work/shared/iso20022');

async function valid(xml: string, schema: string): Promise<string[]> {
  const contents = readFileSync(join(shared, 'xsd', `${schema}.xsd`), 'utf8');
  const result = await validateXML({
    xml: { fileName: 'message.xml', contents: xml },
    schema: { fileName: `${schema}.xsd`, contents },
  });
  return result.errors.map((e) => e.message);
}

const batch = (transfers: number): OutboundBatch => ({
  messageId: 'cbt_01jf0000000000000000000000',
  created: '2026-12-02T09:30:00Z',
  valueDate: '2026-12-02',
  currency: 'CNY',
  debtorName: 'Anfu <Payments> & Co',
  debtorAccount: '6222000011112222',
  debtorAgent: 'ICBKCNBJSHI',
  transfers: Array.from({ length: transfers }, (_, i) => ({
    instructionId: `cin_${i}`,
    endToEndId: `cin_${i}`,
    amount: BigInt(1 + i * 997),
    currency: 'CNY',
    creditorName: i % 2 === 0 ? '张三 "Zhang"' : "O'Brien <Ltd>",
    creditorAccount: `621700001111${i}`,
    creditorAgent: i % 2 === 0 ? '102100099996' : 'BKCHCNBJ',
    remittance: 'withdrawal',
  })),
});

const entry = {
  amount: 12345n,
  currency: 'CNY',
  direction: 'debit' as const,
  bookingDate: '2026-12-02',
  valueDate: '2026-12-02',
  bankRef: 'R1',
  bankCode: 'PMNT/ICDT/DMCT',
  endToEndId: 'cin_0',
  counterparty: 'x',
};

describe('messages out validate against the official schemas', { skip }, () => {
  it('pain.001.001.09 and pacs.008.001.08, with names that need escaping', async () => {
    assert.deepEqual(await valid(pain001(batch(5)), 'pain.001.001.09'), []);
    assert.deepEqual(await valid(pacs008(batch(5)), 'pacs.008.001.08'), []);
  });

  it("the simulator's pacs.002.001.10, camt.054.001.08 and camt.053.001.08", async () => {
    const report = pacs002({
      messageId: 'S1',
      created: '2026-12-02T10:00:00Z',
      originalMessageId: 'B1',
      originalKind: 'pain.001.001.09',
      groupStatus: 'PART',
      lines: [
        { endToEndId: 'cin_0', status: 'RJCT', reason: 'AC04' },
        { endToEndId: 'cin_1', status: 'ACSC' },
      ],
    });
    assert.deepEqual(await valid(report, 'pacs.002.001.10'), []);
    assert.deepEqual(parseStatusReport(report).lines, [
      { endToEndId: 'cin_0', status: 'RJCT', reason: 'AC04' },
      { endToEndId: 'cin_1', status: 'ACSC' },
    ]);
    assert.deepEqual(
      await valid(
        camt054({
          messageId: 'N1',
          created: '2026-12-02T10:00:00Z',
          account: '6222000011112222',
          currency: 'CNY',
          entries: [entry, { ...entry, direction: 'credit', bankCode: 'PMNT/ICDT/RRTN', returnReason: 'AC06' }],
        }),
        'camt.054.001.08',
      ),
      [],
    );
    assert.deepEqual(
      await valid(
        camt053({
          messageId: 'M1',
          created: '2026-12-02T18:00:00Z',
          statementId: 'S1',
          sequence: 1,
          date: '2026-12-02',
          opening: 0n,
          closing: -12345n,
          account: '6222000011112222',
          currency: 'CNY',
          entries: [entry],
        }),
        'camt.053.001.08',
      ),
      [],
    );
  });

  it('a message made invalid is caught by the same check (the check can fail)', async () => {
    const broken = pain001(batch(1)).replace('<PmtMtd>TRF</PmtMtd>', '<PmtMtd>XXX</PmtMtd>');
    assert.notDeepEqual(await valid(broken, 'pain.001.001.09'), []);
  });
});

function readCamt(text: string, chunk = 7): { headers: CamtHeader[]; entries: CamtEntry[] } {
  const headers: CamtHeader[] = [];
  const entries: CamtEntry[] = [];
  const reader = camtReader({ header: (h) => headers.push(h), entry: (_h, e) => entries.push(e) });
  // Small chunks: tags, entities and text split anywhere must read the same.
  for (let i = 0; i < text.length; i += chunk) reader.write(text.slice(i, i + chunk));
  reader.end();
  return { headers, entries };
}

describe('statements and notifications in', { skip }, () => {
  it('every genuine camt.053 / camt.054 sample (.02, .04, .08) reads, streamed in small chunks', () => {
    const files = readdirSync(join(shared, 'samples')).filter((f) => /camt/.test(f));
    assert.ok(files.length >= 10);
    const versions = new Set<string>();
    for (const file of files) {
      const text = readFileSync(join(shared, 'samples', file), 'utf8');
      const { headers, entries } = readCamt(text, 13);
      assert.ok(headers.length >= 1, file);
      assert.ok(entries.length >= 1, file);
      assert.deepEqual(readCamt(text, 1 << 16).entries, entries, `${file}: chunking changes nothing`);
      versions.add(`${headers[0]?.kind}.${headers[0]?.version}`);
    }
    assert.deepEqual([...versions].sort(), [
      'camt.053.02',
      'camt.053.04',
      'camt.053.08',
      'camt.054.02',
      'camt.054.04',
      'camt.054.08',
    ]);
  });

  it('a written statement reads back exactly (property: amounts, directions, ids)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            amount: fc.bigInt({ min: 1n, max: 10n ** 15n }),
            credit: fc.boolean(),
            id: fc.stringMatching(/^[A-Za-z0-9]{1,35}$/),
          }),
          { maxLength: 20 },
        ),
        (lines) => {
          const entries = lines.map((l) => ({
            ...entry,
            amount: l.amount,
            direction: l.credit ? ('credit' as const) : ('debit' as const),
            endToEndId: l.id,
          }));
          const text = camt053({
            messageId: 'M',
            created: '2026-12-02T18:00:00Z',
            statementId: 'S',
            sequence: 1,
            date: '2026-12-02',
            opening: 0n,
            closing: 0n,
            account: '6222000011112222',
            currency: 'CNY',
            entries,
          });
          const read = readCamt(text, 97).entries;
          assert.deepEqual(
            read.map((e) => [e.amount, e.direction, e.details[0]?.endToEndId]),
            entries.map((e) => [e.amount, e.direction, e.endToEndId]),
          );
        },
      ),
      { numRuns: 50 },
    );
  });
});

describe('bad input is refused with its code', () => {
  const statement = camt053({
    messageId: 'M',
    created: '2026-12-02T18:00:00Z',
    statementId: 'S',
    sequence: 1,
    date: '2026-12-02',
    opening: 0n,
    closing: 0n,
    account: '6222000011112222',
    currency: 'CNY',
    entries: [entry],
  });
  const refusal = (text: string): string => {
    try {
      readCamt(text);
    } catch (error) {
      return (error as { code: string }).code;
    }
    return 'accepted';
  };

  it('entity expansion (billion laughs) and external entities: a DOCTYPE is never read', () => {
    const bomb = `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2
      "&lol;&lol;&lol;&lol;">]>${statement.replace(/^<\?xml[^>]*>/, '').replace('<Id>S</Id>', '<Id>&lol2;</Id>')}`;
    assert.equal(refusal(bomb), 'bank_file_entities_refused');
    const external = `<?xml version="1.0"?><!DOCTYPE d [<!ENTITY xxe SYSTEM
      "file:///etc/passwd">]>${statement.replace(/^<\?xml[^>]*>/, '').replace('<Id>S</Id>', '<Id>&xxe;</Id>')}`;
    assert.equal(refusal(external), 'bank_file_entities_refused');
    assert.equal(refusal(statement.replace('<Id>S</Id>', '<Id>&xxe;</Id>')), 'bank_file_entities_refused');
    assert.equal(
      readCamt(statement.replace('<Id>S</Id>', '<Id>&lt;ok&#x263A;&gt;</Id>')).headers[0]?.statementId,
      '<ok\u263a>',
      'predefined entities and character references read',
    );
  });

  it('malformed XML, schema-invalid statements, unsupported messages and too many decimals', () => {
    assert.equal(refusal(statement.replace('</Stmt>', '')), 'bank_file_malformed');
    assert.equal(refusal(statement.slice(0, statement.length / 2)), 'bank_file_malformed');
    assert.equal(
      refusal(
        statement.replace(
          '<CdtDbtInd>DBIT</CdtDbtInd>\n        <Sts>',
          '<CdtDbtInd>SIDEWAYS</CdtDbtInd>\n        <Sts>',
        ),
      ),
      'bank_file_schema_invalid',
    );
    assert.equal(refusal(statement.replace(/<Acct>[\s\S]*?<\/Acct>/, '')), 'bank_file_schema_invalid');
    assert.equal(refusal(statement.replaceAll('camt.053.001.08', 'camt.053.001.06')), 'bank_file_unsupported');
    assert.equal(
      refusal(statement.replace('<Amt Ccy="CNY">123.45</Amt>', '<Amt Ccy="CNY">123.456</Amt>')),
      'bank_file_amount_precision',
    );
    assert.throws(
      () =>
        parseStatusReport(
          '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pacs.002.001.10"><FIToFIPmtStsRpt/></Document>',
        ),
      { code: 'bank_file_schema_invalid' },
    );
    assert.throws(
      () => readCamt('<!DOCTYPE x><a/>'),
      (e: unknown) => e instanceof XmlRefused,
    );
  });

  it('amounts: exact in both directions, never rounded', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 10n ** 17n }),
        fc.constantFrom('CNY', 'JPY', 'KWD'),
        (minor, currency) => minorOf(decimalOf(minor, currency), currency) === minor,
      ),
    );
    assert.equal(minorOf('10.500', 'CNY'), 1050n);
    assert.throws(() => minorOf('10.505', 'CNY'), { code: 'bank_file_amount_precision' });
    assert.throws(() => minorOf('1e5', 'CNY'), { code: 'bank_file_amount_precision' });
    assert.throws(() => minorOf('1.5', 'JPY'), { code: 'bank_file_amount_precision' });
  });
});
