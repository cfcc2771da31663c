// The ledger's decision, pure and synchronous (TigerBeetle's prefetch → commit): given the accounts,
// holds and earlier transfers a batch touches, loaded under lock, and the clock, decide each request
// in order against a working copy. The adapters persist what this returns; nothing here does I/O.
import type { Hold, HoldState, Transfer, TransferFailure, TransferKind, TransferRequest } from './types.ts';

export interface WorkingAccount {
  readonly id: string;
  readonly currency: string;
  readonly allowNegative: boolean;
  readonly status: 'open' | 'closed';
  debitsPosted: bigint;
  creditsPosted: bigint;
  debitsPending: bigint;
  creditsPending: bigint;
}

export interface WorkingHold {
  readonly seq: bigint;
  readonly debitAccountId: string;
  readonly creditAccountId: string;
  readonly amount: bigint;
  readonly currency: string;
  state: HoldState;
  readonly expiresAt: number | null;
  /** Set when this batch resolves the hold; the resolving transfer's seq is known after insert. */
  resolvedBy?: NewTransfer;
}

export interface StoredTransfer {
  readonly transfer: Transfer;
  readonly requestHash: string;
}

export interface Submitted {
  readonly request: TransferRequest;
  readonly requestHash: string;
}

/** A journal row this batch will append. `seq` is filled in by the adapter on insert. */
export interface NewTransfer {
  seq: bigint;
  readonly key: string;
  readonly requestHash: string;
  readonly kind: TransferKind;
  readonly debitAccountId: string;
  readonly creditAccountId: string;
  readonly amount: bigint;
  readonly currency: string;
  readonly holdSeq: bigint | null;
  readonly reference: string | null;
  readonly createdAt: number;
  /** For a hold: when it lapses (null = never). */
  readonly expiresAt: number | null;
}

export type Verdict =
  | { readonly kind: 'applied'; readonly transfer: NewTransfer }
  | { readonly kind: 'replayed'; readonly transfer: Transfer | NewTransfer }
  | { readonly kind: 'refused'; readonly code: TransferFailure; readonly detail: string };

export interface BatchState {
  readonly accounts: ReadonlyMap<string, WorkingAccount>;
  readonly holds: ReadonlyMap<bigint, WorkingHold>;
  readonly existing: ReadonlyMap<string, StoredTransfer>;
}

export interface Decision {
  /** One list per unit, one verdict per leg. */
  readonly verdicts: Verdict[][];
  readonly appended: NewTransfer[];
  readonly touchedAccounts: Set<string>;
}

/** What the committer takes as one: one transfer, or several linked legs that apply all or none. */
export type Unit = readonly Submitted[];

/** Everything a batch must load before deciding: accounts, holds and keys named by its requests. */
export function keysOf(batch: readonly Unit[]): { accountIds: Set<string>; holdSeqs: Set<bigint>; keys: Set<string> } {
  const accountIds = new Set<string>();
  const holdSeqs = new Set<bigint>();
  const keys = new Set<string>();
  for (const { request } of batch.flat()) {
    keys.add(request.key);
    if (request.kind === 'single' || request.kind === 'hold') {
      accountIds.add(request.debitAccountId);
      accountIds.add(request.creditAccountId);
    } else {
      holdSeqs.add(request.holdSeq);
    }
  }
  return { accountIds, holdSeqs, keys };
}

export function decideBatch(batch: readonly Unit[], state: BatchState, now: number): Decision {
  const decision: Decision = { verdicts: [], appended: [], touchedAccounts: new Set() };
  const seenInBatch = new Map<string, NewTransfer>();
  for (const unit of batch) {
    const only = unit.length === 1 ? unit[0] : undefined;
    decision.verdicts.push(only !== undefined ? [decideOne(only, state, now, decision, seenInBatch)] : decideLinked(unit, state, now, decision, seenInBatch));
  }
  return decision;
}

/**
 * Linked legs (a payment and its fee, say) apply all or none: each is decided in order against the
 * working copy; at the first refusal the copy is restored to what it was before the unit.
 */
