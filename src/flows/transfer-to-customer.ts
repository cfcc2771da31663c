// Customer-to-customer transfers: the payer first looks the payee up (by mobile number or wallet id)
// and sees the masked name; the signed instruction then names the payee's wallet id.
import { AnfuError } from '../errors.ts';
import type { PayingCustomer, PaymentsContext } from '../payments/index.ts';
import { replayOf, startSignedPayment, verifiedInstruction, type SignedRequest, type StartedPayment } from './start-signed-payment.ts';

export interface PayeeConfirmation {
  readonly walletId: string;
  readonly maskedName: string;
}

export async function lookUpPayee(ctx: PaymentsContext, principal: PayingCustomer, by: { phone?: string | undefined; walletId?: string | undefined }): Promise<PayeeConfirmation> {
  const id = by.walletId ?? (by.phone === undefined ? undefined : await ctx.identity.customerIdByPhone(by.phone));
  const customer = id === undefined ? undefined : await ctx.identity.customer(id);
  if (customer === undefined || customer.status !== 'active') throw new AnfuError('payee_not_found');
  if (customer.id === principal.customerId) throw new AnfuError('payee_is_payer');
  const maskedName = await ctx.identity.maskedName(customer.id);
  return { walletId: customer.id, maskedName: maskedName ?? '*' };
}

export async function transferToCustomer(ctx: PaymentsContext, principal: PayingCustomer, request: SignedRequest): Promise<StartedPayment> {
  const replay = await replayOf(ctx, principal, request);
  if (replay !== undefined) return replay;
  const verified = await verifiedInstruction(ctx, principal, request);
  if (verified.instruction.kind !== 'transfer') throw new AnfuError('instruction_mismatch', 'a transfer needs an instruction of kind transfer');
  const payeeId = verified.instruction.target;
  if (payeeId === principal.customerId) throw new AnfuError('payee_is_payer');
  const payee = await ctx.identity.customer(payeeId);
  if (payee === undefined || payee.status !== 'active') throw new AnfuError('payee_not_found');
  return startSignedPayment(ctx, principal, request, verified, { kind: 'transfer', payeeId, merchantId: null, subjectId: null, fee: 0n });
}
