// The per-payment write path of a signed payment (order and money-request payments; transfers are
// group-committed through payment-batch.ts): in the caller's transaction the instruction's nonce is
// claimed, the payment stored with its signed instruction and its creation recorded; then its limits
// are locked, decided (decide-payment.ts) and reserved.
import { AnfuError } from '../errors.ts';
import type { Tx } from '../store/index.ts';
import { limitRefusalOf, usagePeriodsOf } from './decide-payment.ts';
import type { LimitHolder, LimitPolicy } from './payment-limits.ts';
import { recordCreation, type TransitionActor } from './record-transition.ts';
import {
  addUsage,
  claimNonce,
  insertInstruction,
  insertPayment,
  lockUsage,
  type Payment,
  type StoredInstruction,
} from './store/payments.ts';

/** Stores a new payment with its proof; a replayed nonce throws `instruction_replayed` (nothing written). */
export async function createPayment(
  tx: Tx,
  payment: Payment,
  instruction: StoredInstruction & { readonly nonce: string },
  actor: TransitionActor,
  now: number,
): Promise<void> {
  if (!(await claimNonce(tx, instruction.deviceId, instruction.nonce, payment.id, now)))
    throw new AnfuError('instruction_replayed');
  await insertPayment(tx, payment);
  const { nonce: _nonce, ...stored } = instruction;
  await insertInstruction(tx, stored);
  await recordCreation(tx, payment, actor, now);
}

/** Locks the payer's usage counters, decides the limits and reserves the amount; throws the refusal. */
export async function reservePaymentLimits(
  tx: Tx,
  payment: Payment,
  who: LimitHolder,
  policy: LimitPolicy,
): Promise<void> {
  const periods = usagePeriodsOf(payment);
  const used: [bigint, bigint, bigint] = [
    await lockUsage(tx, payment.payerId, periods[0]),
    await lockUsage(tx, payment.payerId, periods[1]),
    await lockUsage(tx, payment.payerId, periods[2]),
  ];
  const refusal = limitRefusalOf({ ...who, payment, used }, policy);
  if (refusal !== undefined) throw refusal;
  for (const period of periods) await addUsage(tx, payment.payerId, period, payment.amount);
}
