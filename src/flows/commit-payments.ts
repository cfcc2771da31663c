// The write path of signed payments as ONE group commit: payments that arrive while a batch is being
// written wait and go together in the next database transaction, which for each of them claims the
// nonce, checks and reserves the limits under lock, claims the order or request for money it pays,
// stores the payment, its instruction and its transitions, moves the money through the ledger (same
// transaction: ledger.applyWithin) — a settled payment's order or request marked paid, `order.paid`
// queued in the outbox —, and appends every audit entry once, last. One fsync serves the whole batch;
// every caller's promise settles only after that durable commit. Nothing in a batch throws for an
// expected refusal (a replayed nonce, a taken idempotency key, a limit, an order already paid): those
// are values, so one payment never aborts its neighbours.
// The payment tables are written by payments' batch use cases (payments/payment-batch.ts); this file
// owns the batch, its transaction and failover retry, the risk engine's decisions and the ledger step.
import { appendAudit } from '../audit/index.ts';
import { Committer, withinLedger, type Ledger, type LedgerTransaction, type TransferRequest } from '../ledger/index.ts';
import {
  createBatchPayments, failBatchPayment, newBatchWrites, openReviewHolds, settleBatchPayment, writeBatchTransitions,
  type BatchOutcome, type BatchPayment, type BatchWrites, type Payment, type PaymentSettings,
} from '../payments/index.ts';
import {
  assessBatch, decisionAuditEvent, paymentRiskOf, recordAssessments, type MoneyAssessment, type MoneyAssessmentInput,
  type PaymentRiskDecision, type RiskEngine,
} from '../risk/index.ts';
import {
  StoreNotDurable, fenceReplays, isStoreUnavailable, retriedAcrossFailover, type Store,
  type Tx,
} from '../store/index.ts';

export interface PreparedPayment extends BatchPayment {
  readonly risk: PaymentRiskDecision;
  /** What the running rule set decides on: decided, stored and counted in the batch's transaction. */
  readonly riskInput?: { readonly engine: RiskEngine; readonly input: MoneyAssessmentInput } | undefined;
  /** The rule set's decision and record, once the batch decided it. */
  readonly assessment?: MoneyAssessment | undefined;
  /** The money legs (principal, then fee), applied all or none when the payment is processed. */
  readonly legs: readonly TransferRequest[];
}

export type CommitOutcome = BatchOutcome;

/** The money step of the processing payments, in the same transaction; a refused leg fails its payment. */
async function settle(
  tx: Tx, ledgerTx: LedgerTransaction, ledger: Ledger, writes: BatchWrites,
  outcomes: CommitOutcome[], batch: readonly PreparedPayment[], now: number,
): Promise<void> {
  const processing = outcomes.flatMap((o, index) =>
    o.kind === 'committed' && o.payment.state === 'succeeded' ? [index] : [],
  );
  const legs = processing.map((index) => (batch[index] as PreparedPayment).legs);
  const results = await ledger.applyWithin(ledgerTx, legs, writes.audit);
  for (const [k, index] of processing.entries()) {
    const result = results[k];
    const payment = (outcomes[index] as { payment: Payment }).payment;
    if (result === undefined) throw new Error('ledger invariant: a unit got no outcome');
    if (result.ok) await settleBatchPayment(tx, writes, payment, now);
    else {
      const failed = await failBatchPayment(tx, writes, payment, result.code, now);
      outcomes[index] = { kind: 'committed', payment: failed };
    }
  }
}

/** The risk decisions of the payments created in this batch, and their events counted (src/risk). */
async function recordRisk(
  tx: Tx, dialect: Store['dialect'], writes: BatchWrites,
  outcomes: readonly CommitOutcome[], batch: readonly PreparedPayment[], now: number,
): Promise<void> {
  const assessments = batch.flatMap((prepared, index) =>
    outcomes[index]?.kind === 'committed' && prepared.assessment !== undefined ? [prepared.assessment] : [],
  );
  for (const a of assessments) if (a.decision.decision !== 'allow') writes.audit.push(decisionAuditEvent(a.record));
  await recordAssessments(tx, dialect, assessments, now);
}

/**
 * The rule set decides every payment of the batch that carries a risk input, in arrival order, over
 * features read once for the batch (src/risk assessBatch); the decision replaces the fixed rules' one.
 */
