// A customer pays a merchant's checkout order from the wallet with a signed instruction naming the
// order; the amount and currency must be the order's. The merchant's fee is computed from its rate.
// A merchant frozen by a sanctions hit (docs/sanctions.md "Merchants") is refused with `merchant_frozen`.
import { AnfuError } from '../errors.ts';
import { claimOrder, feeOf, merchantById, orderById, type PayingCustomer, type PaymentsContext } from '../payments/index.ts';
import { merchantFrozen } from '../sanctions/index.ts';
import { amountOf, refuse, replayOf, startSignedPayment, verifiedInstruction, type SignedRequest, type StartedPayment } from './start-signed-payment.ts';

export async function payOrder(ctx: PaymentsContext, principal: PayingCustomer, orderId: string, request: SignedRequest): Promise<StartedPayment> {
  const replay = await replayOf(ctx, principal, request);
  if (replay !== undefined) return replay;
  const verified = await verifiedInstruction(ctx, principal, request);
  const { instruction } = verified;
  if (instruction.kind !== 'order_payment' || instruction.target !== orderId) throw new AnfuError('instruction_mismatch', 'the instruction does not name this order');
  const now = ctx.clock();
  const order = await orderById(ctx.store, orderId, now);
  if (order === undefined) throw new AnfuError('order_not_found');
  if (order.state === 'expired') throw new AnfuError('order_expired');
  if (order.state !== 'open') throw new AnfuError('order_already_paid');
  if (instruction.currency !== order.currency) throw new AnfuError('currency_mismatch', 'the instruction currency is not the order currency');
  const amount = amountOf(ctx, verified);
  if (amount !== order.amount) throw new AnfuError('instruction_mismatch', 'the instruction amount is not the order amount');
  const merchant = await merchantById(ctx.store, order.merchantId);
  if (merchant === undefined || merchant.status !== 'active') throw new AnfuError('merchant_not_found');
  // A merchant frozen by a sanctions hit takes no payment (audited as a refused instruction; nothing moves).
  if (await merchantFrozen(ctx.store, merchant.id))
    return refuse(ctx, principal, request, new AnfuError('merchant_frozen'));
  // Lists change after onboarding: the payee is screened again before money moves.
  await ctx.screenPayee?.({ id: merchant.id, name: merchant.name });
  return startSignedPayment(ctx, principal, request, verified, {
    kind: 'order_payment', payeeId: merchant.id, merchantId: merchant.id, subjectId: order.id, fee: feeOf(amount, merchant.feeBps),
    // Checked again where the order is claimed: a freeze committed since the check above stops it here.
    claim: async (tx, paymentId, at) => {
      if (await merchantFrozen(tx, merchant.id)) throw new AnfuError('merchant_frozen');
      await claimOrder(tx, order.id, paymentId, at);
    },
  });
}
