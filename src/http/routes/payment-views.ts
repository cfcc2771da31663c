// Response whitelists of the payments API: only these fields ever leave, amounts as strings.
import { Type } from 'typebox';
import { currencyOf, formatMajor } from '../../money/index.ts';
import type { CheckoutOrder, Payment, PaymentTransition, StoredInstruction } from '../../payments/index.ts';
import type { HistoryEntry, Refund } from '../../payments/index.ts';
import { Nullable, Page } from '../schemas.ts';

const money = (minor: bigint, currency: string) => formatMajor(minor, currencyOf(currency));

export const TransitionView = Type.Object({ from: Nullable(Type.String()), to: Type.String(), event: Type.String(), actorType: Type.String(), at: Type.String() });
export const PaymentView = Type.Object({
  id: Type.String(), kind: Type.String(), state: Type.String(), payerId: Type.String(), payeeId: Type.String(), merchantId: Nullable(Type.String()), orderId: Nullable(Type.String()),
  amount: Type.String(), fee: Type.String(), refunded: Type.String(), currency: Type.String(), failureCode: Nullable(Type.String()), riskReasons: Type.Array(Type.String()),
  createdAt: Type.String(), updatedAt: Type.String(), transitions: Type.Optional(Type.Array(TransitionView)),
});
export const PaymentPage = Page(PaymentView);
export const ReceiptView = Type.Object({
  payment: PaymentView,
  proof: Nullable(Type.Object({ canonicalInstruction: Type.String(), signature: Type.String(), profile: Type.String(), deviceId: Type.String(), deviceCertificate: Type.String(), caCertificate: Type.String(), signedAt: Type.String() }) as never),
});
export const OrderView = Type.Object({
  id: Type.String(), merchantId: Type.String(), merchantReference: Type.String(), amount: Type.String(), currency: Type.String(), description: Type.String(),
  paymentCode: Type.String(), state: Type.String(), paymentId: Nullable(Type.String()), expiresAt: Type.String(), paidAt: Nullable(Type.String()), qrSvg: Type.Optional(Type.String()),
});
export const RefundView = Type.Object({ id: Type.String(), paymentId: Type.String(), amount: Type.String(), currency: Type.String(), state: Type.String(), failureCode: Nullable(Type.String()), createdAt: Type.String() });

const iso = (ms: number) => new Date(ms).toISOString();

export function paymentView(p: Payment, transitions?: readonly PaymentTransition[]) {
  return {
    id: p.id, kind: p.kind, state: p.state, payerId: p.payerId, payeeId: p.payeeId, merchantId: p.merchantId, orderId: p.orderId,
    amount: money(p.amount, p.currency), fee: money(p.fee, p.currency), refunded: money(p.refundedAmount, p.currency), currency: p.currency,
    failureCode: p.failureCode, riskReasons: [...p.riskReasons], createdAt: iso(p.createdAt), updatedAt: iso(p.updatedAt),
    ...(transitions === undefined ? {} : { transitions: transitions.map((t) => ({ from: t.fromState, to: t.toState, event: t.event, actorType: t.actorType, at: iso(t.at) })) }),
  };
}

export function receiptView(p: Payment, i: StoredInstruction | undefined) {
  return {
    payment: paymentView(p),
    proof: i === undefined ? null : { canonicalInstruction: i.canonicalJson, signature: i.signature.toString('base64'), profile: i.profile, deviceId: i.deviceId, deviceCertificate: i.deviceCertificatePem, caCertificate: i.caCertificatePem, signedAt: iso(i.signedAt) },
  };
}

export function orderView(o: CheckoutOrder, qrSvg?: string) {
  return {
    id: o.id, merchantId: o.merchantId, merchantReference: o.merchantReference, amount: money(o.amount, o.currency), currency: o.currency, description: o.description,
    paymentCode: o.paymentCode, state: o.state, paymentId: o.paymentId, expiresAt: iso(o.expiresAt), paidAt: o.paidAt === null ? null : iso(o.paidAt), ...(qrSvg === undefined ? {} : { qrSvg }),
  };
}

export function refundView(r: Refund) {
  return { id: r.id, paymentId: r.paymentId, amount: money(r.amount, r.currency), currency: r.currency, state: r.state, failureCode: r.failureCode, createdAt: iso(r.createdAt) };
}

export const HistoryEntryView = Type.Object({
  id: Type.String(), kind: Type.String(), state: Type.String(), direction: Type.String({ enum: ['in', 'out'] }),
  amount: Type.String(), fee: Type.String(), currency: Type.String(),
  counterparty: Type.Object({ type: Type.String({ enum: ['customer', 'merchant', 'card'] }), id: Type.String() }),
  paymentId: Nullable(Type.String()), failureCode: Nullable(Type.String()),
  createdAt: Type.String(), updatedAt: Type.String(),
});
export const HistoryPage = Page(HistoryEntryView);

export function historyEntryView(e: HistoryEntry) {
  return {
    id: e.id, kind: e.kind, state: e.state, direction: e.direction,
    amount: money(e.amount, e.currency), fee: money(e.fee, e.currency),
    currency: e.currency, counterparty: { ...e.counterparty }, paymentId: e.paymentId, failureCode: e.failureCode,
    createdAt: iso(e.createdAt), updatedAt: iso(e.updatedAt),
  };
}