function decideLinked(unit: Unit, state: BatchState, now: number, decision: Decision, seenInBatch: Map<string, NewTransfer>): Verdict[] {
  const accounts = new Set<WorkingAccount>();
  const holds = new Set<WorkingHold>();
  for (const { request } of unit) {
    const hold = request.kind === 'single' || request.kind === 'hold' ? undefined : state.holds.get(request.holdSeq);
    if (hold !== undefined) holds.add(hold);
    for (const id of hold !== undefined ? [hold.debitAccountId, hold.creditAccountId] : 'debitAccountId' in request ? [request.debitAccountId, request.creditAccountId] : []) {
      const account = state.accounts.get(id);
      if (account !== undefined) accounts.add(account);
    }
  }
  const savedAccounts = [...accounts].map((a) => ({ a, counters: [a.debitsPosted, a.creditsPosted, a.debitsPending, a.creditsPending] as const }));
  const savedHolds = [...holds].map((h) => ({ h, state: h.state, resolvedBy: h.resolvedBy }));
  const appendedBefore = decision.appended.length;
  const verdicts: Verdict[] = [];
  for (const leg of unit) {
    const verdict = decideOne(leg, state, now, decision, seenInBatch);
    verdicts.push(verdict);
    if (verdict.kind !== 'refused') continue;
    for (const { a, counters } of savedAccounts) [a.debitsPosted, a.creditsPosted, a.debitsPending, a.creditsPending] = counters;
    for (const saved of savedHolds) {
      saved.h.state = saved.state;
      saved.h.resolvedBy = saved.resolvedBy;
    }
    for (const undone of decision.appended.splice(appendedBefore)) seenInBatch.delete(undone.key);
    const failed = verdicts.length - 1;
    return unit.map((_, i) => (i === failed ? verdict : refused('linked_transfer_failed', `leg ${failed} of the linked transfers was refused`)));
  }
  return verdicts;
}

function refused(code: TransferFailure, detail: string): Verdict {
  return { kind: 'refused', code, detail };
}

/** The journal's column is a positive BIGINT. Refusing here keeps one bad request from failing the
 * whole batch's transaction (which would send every neighbour down the one-by-one fallback). */
const amountMax = 2n ** 63n - 1n;
function validAmount(amount: bigint): boolean {
  return amount > 0n && amount <= amountMax;
}

/** The accounts' totals are BIGINT columns too: a sum past them is refused, not left to fail the batch. */
function overflows(totals: readonly bigint[], amount: bigint): boolean {
  return totals.some((total) => total > amountMax - amount);
}
const totalsOverflowDetail = "the transfer would take an account's totals past the 64-bit limit";

function decideOne(
  { request, requestHash }: Submitted,
  state: BatchState,
  now: number,
  decision: Decision,
  seenInBatch: Map<string, NewTransfer>,
): Verdict {
  const earlier = state.existing.get(request.key);
  const earlierHash = earlier?.requestHash ?? seenInBatch.get(request.key)?.requestHash;
  if (earlierHash !== undefined) {
    if (earlierHash !== requestHash) return refused('idempotency_conflict', 'this idempotency key was used for a different request');
    const transfer = earlier?.transfer ?? seenInBatch.get(request.key);
    if (transfer !== undefined) return { kind: 'replayed', transfer };
  }
  const verdict = request.kind === 'single' || request.kind === 'hold'
    ? decideMovement(request, requestHash, state, now)
    : decideResolution(request, requestHash, state, now);
  if (verdict.kind === 'applied') {
    decision.appended.push(verdict.transfer);
    decision.touchedAccounts.add(verdict.transfer.debitAccountId);
    decision.touchedAccounts.add(verdict.transfer.creditAccountId);
    seenInBatch.set(request.key, verdict.transfer);
  }
  return verdict;
}

