// A customer binds a bank card for top-ups (and, once an approved top-up proves the customer holds
// it, withdrawals). The PAN is Luhn-checked and goes straight into the token vault; only the token
// and the masked PAN are kept here. The security code (CVV2/CVN2) may be sent with the request, but
// the ISO 8583:1987 field set the card link speaks has no field for it, so it is dropped at the
// route and never reaches this function, the store or a log.
import { appendAudit } from '../audit/index.ts';
import { luhnValid } from '../banks/index.ts';
import { AnfuError } from '../errors.ts';
import { newId } from '../ids.ts';
import type { CardFunding } from './card-funding.ts';
import { cardByToken, insertCard, type PaymentCard } from './funding-store.ts';
import type { PayingCustomer } from './payment-identity.ts';
import type { PaymentsContext } from './payments-context.ts';

export interface CardDetails {
  readonly pan: string;
  readonly expiryMonth: number;
  readonly expiryYear: number;
}

/** Binds the card to the customer; binding the same card again answers the existing binding. */
export async function addCard(ctx: PaymentsContext, funding: CardFunding, principal: PayingCustomer, details: CardDetails): Promise<{ card: PaymentCard; created: boolean }> {
  const digits = details.pan.replace(/[\s-]/g, '');
  if (!/^[0-9]{12,19}$/.test(digits) || !luhnValid(digits)) throw new AnfuError('card_number_invalid', 'a card number is 12 to 19 digits with a valid check digit');
  const now = ctx.clock();
  if (details.expiryYear * 12 + details.expiryMonth < yearMonthOf(now)) throw new AnfuError('validation_failed', 'the card has expired');
  const { token, maskedPan } = await funding.vault.tokenise({ pan: digits, expiryMonth: details.expiryMonth, expiryYear: details.expiryYear });
  const existing = await cardByToken(ctx.store, principal.customerId, token);
  if (existing !== undefined && existing.status === 'active') return { card: existing, created: false };
  const card: PaymentCard = { id: newId('card', now), customerId: principal.customerId, cardToken: token, maskedPan, bank: funding.bank, status: 'active', verifiedAt: null, createdAt: now };
  await ctx.store.transaction(async (tx) => {
    await insertCard(tx, card);
    await appendAudit(tx, [{ actorType: 'customer', actorId: principal.customerId, device: principal.deviceId, action: 'card.add', target: card.id, outcome: 'success', details: { bank: card.bank } }], now);
  });
  const stored = await cardByToken(ctx.store, principal.customerId, token);
  if (stored === undefined) throw new Error('payments invariant: card vanished after insert');
  return { card: stored, created: stored.id === card.id };
}

function yearMonthOf(now: number): number {
  const date = new Date(now + 8 * 3600_000); // Beijing
  return date.getUTCFullYear() * 12 + date.getUTCMonth() + 1;
}
