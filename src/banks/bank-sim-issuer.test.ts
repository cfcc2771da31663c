// The simulated issuer's decisions, in process and without sockets: decline rules, holds,
// duplicates, reversals and payouts, with the clock passed in.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { findCurrency, type Currency } from '../money/index.ts';
import { Issuer } from './bank-sim-issuer.ts';
import { parseBankSimRules, BankSimRulesError, type BankSimRules } from './bank-sim-rules.ts';
import { cardRequestMessage, processingCodes, reversalMessage, type CardRequest } from './card-messages.ts';
import { CardNumber, maskPan, withCheckDigit } from '../cards/index.ts';
import type { Iso8583Message } from './iso8583-codec.ts';

const cny = findCurrency('CNY') as Currency;
const now = Date.UTC(2026, 5, 15, 10, 30, 0);
const rich = withCheckDigit('622202000000000001');
const poor = withCheckDigit('622202000000000002');
const capped = withCheckDigit('622202000000000003');
const refused = withCheckDigit('622202000000000004');
const notLuhn = `${refused.slice(0, -1)}${(Number(refused.slice(-1)) + 1) % 10}`;
const rules: BankSimRules = parseBankSimRules({
  cards: [
    { pan: rich, balanceMinor: '1000000' },
    { pan: poor, balanceMinor: '500' },
    { pan: capped, balanceMinor: '1000000', limitMinor: '10000' },
  ],
  declines: [{ panSuffix: refused.slice(-4), code: '05' }],
});

let stan = 0;
function request(pan: string, amountMinor: bigint, extra: Partial<CardRequest> = {}): CardRequest {
  stan += 1;
  return {
    mti: '0100', processingCode: processingCodes.purchase, pan: new CardNumber(pan), expiry: '2812', amountMinor, currency: cny,
    stan: String(stan).padStart(6, '0'), transmissionDateTime: '0615103000', localTime: '183000', terminalId: 'TERM0001', merchantId: 'ANFU00000000001', ...extra,
  };
}
const issuer = (r: BankSimRules = rules) => new Issuer(r, () => 'A1B2C3');
const code = (m: Iso8583Message | undefined) => m?.fields[39];
const held = (i: Issuer, pan: string) => i.snapshot().cards.find((c) => c.panMasked === maskPan(pan))?.heldMinor;

describe('issuer decisions', () => {
  const table: [string, CardRequest, string][] = [
    ['approves within balance', request(rich, 1000n), '00'],
    ['51 above the available balance', request(poor, 501n), '51'],
    ['approves exactly the balance', request(poor, 500n), '00'],
    ['61 above the card limit', request(capped, 10_001n), '61'],
    ['approves exactly the card limit', request(capped, 10_000n), '00'],
    ['54 for an expired card', request(rich, 100n, { expiry: '2605' }), '54'],
    ['approves in the card expiry month', request(rich, 100n, { expiry: '2606' }), '00'],
    ['14 for a PAN failing Luhn', request(notLuhn, 100n), '14'],
    ['05 by a decline rule', request(refused, 100n), '05'],
    ['13 for a zero amount', request(rich, 0n), '13'],
    ['12 for a currency the card is not in', request(rich, 100n, { currency: findCurrency('USD') as Currency }), '12'],
    ['12 for an unknown processing code', request(rich, 100n, { processingCode: '310000' }), '12'],
  ];
  for (const [name, req, expected] of table) {
    it(name, () => assert.equal(code(issuer().handle(cardRequestMessage(req), now)), expected));
  }

  it('91 for everything while the issuer is unavailable', () => {
    assert.equal(code(issuer({ ...rules, issuerUnavailable: true }).handle(cardRequestMessage(request(rich, 1n)), now)), '91');
  });

  it('14 for an unlisted card when unknown cards are declined, approval otherwise', () => {
    const unlisted = '4111111111111111';
    assert.equal(code(issuer({ ...rules, unknownCards: 'decline' }).handle(cardRequestMessage(request(unlisted, 1n)), now)), '14');
    assert.equal(code(issuer().handle(cardRequestMessage(request(unlisted, 1n)), now)), '00');
  });

  it('30 when a mandatory field is missing; 12 for an unsupported request type; silence for a response', () => {
    const { 14: _expiry, ...fields } = cardRequestMessage(request(rich, 1n)).fields;
    assert.equal(code(issuer().handle({ mti: '0100', fields }, now)), '30');
    const other = issuer().handle({ mti: '0300', fields: { 11: '000001' } }, now);
    assert.equal(other?.mti, '0310');
    assert.equal(code(other), '12');
    assert.equal(issuer().handle({ mti: '0110', fields: { 11: '000001' } }, now), undefined);
  });

  it('a hold lowers what is available: the second authorisation meets 51', () => {
    const i = issuer();
    assert.equal(code(i.handle(cardRequestMessage(request(poor, 300n)), now)), '00');
    assert.equal(code(i.handle(cardRequestMessage(request(poor, 300n)), now)), '51');
    assert.equal(held(i, poor), '300');
  });
});

