// What payments keep of their conversations with a card issuer (ISO 8583): the STAN a message is sent
// under, what the bank answered, when a withdrawal's status is asked again (back-off) and the moment a
// withdrawal's outcome is declared unknown for operations. None of them changes a payment's state;
// the transitions do that (record-funding-transition.ts).
import { appendAudit } from '../audit/index.ts';
import type { Queryable, Tx } from '../store/index.ts';
import {
  markOutcomeUnknown,
  recordExchange,
  restampExchange,
  scheduleStatusQuery,
  type BankExchange,
  type FundingPayment,
} from './store/funding.ts';
import { nextStan } from './store/stans.ts';

/** What a bank answer adds to a funding payment (any subset); the hold's transfer once placed. */
export type BankAnswer = Partial<Omit<BankExchange, 'stan'>> & { reversalOwed?: boolean; holdSeq?: bigint };

/** The day's next system trace audit number (field 11): unique per UTC day across processes and restarts. */
export function nextCardStan(q: Queryable, now: number): Promise<string> {
  return nextStan(q, now);
}

/**
 * In the transaction that sends a waiting top-up or withdrawal on (a review's release, a passed step-up):
 * a fresh STAN and `sentAt` (fields 7 and 12 of that moment) replace those stored at creation, which were
 * never sent — a bank refuses a field 7 minutes old, and the day's STAN sequence may have handed the old
 * one out again. Stored before anything is sent: every repeat, status query or reversal names this.
 */
export async function stampForSending(tx: Tx, fundingId: string, sentAt: SendingStamp, now: number): Promise<void> {
  // The STAN's day is the day of field 7's moment: the bank tells requests apart by STAN and field 7, so
  // the two come from one clock (a day's sequence drawn on another clock could repeat a STAN sent that second).
  const { at, ...fields } = sentAt;
  await restampExchange(tx, fundingId, { stan: await nextStan(tx, at), ...fields }, now);
}

/** Fields 7 and 12 of a send about to happen, and the moment (ms) they stamp. */
export interface SendingStamp {
  readonly transmitted: string;
  readonly localTime: string;
  readonly at: number;
}

/** Keeps what the bank answered (or the hold placed) with the funding payment; never touches its state. */
export function recordBankAnswer(q: Queryable, fundingId: string, answer: BankAnswer, now: number): Promise<void> {
  return recordExchange(q, fundingId, answer, now);
}

/** When the next status query of a withdrawal is due: 5 s doubling per attempt, at most hourly. */
export function nextStatusQueryAt(attempts: number, now: number): number {
  return now + Math.min(5_000 * 2 ** Math.min(attempts, 20), 3600_000);
}

/** Counts the status queries asked so far and schedules the next one with back-off. */
export function scheduleWithdrawalStatusQuery(
  q: Queryable,
  fundingId: string,
  attempts: number,
  now: number,
): Promise<void> {
  return scheduleStatusQuery(q, fundingId, attempts, nextStatusQueryAt(attempts, now));
}

/**
 * Lists a still-processing withdrawal "outcome unknown" for operations, audited once with why;
 * false when it was listed already (or is no longer processing).
 */
export async function declareOutcomeUnknown(tx: Tx, row: FundingPayment, why: string, now: number): Promise<boolean> {
  if (!(await markOutcomeUnknown(tx, row.id, now))) return false;
  const details = { why, statusAttempts: row.statusAttempts, amount: row.amount.toString(), currency: row.currency };
  await appendAudit(
    tx,
    [{ actorType: 'system', actorId: 'withdrawal-poll', action: 'withdrawal.outcome_unknown', target: row.id,
      outcome: 'success', details }],
    now,
  );
  return true;
}
