// The payment state machine: one pure transition function over a closed table. Every state change
// of a payment goes through `nextState`; anything not in the table is refused.

export const paymentStates = [
  'created', 'risk_checked', 'challenged', 'held_for_review', 'authorised', 'processing', 'succeeded', 'failed',
  'reversed',
] as const;
export type PaymentState = (typeof paymentStates)[number];

export const paymentEvents = [
  'risk_assessed', 'challenge', 'hold_for_review', 'step_up_passed', 'release', 'authorise', 'process', 'settle',
  'fail', 'reverse',
] as const;
export type PaymentEvent = (typeof paymentEvents)[number];

/**
 * from → event → to. Terminal states (failed, reversed) have no way out; succeeded only reverses. A
 * payment risk sends to review waits `held_for_review` (its amount held in the ledger) until an analyst
 * releases it (on to processing) or rejects it, or its deadline fails it (docs/payments.md).
 */
export const transitionTable: Readonly<Record<PaymentState, Partial<Record<PaymentEvent, PaymentState>>>> = {
  created: { risk_assessed: 'risk_checked', fail: 'failed' },
  risk_checked: {
    challenge: 'challenged', hold_for_review: 'held_for_review', authorise: 'authorised', process: 'processing',
    fail: 'failed',
  },
  challenged: { step_up_passed: 'authorised', fail: 'failed' },
  held_for_review: { release: 'processing', fail: 'failed' },
  authorised: { process: 'processing', fail: 'failed' },
  processing: { settle: 'succeeded', fail: 'failed' },
  succeeded: { reverse: 'reversed' },
  failed: {},
  reversed: {},
};

export type TransitionResult = { readonly ok: true; readonly to: PaymentState } | { readonly ok: false; readonly code: 'payment_state_invalid'; readonly detail: string };

export function nextState(from: PaymentState, event: PaymentEvent): TransitionResult {
  const to = transitionTable[from][event];
  if (to === undefined) return { ok: false, code: 'payment_state_invalid', detail: `a ${from} payment cannot take '${event}'` };
  return { ok: true, to };
}

export function isTerminal(state: PaymentState): boolean {
  return Object.keys(transitionTable[state]).length === 0;
}