describe('a stale transmission time (transmissionWindowMs)', () => {
  const windowed = parseBankSimRules({ ...rules, transmissionWindowMs: 300_000 });
  it('30 for an original whose field 7 is outside the window, its repeat answered the same; in the window, 00', () => {
    const i = issuer(windowed);
    const late = request(rich, 1_000n, { transmissionDateTime: '0615102459' });
    assert.equal(code(i.handle(cardRequestMessage(late), now)), '30');
    assert.equal(code(i.handle({ ...cardRequestMessage(late), mti: '0101' }, now)), '30');
    assert.equal(held(i, rich), '0', 'a stale request holds nothing');
    const sentAt = (transmissionDateTime: string) =>
      cardRequestMessage(request(rich, 1_000n, { transmissionDateTime }));
    assert.equal(code(i.handle(sentAt('0615102500'), now)), '00');
    assert.equal(code(i.handle(sentAt('0615103500'), now)), '00');
    assert.equal(code(i.handle(sentAt('0615103501'), now)), '30');
  });
  it('across a new year: 31 December 23:59 is one minute before 1 January 00:00', () => {
    const newYear = Date.UTC(2027, 0, 1, 0, 0, 0);
    const i = issuer(windowed);
    const lastMinute = cardRequestMessage(request(rich, 1_000n, { transmissionDateTime: '1231235900' }));
    assert.equal(code(i.handle(lastMinute, newYear)), '00');
  });
  it('a repeat of an original never seen is not checked (a status query names the time it was first sent)', () => {
    const payout = { mti: '0200' as const, processingCode: processingCodes.payoutCredit };
    const old = request(rich, 1_000n, { ...payout, transmissionDateTime: '0614103000' });
    assert.equal(code(issuer(windowed).handle({ ...cardRequestMessage(old), mti: '0201' }, now)), '00');
  });
});

describe('duplicates and reversals', () => {
  it('the same request twice gets the same answer and one hold', () => {
    const i = issuer();
    const message = cardRequestMessage(request(rich, 700n));
    const first = i.handle(message, now);
    const again = i.handle({ ...message, mti: '0101' }, now + 5_000);
    assert.deepEqual(again, first);
    assert.equal(i.snapshot().approvals, 1);
    assert.equal(held(i, rich), '700');
  });

  it('a different request reusing STAN, time and terminal is answered 94 and changes nothing', () => {
    const i = issuer();
    const req = request(rich, 700n);
    i.handle(cardRequestMessage(req), now);
    assert.equal(code(i.handle(cardRequestMessage({ ...req, amountMinor: 900n }), now)), '94');
    assert.equal(held(i, rich), '700');
  });

  it('a reversal releases the hold once, however often it is repeated', () => {
    const i = issuer();
    const original = request(poor, 500n);
    i.handle(cardRequestMessage(original), now);
    const identity = { stan: '900001', transmissionDateTime: '0615103005', localTime: '183005' };
    assert.equal(code(i.handle(reversalMessage(original, { ...identity, repeat: false }), now)), '00');
    assert.equal(code(i.handle(reversalMessage(original, { ...identity, repeat: true }), now)), '00');
    assert.equal(code(i.handle(reversalMessage(original, { ...identity, stan: '900002', repeat: false }), now)), '00');
    assert.equal(held(i, poor), '0');
    assert.equal(i.snapshot().reversalsApplied, 1);
    assert.equal(code(i.handle(cardRequestMessage(request(poor, 500n)), now)), '00', 'the released funds are available again');
  });

  it('a reversal of an unknown original is 25, and the original arriving late holds nothing', () => {
    const i = issuer();
    const original = request(rich, 100n);
    assert.equal(code(i.handle(reversalMessage(original, { stan: '900003', transmissionDateTime: '0615103005', localTime: '183005', repeat: false }), now)), '25');
    assert.equal(code(i.handle(cardRequestMessage(original), now)), '94');
    assert.equal(i.snapshot().approvals, 0);
  });
});

describe('payouts', () => {
  const payout = (pan: string, amountMinor: bigint) => request(pan, amountMinor, { mti: '0200', processingCode: processingCodes.payoutCredit, expiry: undefined });
  const balance = (i: Issuer, pan: string) => i.snapshot().cards.find((c) => c.panMasked === maskPan(pan))?.balanceMinor;

  it('credits at once by default; a repeat (status query) credits nothing more', () => {
    const i = issuer();
    const message = cardRequestMessage(payout(poor, 250n));
    assert.equal(code(i.handle(message, now)), '00');
    assert.equal(code(i.handle({ ...message, mti: '0201' }, now)), '00');
    assert.equal(balance(i, poor), '750');
  });

  it('answers 09 until the settle time has passed, then 00, crediting once', () => {
    const i = issuer({ ...rules, payoutSettleMs: 1_000 });
    const message = cardRequestMessage(payout(poor, 250n));
    assert.equal(code(i.handle(message, now)), '09');
    assert.equal(code(i.handle({ ...message, mti: '0201' }, now + 999)), '09');
    assert.equal(balance(i, poor), '500');
    assert.equal(code(i.handle({ ...message, mti: '0201' }, now + 1_000)), '00');
    assert.equal(code(i.handle({ ...message, mti: '0201' }, now + 5_000)), '00');
    assert.equal(balance(i, poor), '750');
  });
});

describe('rules', () => {
  it('refuses a bad document whole, naming paths and never the values', () => {
    const pan = rich;
    assert.throws(() => parseBankSimRules({ cards: [{ pan, balanceMinor: '-5' }], declines: [{ code: '00' }], extra: 1 }), (e: unknown) => {
      assert.ok(e instanceof BankSimRulesError);
      assert.ok(!e.message.includes(pan));
      assert.match(e.message, /cards\/0\/balanceMinor/);
      return true;
    });
  });
});
