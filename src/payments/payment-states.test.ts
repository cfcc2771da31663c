import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isTerminal, nextState, paymentEvents, paymentStates, type PaymentEvent, type PaymentState } from './payment-states.ts';

const legal: ReadonlyArray<readonly [PaymentState, PaymentEvent, PaymentState]> = [
  ['created', 'risk_assessed', 'risk_checked'],
  ['created', 'fail', 'failed'],
  ['risk_checked', 'challenge', 'challenged'],
  ['risk_checked', 'authorise', 'authorised'],
  ['risk_checked', 'process', 'processing'],
  ['risk_checked', 'fail', 'failed'],
  ['risk_checked', 'hold_for_review', 'held_for_review'],
  ['held_for_review', 'release', 'processing'],
  ['held_for_review', 'fail', 'failed'],
  ['challenged', 'step_up_passed', 'authorised'],
  ['challenged', 'fail', 'failed'],
  ['authorised', 'process', 'processing'],
  ['authorised', 'fail', 'failed'],
  ['processing', 'settle', 'succeeded'],
  ['processing', 'fail', 'failed'],
  ['succeeded', 'reverse', 'reversed'],
];

test('every legal transition goes where the table says', () => {
  for (const [from, event, to] of legal) assert.deepEqual(nextState(from, event), { ok: true, to }, `${from} --${event}-->`);
});

test('every other (state, event) pair is refused', () => {
  let refused = 0;
  for (const from of paymentStates) {
    for (const event of paymentEvents) {
      if (legal.some(([f, e]) => f === from && e === event)) continue;
      const result = nextState(from, event);
      assert.equal(result.ok, false, `${from} --${event}--> must be refused`);
      if (!result.ok) assert.equal(result.code, 'payment_state_invalid');
      refused++;
    }
  }
  assert.equal(refused, paymentStates.length * paymentEvents.length - legal.length);
});

test('failed and reversed are terminal; succeeded only reverses', () => {
  assert.ok(isTerminal('failed') && isTerminal('reversed'));
  assert.ok(!isTerminal('succeeded'));
  for (const event of paymentEvents) if (event !== 'reverse') assert.equal(nextState('succeeded', event).ok, false);
});
