// A payment that risk control challenged waits in `challenged` until the payer passes a step-up
// factor; then it is authorised, processed and settled like any other. Step-up attempts are bounded
// (identity counts them): the attempt that exhausts them fails the payment, releasing its reserved
// limits and its order or request for money. Past ANFU_CHALLENGE_TTL_MS it has expired (or expires
// now) and the step-up is refused with `challenge_expired`. A payer frozen meanwhile (`customer_frozen`)
// or a payee merchant frozen meanwhile (`merchant_frozen`) fails it.
import { AnfuError } from '../errors.ts';
import { merchantFrozen } from '../sanctions/index.ts';
import { formatMajor, currencyOf } from '../money/index.ts';
import {
  failPayment, paymentById, recordTransition, refuseLapsedChallenge, settlePayment,
  type PayingCustomer, type Payment, type PaymentStepUpFactor, type PaymentsContext,
} from '../payments/index.ts';

async function challengedPaymentOf(
  ctx: PaymentsContext,
  principal: PayingCustomer,
  paymentId: string,
): Promise<Payment> {
  const payment = await paymentById(ctx.store, paymentId);
  if (payment === undefined || payment.payerId !== principal.customerId) throw new AnfuError('payment_not_found');
  if (payment.failureCode === 'challenge_expired') throw new AnfuError('challenge_expired');
  if (payment.state !== 'challenged')
    throw new AnfuError('payment_state_invalid', `the payment is ${payment.state}, not challenged`);
  // A step-up after the window is refused even before the sweep has expired the payment.
  await refuseLapsedChallenge(ctx, payment);
  return payment;
}

export async function resumeChallengedPayment(
  ctx: PaymentsContext,
  principal: PayingCustomer,
  paymentId: string,
  factor: PaymentStepUpFactor,
  ip: string | null = null,
): Promise<Payment> {
  const payment = await challengedPaymentOf(ctx, principal, paymentId);
  // A freeze that arrived while the payment waited (a sanctions hit under review) holds it too: it fails,
  // giving back its limits and its order or request, before any factor is checked.
  if ((await ctx.identity.customer(principal.customerId))?.outgoingFrozen === true) {
    await failPayment(ctx, payment, 'customer_frozen');
    throw new AnfuError('customer_frozen', undefined, { paymentId });
  }
  // The same for a payee merchant frozen meanwhile: no money reaches it.
  if (payment.merchantId !== null && (await merchantFrozen(ctx.store, payment.merchantId))) {
    await failPayment(ctx, payment, 'merchant_frozen');
    throw new AnfuError('merchant_frozen', undefined, { paymentId });
  }
  const verdict = await ctx.identity.verifyStepUp({
    customerId: principal.customerId,
    deviceId: principal.deviceId,
    paymentId,
    factor,
    ip,
  });
  if (verdict.outcome === 'exhausted') {
    const current = await paymentById(ctx.store, paymentId);
    if (current?.state === 'challenged') await failPayment(ctx, current, 'step_up_exhausted');
    throw new AnfuError(
      'step_up_exhausted',
      verdict.bound === 'day' ? 'too many wrong step-up answers today' : undefined,
      { paymentId },
    );
  }
  if (verdict.outcome === 'failed')
    throw new AnfuError(factor.kind === 'passkey' ? 'passkey_failed' : 'code_invalid', undefined, {
      attemptsLeft: verdict.attemptsLeft,
    });
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

/** Sends the SMS code that authorises this one payment; the text names the amount. */
export async function sendPaymentStepUpCode(
  ctx: PaymentsContext,
  principal: PayingCustomer,
  paymentId: string,
): Promise<{ codeId: string; expiresAt: number }> {
  const payment = await challengedPaymentOf(ctx, principal, paymentId);
  const summary = `支付 ${formatMajor(payment.amount, currencyOf(payment.currency))} ${payment.currency}`;
  return ctx.identity.sendStepUpCode({
    customerId: principal.customerId,
    deviceId: principal.deviceId,
    paymentId,
    summary,
  });
}

/** WebAuthn options whose challenge only this payment's step-up accepts. */
export async function paymentStepUpPasskeyOptions(
  ctx: PaymentsContext,
  principal: PayingCustomer,
  paymentId: string,
): Promise<unknown> {
  await challengedPaymentOf(ctx, principal, paymentId);
  return ctx.identity.stepUpPasskeyOptions(principal.customerId, paymentId);
}
