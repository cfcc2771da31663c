// The payer approves a request for money with a signed instruction naming it (kind collect_payment):
// amount and currency must be the request's; it is then paid like a transfer to the requester, and
// the request is claimed in the payment's own transaction so it can be paid once.
import { AnfuError } from '../errors.ts';
import { claimCollectRequest, collectRequestById, type PayingCustomer, type PaymentsContext } from '../payments/index.ts';
import { amountOf, replayOf, startSignedPayment, verifiedInstruction, type SignedRequest, type StartedPayment } from './start-signed-payment.ts';

export async function payCollectRequest(ctx: PaymentsContext, principal: PayingCustomer, requestId: string, request: SignedRequest): Promise<StartedPayment> {
  const replay = await replayOf(ctx, principal, request);
  if (replay !== undefined) return replay;
  const verified = await verifiedInstruction(ctx, principal, request);
  const { instruction } = verified;
  if (instruction.kind !== 'collect_payment' || instruction.target !== requestId) throw new AnfuError('instruction_mismatch', 'the instruction does not name this request for money');
  const collect = await collectRequestById(ctx.store, requestId, ctx.clock());
  if (collect === undefined || collect.payerId !== principal.customerId) throw new AnfuError('collect_request_not_found');
  if (collect.state !== 'pending') throw new AnfuError('collect_request_not_pending', `the request is ${collect.state}`);
  if (instruction.currency !== collect.currency) throw new AnfuError('currency_mismatch', 'the instruction currency is not the request currency');
  if (amountOf(ctx, verified) !== collect.amount) throw new AnfuError('instruction_mismatch', 'the instruction amount is not the requested amount');
  return startSignedPayment(ctx, principal, request, verified, {
    kind: 'collect_payment', payeeId: collect.requesterId, merchantId: null, subjectId: collect.id, fee: 0n,
    claim: (tx, paymentId, at) => claimCollectRequest(tx, collect.id, principal.customerId, paymentId, at),
  });
}
