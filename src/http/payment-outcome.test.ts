// The one status mapping of a payment outcome, as a table: every state a payment, card payment,
// refund, order or request can answer with, first time, retried, and resumed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AnfuError } from '../errors.ts';
import { paymentStatusOf, problemCodeOf, type PaymentOutcome } from './payment-outcome.ts';

type Row = [state: string, failureCode: string | null, replayed: boolean, created: boolean, expected: number | string];

const table: Row[] = [
  // created by this request
  ['succeeded', null, false, true, 201],
  ['open', null, false, true, 201], // an order
  ['pending', null, false, true, 201], // a request for money
  ['challenged', null, false, true, 202],
  ['held_for_review', null, false, true, 202],
  ['processing', null, false, true, 202],
  ['awaiting_approval', null, false, true, 202], // a refund waiting for a checker
  ['created', null, false, true, 202],
  ['risk_checked', null, false, true, 202],
  ['authorised', null, false, true, 202],
  // a retry answers 200 whatever the state, unless it failed
  ['succeeded', null, true, true, 200],
  ['challenged', null, true, true, 200],
  ['processing', null, true, true, 200],
  ['paid', null, true, true, 200], // an order paid since
  ['reversed', null, true, true, 200],
  // a resume (step-up) that finished, or is still at the bank
  ['succeeded', null, false, false, 200],
  ['processing', null, false, false, 202],
  // failures are their problem, first time and on a retry
  ['failed', 'payment_denied', false, true, 'payment_denied'],
  ['failed', 'insufficient_funds', false, true, 'insufficient_funds'],
  ['failed', 'insufficient_funds', true, true, 'insufficient_funds'],
  ['failed', 'card_declined', false, true, 'card_declined'],
  ['failed', 'card_issuer_unavailable', false, false, 'card_issuer_unavailable'],
  ['failed', 'challenge_expired', false, false, 'challenge_expired'],
  ['failed', 'not_a_registered_code', false, true, 'payment_state_invalid'],
  ['failed', null, false, true, 'payment_state_invalid'],
  ['rejected', 'proposal_rejected', true, true, 'payment_state_invalid'],
];

for (const [state, failureCode, replayed, created, expected] of table) {
  const how = replayed ? 'retried' : created ? 'new' : 'resumed';
  test(`${state}${failureCode === null ? '' : ` (${failureCode})`}, ${how} → ${expected}`, () => {
    const outcome: PaymentOutcome = {
      id: 'pay_1',
      state,
      failureCode,
      replayed,
      created,
      details: { responseCode: '51' },
    };
    if (typeof expected === 'number') {
      assert.equal(paymentStatusOf(outcome), expected);
      return;
    }
    assert.throws(
      () => paymentStatusOf(outcome),
      (error: unknown) => {
        assert.ok(error instanceof AnfuError);
        assert.equal(error.code, expected);
        assert.deepEqual(error.extra, { paymentId: 'pay_1', responseCode: '51' });
        return true;
      },
    );
  });
}

test('a refund or order failure names its own id', () => {
  assert.throws(
    () =>
      paymentStatusOf({
        id: 'rfd_1',
        idField: 'refundId',
        state: 'failed',
        failureCode: 'insufficient_funds',
        replayed: false,
        created: true,
      }),
    (error: unknown) =>
      error instanceof AnfuError && error.code === 'insufficient_funds' && error.extra?.refundId === 'rfd_1',
  );
  assert.equal(problemCodeOf('order_expired'), 'order_expired');
});
