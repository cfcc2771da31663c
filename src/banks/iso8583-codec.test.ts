// The ISO 8583 codec: exact bytes for hand-built messages, encode→decode identity for any valid
// message, and typed errors (never a throw) for anything malformed.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { decodeMessage, encodeMessage, Iso8583Error, type Iso8583Message } from './iso8583-codec.ts';
import { fieldSpecs, type FieldNumber } from './iso8583-fields.ts';
import { FrameReader, frameBytesMax, frameMessage } from './framing.ts';

const numRuns = Number(process.env.ANFU_PROPERTY_RUNS ?? 300);

const authorisation: Iso8583Message = {
  mti: '0100',
  fields: {
    2: '4111111111111111', 3: '000000', 4: '000000012345', 7: '0615103000', 11: '000123', 12: '183000',
    14: '2812', 22: '012', 41: 'TERM0001', 42: 'MERCHANT0000001', 49: '156',
  },
};

describe('known answers', () => {
  it('encodes an 0100 to the bytes worked out by hand', () => {
    // Bitmap by hand: bits 2,3,4,7 → 0x72; 11,12,14 → 0x34; 22 → 0x04; 41,42 → 0xC0; 49 → 0x80.
    const expected = '0100' + '7234040000C08000' + '16' + '4111111111111111' + '000000' + '000000012345' + '0615103000'
      + '000123' + '183000' + '2812' + '012' + 'TERM0001' + 'MERCHANT0000001' + '156';
    const bytes = encodeMessage(authorisation);
    assert.equal(bytes.toString('ascii'), expected);
    const framed = frameMessage(bytes);
    assert.deepEqual([...framed.subarray(0, 2)], [0x00, 111]);
    assert.equal(framed.length, 113);
  });

  it('encodes a secondary bitmap only when a field above 64 is present', () => {
    const echo: Iso8583Message = { mti: '0800', fields: { 7: '0615103000', 11: '000001', 70: '301' } };
    // Primary: bits 1 (secondary follows), 7, 11 → 0x82 0x20; secondary: bit 70 → 0x04.
    assert.equal(encodeMessage(echo).toString('ascii'), '0800' + '8220000000000000' + '0400000000000000' + '0615103000' + '000001' + '301');
    assert.ok(!encodeMessage(authorisation).toString('ascii').startsWith('0100F'));
  });

  it('decodes the hand-built bytes back to the message', () => {
    const decoded = decodeMessage(encodeMessage(authorisation));
    assert.ok(decoded.ok);
    assert.deepEqual(decoded.message, authorisation);
  });
});

const digits = (length: number) => fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: length, maxLength: length });
const pad2 = (n: number) => String(n).padStart(2, '0');
const monthDayTime = fc.tuple(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 31 }), fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 }), fc.integer({ min: 0, max: 59 }))
  .map(([mo, d, h, mi, s]) => pad2(mo) + pad2(d) + pad2(h) + pad2(mi) + pad2(s));
const time = fc.tuple(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 }), fc.integer({ min: 0, max: 59 })).map(([h, m, s]) => pad2(h) + pad2(m) + pad2(s));
const an = (length: number) => fc.string({ unit: fc.constantFrom(...'ABCXYZabz0189 '), minLength: length, maxLength: length });
const ans = (length: number) => fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), minLength: length, maxLength: length });

const valueOf: Record<FieldNumber, fc.Arbitrary<string>> = {
  2: fc.integer({ min: 0, max: 19 }).chain((n) => digits(n)),
  3: digits(6), 4: digits(12), 7: monthDayTime, 11: digits(6), 12: time,
  14: fc.tuple(digits(2), fc.integer({ min: 1, max: 12 })).map(([y, m]) => y + pad2(m)),
  22: digits(3), 37: an(12), 38: an(6), 39: an(2), 41: ans(8), 42: ans(15), 49: digits(3), 70: digits(3),
  // LLVAR and LLLVAR (a three-digit length prefix above 99).
  44: fc.integer({ min: 0, max: 25 }).chain((n) => an(n)), 48: fc.integer({ min: 0, max: 999 }).chain((n) => ans(n)),
  90: fc.tuple(digits(10), monthDayTime, digits(22)).map(([a, b, c]) => a + b + c),
};

const validMessage: fc.Arbitrary<Iso8583Message> = fc.record({
  mti: fc.tuple(fc.constantFrom('01', '02', '04', '08'), fc.constantFrom('00', '01', '10')).map(([a, b]) => a + b),
  fields: fc.record(valueOf, { requiredKeys: [] }).filter((f) => Object.keys(f).length > 0),
});

