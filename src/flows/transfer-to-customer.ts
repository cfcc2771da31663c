// Customer-to-customer transfers: the payer first looks the payee up (by mobile number or wallet id)
// and sees the masked name; the signed instruction then names the payee's wallet id.
import { appendAudit } from '../audit/index.ts';
import { AnfuError } from '../errors.ts';
import type { PayingCustomer, PaymentsContext } from '../payments/index.ts';
import { countHit } from '../throttle/index.ts';
import {
  replayOf,
  startSignedPayment,
  verifiedInstruction,
  type SignedRequest,
  type StartedPayment,
} from './start-signed-payment.ts';

export interface PayeeConfirmation {
  readonly walletId: string;
  readonly maskedName: string;
}

/**
 * A lookup tells whether a phone number holds a wallet and whose masked name it is: counted per
 * customer per hour (shared by every process) and audited, so enumerating numbers is slow and seen.
 */
export async function lookUpPayee(
  ctx: PaymentsContext,
  principal: PayingCustomer,
  by: { phone?: string | undefined; walletId?: string | undefined },
  ip: string | null = null,
): Promise<PayeeConfirmation> {
  const id = by.walletId ?? (by.phone === undefined ? undefined : await ctx.identity.customerIdByPhone(by.phone));
  const found = id === undefined ? undefined : await ctx.identity.customer(id);
  const customer = found?.status === 'active' ? found : undefined;
  const now = ctx.clock();
  const verdict = await ctx.store.transaction(async (tx) => {
    const count = await countHit(tx, `payee-lookup:${principal.customerId}`, 3600_000, now);
    const allowed = count.hits <= ctx.settings.payeeLookupsPerHourMax;
    const outcome = !allowed ? 'denied' : customer === undefined ? 'failure' : 'success';
    const details = {
      by: by.walletId === undefined ? 'phone' : 'wallet_id',
      lookupsThisHour: count.hits,
      ...(allowed ? {} : { reason: 'throttled' }),
    };
    await appendAudit(
      tx,
      [
        {
          actorType: 'customer',
          actorId: principal.customerId,
          device: principal.deviceId,
          ip,
          action: 'payee.lookup',
          target: allowed ? (customer?.id ?? null) : null,
          outcome,
          details,
        },
      ],
      now,
    );
    return { allowed, retryAfterSeconds: Math.ceil((count.resetAt - now) / 1000) };
  });
  if (!verdict.allowed)
    throw new AnfuError('payee_lookup_throttled', undefined, { retryAfterSeconds: verdict.retryAfterSeconds });
  if (customer === undefined) throw new AnfuError('payee_not_found');
  if (customer.id === principal.customerId) throw new AnfuError('payee_is_payer');
  const maskedName = await ctx.identity.maskedName(customer.id);
  return { walletId: customer.id, maskedName: maskedName ?? '*' };
}

export async function transferToCustomer(
  ctx: PaymentsContext,
  principal: PayingCustomer,
  request: SignedRequest,
): Promise<StartedPayment> {
  const replay = await replayOf(ctx, principal, request);
  if (replay !== undefined) return replay;
  const verified = await verifiedInstruction(ctx, principal, request);
  if (verified.instruction.kind !== 'transfer')
    throw new AnfuError('instruction_mismatch', 'a transfer needs an instruction of kind transfer');
  const payeeId = verified.instruction.target;
  if (payeeId === principal.customerId) throw new AnfuError('payee_is_payer');
  const payee = await ctx.identity.customer(payeeId);
  if (payee === undefined || payee.status !== 'active') throw new AnfuError('payee_not_found');
  return startSignedPayment(ctx, principal, request, verified, {
    kind: 'transfer',
    payeeId,
    merchantId: null,
    subjectId: null,
    fee: 0n,
  });
}
