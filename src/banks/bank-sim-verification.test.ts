// The simulated issuer's account verification, in process: CVV2, name and ID matched against the
// holder on file (field 44 names what failed), the one-time code sent to the phone on file, wrong
// codes (55) until the tries are used up (75), an unknown or expired verification (25); and the
// field 48 elements round-trip through the codec.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { findCurrency, type Currency } from '../money/index.ts';
import {
  accountVerificationCode,
  decodeElements,
  encodeElements,
  withVerification,
  type VerificationElements,
} from './account-verification.ts';
import { Issuer } from './bank-sim-issuer.ts';
import { parseBankSimRules } from './bank-sim-rules.ts';
import { cardRequestMessage } from './card-messages.ts';
import { CardNumber, withCheckDigit } from '../cards/index.ts';
import { decodeMessage, encodeMessage, type Iso8583Message } from './iso8583-codec.ts';

const cny = findCurrency('CNY') as Currency;
const now = Date.UTC(2026, 5, 15, 10, 30, 0);
const held = withCheckDigit('622202000000000011');
const holder = { holderName: '张三', holderIdNumber: '11010119900307123X', cvv2: '737' };
const rules = parseBankSimRules({
  cards: [{ pan: held, balanceMinor: '0', expiry: '2812', phone: '+8613900000001', ...holder }],
  otpAttemptsMax: 3,
  otpTtlMs: 60_000,
});

let stan = 0;
function verification(elements: VerificationElements, reference?: string, amountMinor = 0n): Iso8583Message {
  stan += 1;
  const base = cardRequestMessage({
    mti: '0100',
    processingCode: accountVerificationCode,
    pan: new CardNumber(held),
    expiry: '2812',
    amountMinor,
    currency: cny,
    stan: String(stan).padStart(6, '0'),
    transmissionDateTime: '0615103000',
    localTime: '183000',
    terminalId: 'TERM0001',
    merchantId: 'ANFU00000000001',
  });
  return withVerification(base, elements, reference);
}
const issuer = () =>
  new Issuer(
    rules,
    () => 'A1B2C3',
    () => '424242',
  );
const ask = { cvv2: holder.cvv2, holderName: holder.holderName, holderIdNumber: holder.holderIdNumber };

describe('account verification at the simulated issuer', () => {
  const table: [string, VerificationElements, string, string][] = [
    ['everything matches: 00, code sent', ask, '00', 'MMM'],
    ['wrong CVV2: 05, field 44 says CVV2', { ...ask, cvv2: '000' }, '05', 'NMM'],
    ['another name: 05, field 44 says name', { ...ask, holderName: '李四' }, '05', 'MNM'],
    ['another ID: 05, field 44 says ID', { ...ask, holderIdNumber: '110101198501011234' }, '05', 'MMN'],
  ];
  for (const [name, elements, code, results] of table) {
    it(name, () => {
      const answer = issuer().handle(verification(elements), now);
      assert.deepEqual([answer?.fields[39], answer?.fields[44]], [code, results]);
    });
  }

  it('13 for a verification that carries an amount; 30 for unreadable elements', () => {
    assert.equal(issuer().handle(verification(ask, undefined, 1n), now)?.fields[39], '13');
    const broken = { ...verification(ask), fields: { ...verification(ask).fields, 48: 'XX003abc' } };
    assert.equal(issuer().handle(broken, now)?.fields[39], '30');
  });

  it('sends the code to the phone on file; wrong codes answer 55 until the third, then 75, even for the right one', () => {
    const i = issuer();
    const reference = i.handle(verification(ask), now)?.fields[37] ?? '';
    assert.deepEqual(i.snapshot().otpsSent, [{ phone: '+8613900000001', code: '424242' }]);
    assert.equal(i.handle(verification({ oneTimeCode: '000000' }, reference), now)?.fields[39], '55');
    assert.equal(i.handle(verification({ oneTimeCode: '000000' }, reference), now)?.fields[39], '55');
    assert.equal(i.handle(verification({ oneTimeCode: '000000' }, reference), now)?.fields[39], '75');
    assert.equal(i.handle(verification({ oneTimeCode: '424242' }, reference), now)?.fields[39], '75');
  });

  it('the right code verifies; an unknown or expired verification answers 25', () => {
    const i = issuer();
    const reference = i.handle(verification(ask), now)?.fields[37] ?? '';
    assert.equal(i.handle(verification({ oneTimeCode: '424242' }, 'X00000000000'), now)?.fields[39], '25');
    assert.equal(i.handle(verification({ oneTimeCode: '424242' }, reference), now)?.fields[39], '00');
    const late = issuer();
    const expiring = late.handle(verification(ask), now)?.fields[37] ?? '';
    assert.equal(late.handle(verification({ oneTimeCode: '424242' }, expiring), now + 60_000)?.fields[39], '25');
  });

  it('field 48 elements and field 44 survive the codec; a Chinese name travels as UTF-8 hex', () => {
    const message = verification(ask);
    const decoded = decodeMessage(encodeMessage(message));
    assert.ok(decoded.ok);
    assert.deepEqual(decodeElements(decoded.message.fields[48] ?? ''), ask);
    assert.equal(encodeElements({ holderName: '张三' }), 'NM012E5BCA0E4B889');
    const answer = issuer().handle(message, now);
    assert.ok(answer !== undefined && decodeMessage(encodeMessage(answer)).ok);
    assert.equal(answer.fields[48], undefined, 'the answer never echoes the CVV2');
  });
});
