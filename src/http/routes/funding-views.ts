// Response whitelists of cards, top-ups, withdrawals and requests for money: the masked PAN at most,
// never a token's PAN, never a security code.
import { Type } from 'typebox';
import { currencyOf, formatMajor } from '../../money/index.ts';
import type { CollectRequest, FundingPayment, PaymentCard } from '../../payments/index.ts';
import { Nullable } from '../schemas.ts';

const iso = (ms: number) => new Date(ms).toISOString();

export const CardView = Type.Object({ id: Type.String(), maskedPan: Type.String(), bank: Type.String(), verified: Type.Boolean(), createdAt: Type.String() });
export const FundingView = Type.Object({
  id: Type.String(), kind: Type.String(), state: Type.String(), cardId: Type.String(), amount: Type.String(), currency: Type.String(), failureCode: Nullable(Type.String()),
  responseCode: Nullable(Type.String()), retrievalReference: Nullable(Type.String()), createdAt: Type.String(), updatedAt: Type.String(),
  transitions: Type.Optional(Type.Array(Type.Object({ from: Nullable(Type.String()), to: Type.String(), event: Type.String(), at: Type.String() }))),
});
export const CollectView = Type.Object({
  id: Type.String(), requesterId: Type.String(), payerId: Type.String(), amount: Type.String(), currency: Type.String(), note: Type.String(), state: Type.String(),
  paymentId: Nullable(Type.String()), expiresAt: Type.String(), createdAt: Type.String(),
});

export function cardView(c: PaymentCard) {
  return { id: c.id, maskedPan: c.maskedPan, bank: c.bank, verified: c.verifiedAt !== null, createdAt: iso(c.createdAt) };
}

export function fundingView(f: FundingPayment, transitions?: ReadonlyArray<{ from: string | null; to: string; event: string; at: number }>) {
  return {
    id: f.id, kind: f.kind, state: f.state, cardId: f.cardId, amount: formatMajor(f.amount, currencyOf(f.currency)), currency: f.currency, failureCode: f.failureCode,
    responseCode: f.exchange.responseCode, retrievalReference: f.exchange.retrievalReference, createdAt: iso(f.createdAt), updatedAt: iso(f.updatedAt),
    ...(transitions === undefined ? {} : { transitions: transitions.map((t) => ({ ...t, at: iso(t.at) })) }),
  };
}

export function collectView(c: CollectRequest) {
  return { ...c, amount: formatMajor(c.amount, currencyOf(c.currency)), expiresAt: iso(c.expiresAt), createdAt: iso(c.createdAt) };
}