async function assessed(tx: Tx, batch: readonly PreparedPayment[], now: number): Promise<PreparedPayment[]> {
  const engine = batch.find((p) => p.riskInput !== undefined)?.riskInput?.engine;
  if (engine === undefined) return [...batch];
  const inputs = batch.map((p) => (p.riskInput?.engine === engine ? p.riskInput.input : undefined));
  const assessments = await assessBatch(tx, engine, inputs, now);
  return batch.map((prepared, index) => {
    const assessment = assessments[index];
    if (assessment === undefined) return prepared;
    const risk = paymentRiskOf(assessment.decision);
    const riskLevel = assessment.customerLevel;
    return { ...prepared, risk, assessment, riskLevel, payment: { ...prepared.payment, riskReasons: risk.reasons } };
  });
}

/** The reviews of the payments held for review: their holds are placed after the commit (startBatched). */
async function recordHolds(
  tx: Tx, outcomes: readonly CommitOutcome[], batch: readonly PreparedPayment[], settings: PaymentSettings, now: number,
): Promise<void> {
  const held = batch.flatMap((prepared, index) => {
    const outcome = outcomes[index];
    if (outcome?.kind !== 'committed' || outcome.payment.state !== 'held_for_review') return [];
    const decision = prepared.assessment?.record.id;
    if (decision === undefined) throw new Error('payments invariant: a payment held for review without a decision');
    return [{ paymentId: outcome.payment.id, decisionId: decision }];
  });
  await openReviewHolds(tx, held, settings.reviewTtlMs, now);
}

async function writeBatch(tx: Tx, ledgerTx: LedgerTransaction, deps: Deps, queued: readonly PreparedPayment[], now: number): Promise<CommitOutcome[]> {
  const batch = await assessed(tx, queued, now);
  const writes = newBatchWrites();
  const outcomes = await createBatchPayments(tx, writes, batch, deps.settings.limits, now);
  await recordHolds(tx, outcomes, batch, deps.settings, now);
  await settle(tx, ledgerTx, deps.ledger, writes, outcomes, batch, now);
  await writeBatchTransitions(tx, writes);
  await recordRisk(tx, deps.store.dialect, writes, outcomes, batch, now);
  // Last, so the audit head's lock is held only for the end of the transaction.
  await appendAudit(tx, writes.audit, now);
  // A duplicate is answered from a row another transaction wrote — after a lost commit, this batch's own
  // first try: the commit must wait until that row is on the synchronous standby.
  if (deps.store.dialect === 'postgres' && outcomes.some((o) => o.kind === 'duplicate')) await fenceReplays(tx);
  return outcomes;
}

/**
 * On PostgreSQL a batch rides out a failover as the ledger's do (same wait, same durability refusal):
 * while the store is unavailable — including a COMMIT whose answer was lost — the whole batch runs
 * again. That is safe because a batch first inserts its payments by (payer, idempotency key): on a
 * retry after a commit that did happen, every payment comes back `duplicate` and is answered from the
 * stored row (a replay), nothing is applied twice; after one that did not, the batch applies once.
 */
function failoverAware<T>(deps: Deps, work: () => Promise<T>): Promise<T> {
  if (deps.store.dialect === 'sqlite') return work();
  const { waitMs, writeRefusal } = deps.ledger.failover;
  const attempt = () => {
    const refusal = writeRefusal?.();
    return refusal === undefined ? work() : Promise.reject(new StoreNotDurable(refusal));
  };
  return retriedAcrossFailover(attempt, { waitMs });
}

interface Deps {
  readonly store: Store;
  readonly ledger: Ledger;
  readonly settings: PaymentSettings;
}

const committers = new WeakMap<Ledger, Committer<PreparedPayment, CommitOutcome>>();

/** Queues a prepared payment for the next batch; resolves after the batch's durable commit. */
export function commitPayment(deps: Deps & { readonly clock: () => number }, prepared: PreparedPayment): Promise<CommitOutcome> {
  let committer = committers.get(deps.ledger);
  if (committer === undefined) {
    const postgres = deps.store.dialect === 'postgres';
    committer = new Committer<PreparedPayment, CommitOutcome>({
      // Outcomes come back in batch order; one payment the database refuses is retried alone (the committer's fallback).
      apply: (batch, now) => failoverAware(deps, () => withinLedger(deps.store, (tx, ledgerTx) => (
        writeBatch(tx, ledgerTx, deps, batch, now)))),
      // A store that cannot take writes fails every payment alone too: no one-by-one retry.
      isBatchWideFailure: isStoreUnavailable,
      clock: deps.clock,
      transferBatchMax: postgres ? 256 : 1024,
      // PostgreSQL overlaps batches (they meet only at account rows and the audit head); SQLite has one writer.
      batchesInFlightMax: postgres ? 2 : 1,
    });
    committers.set(deps.ledger, committer);
    // Queued payments are written before the store closes under them (serve() closes ledger, then store).
    const closing = committer;
    deps.ledger.whenClosing(() => closing.close());
  }
  return committer.submit(prepared);
}
