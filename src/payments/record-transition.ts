// Every payment state change goes through here: the pure transition function decides, then the row
// changes conditionally, the transition is recorded and audited, all in the caller's transaction.
import { appendAudit, type ActorType, type AuditEvent } from '../audit/index.ts';
import { AnfuError } from '../errors.ts';
import type { Tx } from '../store/index.ts';
import { nextState, type PaymentEvent, type PaymentState } from './payment-states.ts';
import { insertTransition, updatePaymentState, type Payment } from './store/payments.ts';

export interface TransitionActor {
  readonly type: ActorType;
  readonly id: string | null;
  readonly device?: string | null;
  /** Where the request came from (the payment's creation is audited with it: evidence for a later claim). */
  readonly ip?: string | null;
}

export async function recordTransition(tx: Tx, payment: Pick<Payment, 'id' | 'kind' | 'amount' | 'currency'> & { state: PaymentState }, event: PaymentEvent, actor: TransitionActor, now: number, detail?: TransitionDetail): Promise<PaymentState> {
  const result = nextState(payment.state, event);
  if (!result.ok) throw new AnfuError(result.code, result.detail);
  const changed = await updatePaymentState(tx, payment.id, payment.state, result.to, detail?.failureCode ?? null, now);
  if (changed !== 1) throw new AnfuError('payment_state_invalid', 'the payment changed state concurrently');
  const detailText = detail === undefined ? null : JSON.stringify(detail);
  await insertTransition(tx, { paymentId: payment.id, from: payment.state, to: result.to, event, actorType: actor.type, actorId: actor.id, detail: detailText, at: now });
  await appendAudit(tx, [transitionAuditEvent(payment, result.to, event, actor, detail)], now);
  return result.to;
}

type TransitionDetail = { failureCode?: string; reasons?: readonly string[] };

/** Who resolved a review (`system:<name>` or an operator id), as a transition's actor. */
export function reviewActorOf(by: string): TransitionActor {
  return by.startsWith('system:') ? { type: 'system', id: by.slice('system:'.length) } : { type: 'operator', id: by };
}

/**
 * Runs a transition; undefined when a concurrent writer moved the payment (or funding) first — its
 * conditional UPDATE found another state, and no statement failed, so the transaction goes on. For
 * resolvers that may race (two releases, a release and the deadline sweep): the loser answers with
 * what the winner did instead of failing.
 */
export async function unlessMovedOn<T>(transition: () => Promise<T>): Promise<T | undefined> {
  try {
    return await transition();
  } catch (error) {
    if (error instanceof AnfuError && error.code === 'payment_state_invalid') return undefined;
    throw error;
  }
}

/** The audit entry of one transition (also written by the batched payment path, flows/commit-payments.ts). */
export function transitionAuditEvent(payment: Pick<Payment, 'id' | 'kind' | 'amount' | 'currency'> & { state: PaymentState }, to: PaymentState, event: PaymentEvent, actor: TransitionActor, detail?: TransitionDetail): AuditEvent {
  return {
    actorType: actor.type, actorId: actor.id, device: actor.device ?? null, action: `payment.${event}`, target: payment.id,
    outcome: to === 'failed' ? 'failure' : 'success',
    details: { kind: payment.kind, from: payment.state, to, amount: payment.amount.toString(), currency: payment.currency, ...(detail ?? {}) },
  };
}

/** The audit entry of a payment's creation. */
export function creationAuditEvent(payment: Payment, actor: TransitionActor): AuditEvent {
  return {
    actorType: actor.type, actorId: actor.id, device: actor.device ?? null, ip: actor.ip ?? null,
    action: 'payment.create', target: payment.id, outcome: 'success',
    details: { kind: payment.kind, payee: payment.payeeId, amount: payment.amount.toString(), currency: payment.currency },
  };
}

/** The first row of a payment's history (no from-state), audited like the rest. */
export async function recordCreation(tx: Tx, payment: Payment, actor: TransitionActor, now: number): Promise<void> {
  await insertTransition(tx, { paymentId: payment.id, from: null, to: 'created', event: 'create', actorType: actor.type, actorId: actor.id, detail: null, at: now });
  await appendAudit(tx, [creationAuditEvent(payment, actor)], now);
}
