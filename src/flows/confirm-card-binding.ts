// The second step of binding a card: the customer types the one-time code the issuer sent to the
// cardholder's phone, and the platform forwards it to the issuer (0100/33 naming the verification
// by its RRN in field 37). Only the issuer's 00 binds the card, verified. Wrong codes are bounded
// twice: by the issuer (55, then 75) and by the platform (`otpAttemptsMax`); an expired or closed
// binding answers card_binding_not_found. The card is bound in the transaction that closes the
// binding, against a unique index, so one card never ends verified for two customers.
import { appendAudit } from '../audit/index.ts';
import { AnfuError, type ProblemCode } from '../errors.ts';
import { newId } from '../ids.ts';
import {
  cardBindingById, cardsOf, countOtpAttempt, settleCardBinding, upsertVerifiedCard, verifiedCardHolderOf,
  type CardBinding, type CardFunding, type CustomerPrincipal, type PaymentCard, type PaymentsContext,
} from '../payments/index.ts';
import { cny } from './bind-card.ts';

async function closeBinding(ctx: PaymentsContext, principal: CustomerPrincipal, binding: CardBinding, code: ProblemCode, ip: string | null, extra: Record<string, unknown> = {}): Promise<never> {
  const now = ctx.clock();
  await ctx.store.transaction(async (tx) => {
    await settleCardBinding(tx, binding.id, 'refused', code, now);
    await appendAudit(tx, [{ actorType: 'customer', actorId: principal.customerId, device: principal.deviceId, ip, action: 'card.bind.confirm', target: binding.id, outcome: 'denied', details: { reason: code, ...extra } }], now);
  });
  throw new AnfuError(code, undefined, { bindingId: binding.id });
}

async function auditRefusal(ctx: PaymentsContext, principal: CustomerPrincipal, bindingId: string, code: ProblemCode, ip: string | null, extra: Record<string, unknown> = {}): Promise<void> {
  const now = ctx.clock();
  await ctx.store.transaction(async (tx) => {
    await appendAudit(tx, [{ actorType: 'customer', actorId: principal.customerId, device: principal.deviceId, ip, action: 'card.bind.confirm', target: bindingId, outcome: 'denied', details: { reason: code, ...extra } }], now);
  });
}

/** The binding, if it is this customer's and still waits for its code; refusals are audited. */
async function waitingBinding(ctx: PaymentsContext, principal: CustomerPrincipal, bindingId: string, ip: string | null): Promise<CardBinding> {
  const binding = await cardBindingById(ctx.store, bindingId);
  if (binding === undefined || binding.customerId !== principal.customerId || binding.state !== 'code_sent' || binding.cardToken === null || binding.retrievalReference === null) {
    await auditRefusal(ctx, principal, bindingId, 'card_binding_not_found', ip);
    throw new AnfuError('card_binding_not_found');
  }
  if (binding.expiresAt <= ctx.clock()) return closeBinding(ctx, principal, binding, 'card_binding_not_found', ip, { expired: true });
  if (binding.otpAttempts >= ctx.settings.cardBinding.otpAttemptsMax) return closeBinding(ctx, principal, binding, 'card_otp_attempts_exhausted', ip);
  return binding;
}

async function wrongCode(ctx: PaymentsContext, principal: CustomerPrincipal, binding: CardBinding, ip: string | null): Promise<never> {
  const attempts = (await countOtpAttempt(ctx.store, binding.id, ctx.clock())) ?? ctx.settings.cardBinding.otpAttemptsMax;
  const remaining = Math.max(0, ctx.settings.cardBinding.otpAttemptsMax - attempts);
  if (remaining === 0) return closeBinding(ctx, principal, binding, 'card_otp_attempts_exhausted', ip);
  await auditRefusal(ctx, principal, binding.id, 'card_otp_invalid', ip, { attemptsRemaining: remaining });
  throw new AnfuError('card_otp_invalid', undefined, { bindingId: binding.id, attemptsRemaining: remaining });
}

export async function confirmCardBinding(ctx: PaymentsContext, funding: CardFunding, principal: CustomerPrincipal, input: { bindingId: string; code: string; ip: string | null }): Promise<PaymentCard> {
  const binding = await waitingBinding(ctx, principal, input.bindingId, input.ip);
  const token = binding.cardToken as string;
  const { pan, expiry } = await funding.vault.detokenise(token, { purpose: 'card_authorisation', actor: principal.customerId });
  // The vault keeps MM/YYYY; field 14 is YYMM.
  const match = expiry === undefined ? null : /^([0-9]{2})\/[0-9]{2}([0-9]{2})$/.exec(expiry);
  if (match === null) return closeBinding(ctx, principal, binding, 'card_declined', input.ip, { responseCode: '54' });
  const result = await funding.link.confirmOneTimeCode({ pan, expiry: `${match[2] ?? ''}${match[1] ?? ''}`, retrievalReference: binding.retrievalReference as string, code: input.code, currency: cny() });
  if (result.outcome === 'unavailable') {
    // Nothing decided: the binding keeps waiting and the customer may send the code again.
    await auditRefusal(ctx, principal, binding.id, 'card_issuer_unavailable', input.ip);
    throw new AnfuError('card_issuer_unavailable', undefined, { bindingId: binding.id });
  }
  if (result.outcome === 'declined') {
    if (result.responseCode === '55') return wrongCode(ctx, principal, binding, input.ip);
    const code: ProblemCode = result.responseCode === '75' ? 'card_otp_attempts_exhausted' : result.responseCode === '25' ? 'card_binding_not_found' : 'card_declined';
    return closeBinding(ctx, principal, binding, code, input.ip, { responseCode: result.responseCode });
  }
  return bindVerified(ctx, principal, binding, token, input.ip);
}

async function bindVerified(ctx: PaymentsContext, principal: CustomerPrincipal, binding: CardBinding, token: string, ip: string | null): Promise<PaymentCard> {
  const now = ctx.clock();
  const bound = await ctx.store.transaction(async (tx) => {
    const holder = await verifiedCardHolderOf(tx, token);
    if (holder !== undefined && holder !== principal.customerId) return false;
    if ((await settleCardBinding(tx, binding.id, 'verified', null, now)) !== 1) throw new AnfuError('card_binding_not_found');
    await upsertVerifiedCard(tx, { id: newId('card', now), customerId: principal.customerId, cardToken: token, maskedPan: binding.maskedPan ?? '', bank: binding.bank }, now);
    await appendAudit(tx, [{
      actorType: 'customer', actorId: principal.customerId, device: principal.deviceId, ip, action: 'card.add', target: binding.id, outcome: 'success',
      details: { bank: binding.bank, maskedPan: binding.maskedPan, verifiedBy: 'issuer' },
    }], now);
    return true;
  }).catch((error: unknown) => {
    // The unique index on verified cards: another customer's binding of this card won a race.
    const code = (error as { code?: unknown } | null)?.code;
    if (code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE') return false;
    throw error;
  });
  if (!bound) return closeBinding(ctx, principal, binding, 'card_bound_elsewhere', ip);
  const card = (await cardsOf(ctx.store, principal.customerId)).find((c) => c.cardToken === token);
  if (card === undefined) throw new Error('payments invariant: the bound card vanished');
  return card;
}
