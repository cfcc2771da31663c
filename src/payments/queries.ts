// The read side of payments: what other capabilities, flows and routes may read about payments,
// fundings, cards, bindings and refunds. Each query writes nothing (door.test.ts checks the store
// statements behind them); the table operations that write stay inside payments, behind use cases.
import { askTogether, type Queryable } from '../store/index.ts';
import * as bindings from './card-binding-store.ts';
import * as funding from './store/funding.ts';
import * as payments from './store/payments.ts';
import * as refunds from './store/refunds.ts';
import * as statistics from './store/statistics.ts';

type Payment = payments.Payment;

export function paymentById(q: Queryable, id: string): Promise<Payment | undefined> {
  return payments.paymentById(q, id);
}

/** The payer's payment under their idempotency key, if any (asked together with others on PostgreSQL). */
export const paymentByKey: (q: Queryable, payerId: string, key: string) => Promise<Payment | undefined> = (() => {
  const read = askTogether<readonly [string, string], Payment | undefined>({
    identity: ([payerId, key]) => `${payerId}\u0000${key}`,
    one: (q, [payerId, key]) => payments.paymentByKey(q, payerId, key),
    many: (store, pairs) => payments.paymentsByKeys(store, pairs),
  });
  return (q: Queryable, payerId: string, key: string) => read(q, [payerId, key]);
})();

/** The payment's state walk, oldest first. */
export function transitionsOf(q: Queryable, paymentId: string): Promise<payments.PaymentTransition[]> {
  return payments.transitionsOf(q, paymentId);
}

/** The signed instruction kept as the payment's proof. */
export function instructionOf(q: Queryable, paymentId: string): Promise<payments.StoredInstruction | undefined> {
  return payments.instructionOf(q, paymentId);
}

export function listPayments(q: Queryable, filter: payments.PaymentFilter): Promise<Payment[]> {
  return payments.listPayments(q, filter);
}

/** How many payments the payer started since `since` (a velocity feature for risk). */
export function recentPaymentCount(q: Queryable, payerId: string, since: number): Promise<number> {
  return payments.recentPaymentCount(q, payerId, since);
}

const payerHistoryTogether = askTogether<payments.HistoryAsk, { recentPaymentCount: number; paidBefore: boolean }>({
  identity: (ask) => `${ask.payerId}\u0000${ask.payeeId}\u0000${ask.since}`,
  one: (q, ask) => payments.payerHistory(q, ask.payerId, ask.payeeId, ask.since),
  many: (store, asks) => payments.payerHistories(store, asks),
});

/** The payer's recent count and whether they paid this payee before (risk features; asked together on PostgreSQL). */
export function payerHistory(
  q: Queryable,
  payerId: string,
  payeeId: string,
  since: number,
): Promise<{ recentPaymentCount: number; paidBefore: boolean }> {
  return payerHistoryTogether(q, { payerId, payeeId, since });
}

export function cardById(q: Queryable, id: string): Promise<funding.PaymentCard | undefined> {
  return funding.cardById(q, id);
}

export function cardsOf(q: Queryable, customerId: string): Promise<funding.PaymentCard[]> {
  return funding.cardsOf(q, customerId);
}

export function fundingById(q: Queryable, id: string): Promise<funding.FundingPayment | undefined> {
  return funding.fundingById(q, id);
}

/** The customer's top-up or withdrawal under their idempotency key, if any. */
export function fundingByKey(
  q: Queryable,
  customerId: string,
  key: string,
): Promise<funding.FundingPayment | undefined> {
  return funding.fundingByKey(q, customerId, key);
}

/** Fundings of a kind left in a state since before `updatedBefore` (what the sweeps pick up). */
export function fundingInState(
  q: Queryable,
  kind: funding.FundingKind,
  state: Parameters<typeof funding.fundingInState>[2],
  updatedBefore: number,
  limit: number,
): Promise<funding.FundingPayment[]> {
  return funding.fundingInState(q, kind, state, updatedBefore, limit);
}

/** Top-ups whose authorisation must still be reversed at the issuer. */
export function fundingWithReversalOwed(q: Queryable, limit: number): Promise<funding.FundingPayment[]> {
  return funding.fundingWithReversalOwed(q, limit);
}

export function fundingTransitionsOf(
  q: Queryable,
  fundingId: string,
): Promise<Array<{ from: string | null; to: string; event: string; at: number }>> {
  return funding.fundingTransitionsOf(q, fundingId);
}

/** Withdrawals still `processing` whose next status query is due. */
export function withdrawalsDue(q: Queryable, now: number, limit: number): Promise<funding.FundingPayment[]> {
  return funding.withdrawalsDue(q, now, limit);
}

/** Withdrawals listed "outcome unknown" for operations, oldest first. */
export function outcomeUnknownWithdrawals(q: Queryable, limit: number): Promise<funding.FundingPayment[]> {
  return funding.outcomeUnknownWithdrawals(q, limit);
}

export function cardBindingById(q: Queryable, id: string): Promise<bindings.CardBinding | undefined> {
  return bindings.cardBindingById(q, id);
}

/** How many card bindings the customer started since `since`, whatever became of them. */
export function cardBindingsSince(q: Queryable, customerId: string, since: number): Promise<number> {
  return bindings.cardBindingsSince(q, customerId, since);
}

/** The customer holding this card (vault token) active and verified, if any. */
export function verifiedCardHolderOf(q: Queryable, cardToken: string): Promise<string | undefined> {
  return bindings.verifiedCardHolderOf(q, cardToken);
}

export function refundById(q: Queryable, id: string): Promise<refunds.Refund | undefined> {
  return refunds.refundById(q, id);
}

export function refundsOf(q: Queryable, paymentId: string): Promise<refunds.Refund[]> {
  return refunds.refundsOf(q, paymentId);
}

/** Per-period counts and sums for the operational reports (issue 14). */
export function paymentStatistics(
  q: Queryable,
  query: statistics.PeriodQuery,
): Promise<statistics.PaymentPeriodRow[]> {
  return statistics.paymentStatistics(q, query);
}
