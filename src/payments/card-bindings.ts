// The life of a card binding (docs/payments.md "Card binding"): opened `code_sent` (or recorded
// `refused` straight away), wrong one-time codes counted, closed `refused`, or `verified` with the
// card bound to the customer in the same step. The flows around them speak to the issuer and audit.
import { AnfuError } from '../errors.ts';
import type { Queryable, Tx } from '../store/index.ts';
import {
  countOtpAttempt,
  insertCardBinding,
  settleCardBinding,
  upsertVerifiedCard,
  verifiedCardHolderOf,
  type CardBinding,
} from './card-binding-store.ts';

/** Records a binding attempt as the issuer left it: waiting for its code, or refused at once. */
export function openCardBinding(q: Queryable, binding: CardBinding): Promise<void> {
  return insertCardBinding(q, binding);
}

/** Counts a wrong one-time code; the attempts made so far (undefined when the binding no longer waits). */
export function countWrongCode(q: Queryable, bindingId: string, now: number): Promise<number | undefined> {
  return countOtpAttempt(q, bindingId, now);
}

/** Closes a waiting binding as refused with the code (no-op when it was closed meanwhile). */
export async function refuseCardBinding(tx: Tx, bindingId: string, code: string, now: number): Promise<void> {
  await settleCardBinding(tx, bindingId, 'refused', code, now);
}

/**
 * The issuer confirmed the code: the binding is verified and the card bound to the customer (a removed
 * one re-activated). False when the card is verified for another customer (nothing changed); throws
 * `card_binding_not_found` when the binding stopped waiting meanwhile. In the caller's transaction.
 */
export async function bindVerifiedCard(
  tx: Tx,
  bindingId: string,
  card: { id: string; customerId: string; cardToken: string; maskedPan: string; bank: string },
  now: number,
): Promise<boolean> {
  const holder = await verifiedCardHolderOf(tx, card.cardToken);
  if (holder !== undefined && holder !== card.customerId) return false;
  const settled = await settleCardBinding(tx, bindingId, 'verified', null, now);
  if (settled !== 1) throw new AnfuError('card_binding_not_found');
  await upsertVerifiedCard(tx, card, now);
  return true;
}
