// State changes of top-ups and withdrawals: the same pure transition function as payments decides,
// then the row changes conditionally, the transition is recorded and audited (`top_up.<event>`,
// `withdrawal.<event>`), all in the caller's transaction.
import { appendAudit } from '../audit/index.ts';
import { AnfuError } from '../errors.ts';
import type { Tx } from '../store/index.ts';
import { nextStan } from './store/stans.ts';
import {
  insertFunding,
  insertFundingInstruction,
  insertFundingTransition,
  updateFundingState,
  type FundingPayment,
} from './store/funding.ts';
import { claimNonce } from './store/payments.ts';
import type { VerifiedInstruction } from './verify-instruction.ts';
import { nextState, type PaymentEvent, type PaymentState } from './payment-states.ts';
import type { TransitionActor } from './record-transition.ts';

export type FundingDetail = { failureCode?: string; responseCode?: string; meaning?: string; reasons?: readonly string[] };

export async function recordFundingTransition(tx: Tx, funding: Pick<FundingPayment, 'id' | 'kind' | 'amount' | 'currency'> & { state: PaymentState }, event: PaymentEvent, actor: TransitionActor, now: number, detail?: FundingDetail): Promise<PaymentState> {
  const result = nextState(funding.state, event);
  if (!result.ok) throw new AnfuError(result.code, result.detail);
  if ((await updateFundingState(tx, funding.id, funding.state, result.to, detail?.failureCode ?? null, now)) !== 1) throw new AnfuError('payment_state_invalid', 'the payment changed state concurrently');
  await insertFundingTransition(tx, { fundingId: funding.id, from: funding.state, to: result.to, event, actorType: actor.type, actorId: actor.id, detail: detail === undefined ? null : JSON.stringify(detail), at: now });
  await appendAudit(tx, [{
    actorType: actor.type, actorId: actor.id, device: actor.device ?? null, action: `${funding.kind}.${event}`, target: funding.id,
    outcome: result.to === 'failed' ? 'failure' : 'success',
    details: { from: funding.state, to: result.to, amount: funding.amount.toString(), currency: funding.currency, ...(detail ?? {}) },
  }], now);
  return result.to;
}

export async function recordFundingCreation(tx: Tx, funding: FundingPayment, actor: TransitionActor, now: number): Promise<void> {
  await insertFundingTransition(tx, { fundingId: funding.id, from: null, to: 'created', event: 'create', actorType: actor.type, actorId: actor.id, detail: null, at: now });
  await appendAudit(tx, [{
    actorType: actor.type, actorId: actor.id, device: actor.device ?? null, action: `${funding.kind}.create`, target: funding.id, outcome: 'success',
    details: { card: funding.cardId, amount: funding.amount.toString(), currency: funding.currency },
  }], now);
}

/**
 * Creates a top-up or withdrawal in the caller's transaction: claims the instruction's nonce (a replay
 * throws `instruction_replayed`), takes the day's STAN, stores the row with its signed instruction as
 * proof and records the creation (transition and audit). The row's fields 7 and 12 are fixed by the
 * caller, so everything needed to reverse or query the bank request exists before it is sent.
 */
export async function createFunding(
  tx: Tx,
  funding: FundingPayment,
  verified: VerifiedInstruction,
  profile: 'intl' | 'gm',
  actor: TransitionActor,
  now: number,
): Promise<void> {
  if (!(await claimNonce(tx, verified.instruction.device, verified.instruction.nonce, funding.id, now)))
    throw new AnfuError('instruction_replayed');
  await insertFunding(tx, { ...funding, exchange: { ...funding.exchange, stan: await nextStan(tx, now) } });
  await insertFundingInstruction(tx, {
    fundingId: funding.id,
    canonicalJson: verified.canonicalJson,
    signature: verified.signature,
    profile,
    deviceId: verified.instruction.device,
    deviceCertificatePem: verified.deviceCertificatePem,
    caCertificatePem: verified.caCertificatePem,
    signedAt: verified.instruction.timestamp,
    receivedAt: now,
  });
  await recordFundingCreation(tx, funding, actor, now);
}