function decideMovement(
  request: Extract<TransferRequest, { kind: 'single' | 'hold' }>,
  requestHash: string,
  state: BatchState,
  now: number,
): Verdict {
  if (!validAmount(request.amount)) return refused('invalid_amount', 'the amount must be a positive 64-bit integer of minor units');
  if (request.debitAccountId === request.creditAccountId) return refused('same_account', 'debit and credit accounts are the same');
  const debit = state.accounts.get(request.debitAccountId);
  const credit = state.accounts.get(request.creditAccountId);
  if (debit === undefined) return refused('account_not_found', 'debit account not found');
  if (credit === undefined) return refused('account_not_found', 'credit account not found');
  if (debit.status !== 'open' || credit.status !== 'open') return refused('account_closed', 'an account of this transfer is closed');
  if (debit.currency !== request.currency || credit.currency !== request.currency) {
    return refused('currency_mismatch', `accounts are ${debit.currency}/${credit.currency}, amount is ${request.currency}`);
  }
  const available = debit.creditsPosted - debit.debitsPosted - debit.debitsPending;
  if (!debit.allowNegative && available < request.amount) return refused('insufficient_funds', 'the debit account lacks the available balance');
  const totals = request.kind === 'single'
    ? [debit.debitsPosted, credit.creditsPosted]
    : [debit.debitsPending, credit.creditsPending];
  if (overflows(totals, request.amount)) return refused('account_totals_overflow', totalsOverflowDetail);
  if (request.kind === 'single') {
    debit.debitsPosted += request.amount;
    credit.creditsPosted += request.amount;
  } else {
    debit.debitsPending += request.amount;
    credit.creditsPending += request.amount;
  }
  return {
    kind: 'applied',
    transfer: {
      seq: 0n,
      key: request.key,
      requestHash,
      kind: request.kind,
      debitAccountId: debit.id,
      creditAccountId: credit.id,
      amount: request.amount,
      currency: request.currency,
      holdSeq: null,
      reference: request.reference ?? null,
      createdAt: now,
      expiresAt: request.kind === 'hold' && request.timeoutMs !== null ? now + request.timeoutMs : null,
    },
  };
}

function decideResolution(
  request: Extract<TransferRequest, { kind: 'post' | 'void' | 'expire' }>,
  requestHash: string,
  state: BatchState,
  now: number,
): Verdict {
  const hold = state.holds.get(request.holdSeq);
  if (hold === undefined) return refused('hold_not_found', `no hold ${request.holdSeq}`);
  if (hold.state === 'expired') return refused('hold_expired', 'the hold has expired');
  if (hold.state !== 'pending') return refused('hold_not_pending', `the hold is ${hold.state}`);
  const lapsed = hold.expiresAt !== null && hold.expiresAt <= now;
  if (request.kind === 'post' && lapsed) return refused('hold_expired', 'the hold has expired');
  if (request.kind === 'expire' && !lapsed) return refused('hold_not_pending', 'the hold has not lapsed yet');
  const amount = request.kind === 'post' ? (request.amount ?? hold.amount) : hold.amount;
  if (!validAmount(amount)) return refused('invalid_amount', 'the amount must be a positive 64-bit integer of minor units');
  if (amount > hold.amount) return refused('post_exceeds_hold', 'the amount to post exceeds the amount held');
  const debit = state.accounts.get(hold.debitAccountId);
  const credit = state.accounts.get(hold.creditAccountId);
  if (debit === undefined || credit === undefined) throw new Error(`ledger invariant: hold ${hold.seq} names an account that was not loaded`);
  if (request.kind === 'post' && overflows([debit.debitsPosted, credit.creditsPosted], amount)) {
    return refused('account_totals_overflow', totalsOverflowDetail);
  }
  debit.debitsPending -= hold.amount;
  credit.creditsPending -= hold.amount;
  if (request.kind === 'post') {
    debit.debitsPosted += amount;
    credit.creditsPosted += amount;
  }
  hold.state = request.kind === 'post' ? 'posted' : request.kind === 'void' ? 'voided' : 'expired';
  const transfer: NewTransfer = {
    seq: 0n,
    key: request.key,
    requestHash,
    kind: request.kind,
    debitAccountId: hold.debitAccountId,
    creditAccountId: hold.creditAccountId,
    amount,
    currency: hold.currency,
    holdSeq: hold.seq,
    reference: request.reference ?? null,
    createdAt: now,
    expiresAt: null,
  };
  hold.resolvedBy = transfer;
  return { kind: 'applied', transfer };
}

export function toTransfer(row: NewTransfer | Transfer): Transfer {
  return {
    seq: row.seq,
    key: row.key,
    kind: row.kind,
    debitAccountId: row.debitAccountId,
    creditAccountId: row.creditAccountId,
    amount: row.amount,
    currency: row.currency,
    holdSeq: row.holdSeq,
    reference: row.reference,
    createdAt: row.createdAt,
  };
}

export function toHold(hold: WorkingHold, resolvedSeq: bigint | null): Hold {
  return { ...hold, resolvedSeq };
}
