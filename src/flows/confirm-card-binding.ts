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
  nextCardStan,
  cardBindingById,
  cardsOf,
  countWrongCode,
  refuseCardBinding,
  bindVerifiedCard,
  type CardBinding,
  type CardFunding,
  type PayingCustomer,
  type PaymentCard,
  type PaymentsContext,
} from '../payments/index.ts';
import type { Tx } from '../store/index.ts';
import { cny } from './bind-card.ts';

/** Who confirms, from where: what every audit entry of this step names. */
interface Confirming {
  readonly ctx: PaymentsContext;
  readonly principal: PayingCustomer;
  readonly ip: string | null;
}

async function auditRefusal(
  c: Confirming,
  tx: Tx,
  bindingId: string,
  code: ProblemCode,
  extra: Record<string, unknown>,
): Promise<void> {
  const { principal, ip } = c;
  await appendAudit(
    tx,
    [
      {
        actorType: 'customer',
        actorId: principal.customerId,
        device: principal.deviceId,
        ip,
        action: 'card.bind.confirm',
        target: bindingId,
        outcome: 'denied',
        details: { reason: code, ...extra },
      },
    ],
    c.ctx.clock(),
  );
}

/** Audits a refusal that leaves the binding waiting, and throws it. */
async function refuse(
  c: Confirming,
  bindingId: string,
  code: ProblemCode,
  extra: Record<string, unknown> = {},
): Promise<never> {
  await c.ctx.store.transaction((tx) => auditRefusal(c, tx, bindingId, code, extra));
  throw new AnfuError(code, undefined, { bindingId, ...extra });
}

/** Closes the binding as refused (it cannot be confirmed any more), audits, and throws. */
async function close(
  c: Confirming,
  binding: CardBinding,
  code: ProblemCode,
  extra: Record<string, unknown> = {},
): Promise<never> {
  await c.ctx.store.transaction(async (tx) => {
    await refuseCardBinding(tx, binding.id, code, c.ctx.clock());
    await auditRefusal(c, tx, binding.id, code, extra);
  });
  throw new AnfuError(code, undefined, { bindingId: binding.id });
}

/** The binding, if it is this customer's and still waits for its code; refusals are audited. */
async function waitingBinding(c: Confirming, bindingId: string): Promise<CardBinding> {
  const binding = await cardBindingById(c.ctx.store, bindingId);
  const waiting =
    binding !== undefined && binding.customerId === c.principal.customerId && binding.state === 'code_sent';
  if (!waiting || binding.cardToken === null || binding.retrievalReference === null)
    return refuse(c, bindingId, 'card_binding_not_found');
  if (binding.expiresAt <= c.ctx.clock()) return close(c, binding, 'card_binding_not_found', { expired: true });
  if (binding.otpAttempts >= c.ctx.settings.cardBinding.otpAttemptsMax)
    return close(c, binding, 'card_otp_attempts_exhausted');
  return binding;
}

async function wrongCode(c: Confirming, binding: CardBinding): Promise<never> {
  const max = c.ctx.settings.cardBinding.otpAttemptsMax;
  const attempts = (await countWrongCode(c.ctx.store, binding.id, c.ctx.clock())) ?? max;
  const remaining = Math.max(0, max - attempts);
  if (remaining === 0) return close(c, binding, 'card_otp_attempts_exhausted');
  return refuse(c, binding.id, 'card_otp_invalid', { attemptsRemaining: remaining });
}

export async function confirmCardBinding(
  ctx: PaymentsContext,
  funding: CardFunding,
  principal: PayingCustomer,
  input: { bindingId: string; code: string; ip: string | null },
): Promise<PaymentCard> {
  const c: Confirming = { ctx, principal, ip: input.ip };
  const binding = await waitingBinding(c, input.bindingId);
  const token = binding.cardToken as string;
  const { pan, expiry } = await funding.vault.detokenise(token, {
    purpose: 'card_authorisation',
    actor: principal.customerId,
  });
  // The vault keeps MM/YYYY; field 14 is YYMM.
  const match = expiry === undefined ? null : /^([0-9]{2})\/[0-9]{2}([0-9]{2})$/.exec(expiry);
  if (match === null) return close(c, binding, 'card_declined', { responseCode: '54' });
  const result = await funding.link.confirmOneTimeCode({
    stan: await nextCardStan(c.ctx.store, c.ctx.clock()),
    pan,
    expiry: `${match[2] ?? ''}${match[1] ?? ''}`,
    retrievalReference: binding.retrievalReference as string,
    code: input.code,
    currency: cny(),
  });
  // Nothing decided: the binding keeps waiting and the customer may send the code again.
  if (result.outcome === 'unavailable') return refuse(c, binding.id, 'card_issuer_unavailable');
  if (result.outcome === 'declined') {
    if (result.responseCode === '55') return wrongCode(c, binding);
    const closing: Readonly<Record<string, ProblemCode>> = {
      '75': 'card_otp_attempts_exhausted',
      '25': 'card_binding_not_found',
    };
    return close(c, binding, closing[result.responseCode] ?? 'card_declined', { responseCode: result.responseCode });
  }
  return bindVerified(c, binding, token);
}

async function bindVerified(c: Confirming, binding: CardBinding, token: string): Promise<PaymentCard> {
  const { ctx, principal, ip } = c;
  const now = ctx.clock();
  const card = {
    id: newId('card', now),
    customerId: principal.customerId,
    cardToken: token,
    maskedPan: binding.maskedPan ?? '',
    bank: binding.bank,
  };
  const bound = await ctx.store
    .transaction(async (tx) => {
      if (!(await bindVerifiedCard(tx, binding.id, card, now))) return false;
      await appendAudit(
        tx,
        [
          {
            actorType: 'customer',
            actorId: principal.customerId,
            device: principal.deviceId,
            ip,
            action: 'card.add',
            target: binding.id,
            outcome: 'success',
            details: { bank: binding.bank, maskedPan: binding.maskedPan, verifiedBy: 'issuer' },
          },
        ],
        now,
      );
      return true;
    })
    .catch((error: unknown) => {
      // The unique index on verified cards: another customer's binding of this card won a race.
      const code = (error as { code?: unknown } | null)?.code;
      if (code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE') return false;
      throw error;
    });
  if (!bound) return close(c, binding, 'card_bound_elsewhere');
  const stored = (await cardsOf(ctx.store, principal.customerId)).find((x) => x.cardToken === token);
  if (stored === undefined) throw new Error('payments invariant: the bound card vanished');
  return stored;
}
