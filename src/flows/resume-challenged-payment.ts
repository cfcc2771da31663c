// A payment that risk control challenged waits in `challenged` until the payer passes a step-up
// factor; then it is authorised, processed and settled like any other. Past ANFU_CHALLENGE_TTL_MS
// it has expired (or expires now) and the step-up is refused with `challenge_expired`.
import { AnfuError } from '../errors.ts';
import { paymentById, recordTransition, refuseLapsedChallenge, settlePayment, type PayingCustomer, type Payment, type PaymentsContext } from '../payments/index.ts';

export async function resumeChallengedPayment(ctx: PaymentsContext, principal: PayingCustomer, paymentId: string, factor: { kind: 'totp' | 'sms'; code: string }): Promise<Payment> {
  const payment = await paymentById(ctx.store, paymentId);
  if (payment === undefined || payment.payerId !== principal.customerId) throw new AnfuError('payment_not_found');
  if (payment.failureCode === 'challenge_expired') throw new AnfuError('challenge_expired');
  if (payment.state !== 'challenged') throw new AnfuError('payment_state_invalid', `the payment is ${payment.state}, not challenged`);
  // A step-up after the window is refused even before the sweep has expired the payment.
  await refuseLapsedChallenge(ctx, payment);
  if (!(await ctx.identity.verifyStepUp(principal.customerId, factor))) throw new AnfuError('code_invalid');
  const actor = { type: 'customer' as const, id: principal.customerId, device: principal.deviceId };
  const now = ctx.clock();
  await ctx.store.transaction(async (tx) => {
    const authorised = await recordTransition(tx, payment, 'step_up_passed', actor, now, { reasons: [factor.kind] });
    await recordTransition(tx, { ...payment, state: authorised }, 'process', actor, now);
  });
  const processing = await paymentById(ctx.store, paymentId);
  if (processing === undefined) throw new Error('payments invariant: payment vanished');
  return settlePayment(ctx, processing);
}