describe('properties', () => {
  it('decode(encode(m)) is m for every valid message', () => {
    fc.assert(fc.property(validMessage, (message) => {
      const decoded = decodeMessage(encodeMessage(message));
      assert.ok(decoded.ok, decoded.ok ? '' : decoded.error.message);
      // fast-check builds null-prototype records; compare plain copies.
      assert.deepEqual(decoded.message, { mti: message.mti, fields: { ...message.fields } });
    }), { numRuns });
  });

  it('random bytes never throw: the decoder answers with a typed error (or a valid message)', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      const decoded = decodeMessage(bytes);
      if (!decoded.ok) assert.ok(decoded.error instanceof Iso8583Error);
    }), { numRuns: numRuns * 3 });
  });

  it('damaged valid messages (a byte changed, cut short, extended) never throw', () => {
    const damaged = fc.tuple(validMessage, fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('flip', 'cut', 'extend'))
      .map(([message, at, byte, how]) => {
        const bytes = Buffer.from(encodeMessage(message));
        const i = at % bytes.length;
        if (how === 'cut') return bytes.subarray(0, i);
        if (how === 'extend') return Buffer.concat([bytes, Buffer.from([byte])]);
        bytes[i] = byte;
        return bytes;
      });
    fc.assert(fc.property(damaged, (bytes) => {
      const decoded = decodeMessage(bytes);
      if (!decoded.ok) assert.ok(decoded.error instanceof Iso8583Error);
    }), { numRuns });
  });

  it('the PAN limit holds at 19 digits and breaks at 20', () => {
    assert.equal(fieldSpecs.get(2)?.length, 19);
    const at19 = { mti: '0100', fields: { ...authorisation.fields, 2: '4'.repeat(19) } };
    assert.deepEqual(decodeMessage(encodeMessage(at19)), { ok: true, message: at19 });
    assert.throws(() => encodeMessage({ mti: '0100', fields: { 2: '4'.repeat(20) } }), { code: 'field_too_long', field: 2 });
  });
});

describe('malformed messages are typed errors', () => {
  const good = encodeMessage(authorisation).toString('ascii');
  const cases: [string, string, string, number | undefined][] = [
    ['empty', '', 'message_truncated', undefined],
    ['MTI not digits', `01A0${good.slice(4)}`, 'mti_invalid', undefined],
    ['MTI of another ISO 8583 version', `1100${good.slice(4)}`, 'mti_invalid', undefined],
    ['bitmap not hex', `0100723404000GC08000${good.slice(20)}`, 'bitmap_invalid', undefined],
    ['bitmap cut short', '0100723404', 'message_truncated', undefined],
    ['bitmap with no field', '01000000000000000000', 'bitmap_invalid', undefined],
    ['a field the table does not know (bit 5)', `01007A34040000C08000${good.slice(20)}`, 'field_unsupported', 5],
    ['secondary bitmap announced but empty', '0800A2200000000000000000000000000000', 'bitmap_invalid', undefined],
    ['PAN longer than 19 digits', `01007234040000C0800020${'4'.repeat(20)}${good.slice(38)}`, 'field_too_long', 2],
    ['PAN length prefix not digits', `01007234040000C080001X${good.slice(22)}`, 'field_bad_character', 2],
    ['letter in the amount', good.replace('000000012345', '0000000123A5'), 'field_bad_character', 4],
    ['month 13 in the transmission time', good.replace('0615103000', '1315103000'), 'field_bad_shape', 7],
    ['non-ASCII byte in the terminal id', good.replace('TERM0001', 'TERM\u00e901'), 'field_bad_character', 41],
    ['truncated inside a field', good.slice(0, -2), 'message_truncated', 49],
    ['trailing bytes', `${good}0`, 'trailing_bytes', undefined],
  ];
  for (const [name, text, code, field] of cases) {
    it(name, () => {
      const decoded = decodeMessage(Buffer.from(text, 'latin1'));
      assert.equal(decoded.ok, false);
      if (decoded.ok) return;
      assert.equal(decoded.error.code, code);
      assert.equal(decoded.error.field, field);
    });
  }

  it('the encoder refuses values that do not fit, with a typed error naming the field and not the value', () => {
    const tooLong = { mti: '0100', fields: { ...authorisation.fields, 2: '41111111111111111111' } };
    assert.throws(() => encodeMessage(tooLong), (e: unknown) => e instanceof Iso8583Error && e.code === 'field_too_long' && e.field === 2 && !e.message.includes('4111'));
    assert.throws(() => encodeMessage({ mti: '0100', fields: { ...authorisation.fields, 4: '12.45' } }), { code: 'field_wrong_length' });
    assert.throws(() => encodeMessage({ mti: '0100', fields: { ...authorisation.fields, 49: 'CNY' } }), { code: 'field_bad_character' });
    assert.throws(() => encodeMessage({ mti: '100', fields: authorisation.fields }), { code: 'mti_invalid' });
    assert.throws(() => encodeMessage({ mti: '0100', fields: {} }), { code: 'bitmap_invalid' });
  });
});

describe('framing', () => {
  it('reassembles frames split across chunks and splits frames sharing a chunk', () => {
    const a = frameMessage(Buffer.from('hello'));
    const b = frameMessage(Buffer.from('world!'));
    const all = Buffer.concat([a, b]);
    const reader = new FrameReader();
    const got: string[] = [];
    for (let i = 0; i < all.length; i += 3) got.push(...reader.push(all.subarray(i, i + 3)).frames.map((f) => f.toString()));
    assert.deepEqual(got, ['hello', 'world!']);
    assert.equal(reader.pendingBytes, 0);
    assert.deepEqual(new FrameReader().push(all).frames.map((f) => f.toString()), ['hello', 'world!']);
  });

  it('a zero or oversized length is an error at once, before buffering the announced bytes', () => {
    assert.equal(new FrameReader().push(Buffer.from([0, 0])).error, 'frame_empty');
    const big = Buffer.alloc(2);
    big.writeUInt16BE(frameBytesMax + 1);
    assert.equal(new FrameReader().push(big).error, 'frame_too_large');
    assert.throws(() => frameMessage(Buffer.alloc(frameBytesMax + 1)), RangeError);
  });
});
