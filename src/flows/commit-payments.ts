// The write path of signed payments as ONE group commit: payments that arrive while a batch is being
// written wait and go together in the next database transaction, which for each of them claims the
// nonce, checks and reserves the limits under lock, stores the payment, its instruction and its
// transitions, moves the money through the ledger (same transaction: ledger.applyWithin), and appends
// every audit entry once, last. One fsync serves the whole batch; every caller's promise settles only
// after that durable commit. Nothing in a batch throws for an expected refusal (a replayed nonce, a
// taken idempotency key, a limit): those are values, so one payment never aborts its neighbours.
import { appendAudit, type AuditEvent } from '../audit/index.ts';
import { AnfuError } from '../errors.ts';
import { Committer, type Ledger, type LedgerTransaction, type TransferRequest } from '../ledger/index.ts';
import {
  insertReviewHolds,
  addUsage, updatePaymentState, claimNonces, creationAuditEvent, creationWalk, limitRefusalOf, usagePeriodsOf, deleteUncommittedPayments, insertInstructions, insertPaymentsIfNew, insertTransitions, lockUsageRows,
  nextState, transitionAuditEvent, usageKeyOf, writeUsageRows, type AccountClass, type LimitTier, type Payment, type PaymentEvent, type PaymentSettings,
  type PaymentState, type StoredInstruction, type TransitionActor, type TransitionRow, type UsageKey,
} from '../payments/index.ts';
import {
  assessBatch, decisionAuditEvent, paymentRiskOf, recordAssessments, type MoneyAssessment, type MoneyAssessmentInput,
  type PaymentRiskDecision, type RiskEngine,
} from '../risk/index.ts';
import {
  StoreNotDurable, fenceReplays, isStoreUnavailable, queryableOf, retriedAcrossFailover, retriedTransaction, type Store,
  type Tx,
} from '../store/index.ts';

export interface PreparedPayment {
  /** The payment as created (state `created`), with every field decided before the batch. */
  readonly payment: Payment;
  readonly instruction: StoredInstruction;
  readonly nonce: string;
  readonly risk: PaymentRiskDecision;
  /** What the running rule set decides on: decided, stored and counted in the batch's transaction. */
  readonly riskInput?: { readonly engine: RiskEngine; readonly input: MoneyAssessmentInput } | undefined;
  /** The rule set's decision and record, once the batch decided it. */
  readonly assessment?: MoneyAssessment | undefined;
  readonly actor: TransitionActor;
  readonly accountClass: AccountClass;
  readonly strength: LimitTier;
  /** The money legs (principal, then fee), applied all or none when the payment is processed. */
  readonly legs: readonly TransferRequest[];
}

export type CommitOutcome =
  | { readonly kind: 'committed'; readonly payment: Payment }
  /** A concurrent request with the same idempotency key won: answer with its payment. */
  | { readonly kind: 'duplicate' }
  | { readonly kind: 'refused'; readonly error: AnfuError };

interface BatchWrites {
  readonly transitions: TransitionRow[];
  readonly audit: AuditEvent[];
}

const riskActor: TransitionActor = { type: 'system', id: 'risk' };
const systemActor: TransitionActor = { type: 'system', id: 'payments' };

/** Applies `event` through the state machine (the only judge) and records the row and its audit entry. */
function step(writes: BatchWrites, payment: Payment, from: PaymentState, event: PaymentEvent, actor: TransitionActor, now: number, detail?: { failureCode?: string; reasons?: readonly string[] }): PaymentState {
  const result = nextState(from, event);
  if (!result.ok) throw new Error(`payments invariant: ${result.detail}`);
  writes.transitions.push({ paymentId: payment.id, from, to: result.to, event, actorType: actor.type, actorId: actor.id, detail: detail === undefined ? null : JSON.stringify(detail), at: now });
  writes.audit.push(transitionAuditEvent({ ...payment, state: from }, result.to, event, actor, detail));
  return result.to;
}

/**
 * Locks the usage counters of the payers at once and decides each payment's limits in arrival order
 * against running totals (two payments of one payer in one batch see each other). Returns the
 * refusals by index and the counters' new values.
 */
async function decideBatchLimits(tx: Tx, created: ReadonlyArray<{ index: number; prepared: PreparedPayment }>, settings: PaymentSettings): Promise<{ refusals: Map<number, CommitOutcome>; usage: Map<string, bigint> }> {
  const keys = new Map<string, UsageKey>();
  for (const { prepared: { payment } } of created) for (const period of usagePeriodsOf(payment)) keys.set(usageKeyOf(payment.payerId, period), { customerId: payment.payerId, period });
  const usage = keys.size === 0 ? new Map<string, bigint>() : await lockUsageRows(tx, [...keys.values()]);
  const refusals = new Map<number, CommitOutcome>();
  for (const { index, prepared: { payment, accountClass, strength } } of created) {
    const keysOfPayment = usagePeriodsOf(payment).map((period) => usageKeyOf(payment.payerId, period));
    const used = keysOfPayment.map((key) => usage.get(key) ?? 0n) as [bigint, bigint, bigint];
    const refusal = limitRefusalOf({ payment, accountClass, strength, used }, settings.limits);
    if (refusal !== undefined) refusals.set(index, { kind: 'refused', error: refusal });
    else for (const key of keysOfPayment) usage.set(key, (usage.get(key) ?? 0n) + payment.amount);
  }
  return { refusals, usage };
}

/**
 * The walk of a new payment through the state machine, recorded: created → risk_checked →
 * processing | challenged | held_for_review | failed.
 */
function walkCreation(writes: BatchWrites, prepared: PreparedPayment): PaymentState {
  const { payment, risk, actor } = prepared;
  const now = payment.createdAt;
  writes.transitions.push({ paymentId: payment.id, from: null, to: 'created', event: 'create', actorType: actor.type, actorId: actor.id, detail: null, at: now });
  writes.audit.push(creationAuditEvent(payment, actor));
  let state: PaymentState = 'created';
  for (const walk of creationWalk(risk)) state = step(writes, payment, state, walk.event, walk.by === 'risk' ? riskActor : actor, now, walk.detail);
  return state;
}

/**
 * The payment row as this transaction will commit it. A payment on its way to the ledger is written
 * `succeeded` at once and corrected in the same transaction if the ledger refuses it: nobody sees the
 * row before the commit, and writing it once spares an UPDATE that rewrites every index of the row.
 */
function rowOf(prepared: PreparedPayment, now: number): Payment {
  const { payment, risk } = prepared;
  const state: PaymentState = risk.decision === 'deny' ? 'failed'
    : risk.decision === 'challenge' ? 'challenged'
      : risk.decision === 'review' ? 'held_for_review' : 'succeeded';
  return { ...payment, state, failureCode: risk.decision === 'deny' ? 'payment_denied' : null, updatedAt: state === 'succeeded' ? now : payment.updatedAt };
}

/** The creating part of every payment in the batch: payments, nonces, limits (locked), instructions, transitions, usage. */
async function createAll(tx: Tx, writes: BatchWrites, batch: readonly PreparedPayment[], settings: PaymentSettings, now: number): Promise<CommitOutcome[]> {
  const outcomes: CommitOutcome[] = new Array<CommitOutcome>(batch.length);
  const candidates = batch.map((prepared, index) => ({ index, prepared, stored: rowOf(prepared, now) }));
  const inserted = await insertPaymentsIfNew(tx, candidates.map((c) => c.stored));
  for (const c of candidates) if (!inserted.has(c.stored.id)) outcomes[c.index] = { kind: 'duplicate' };
  const fresh = candidates.filter((c) => inserted.has(c.stored.id));
  const claimed = await claimNonces(tx, fresh.map((c) => ({ deviceId: c.prepared.instruction.deviceId, nonce: c.prepared.nonce, paymentId: c.stored.id, seenAt: c.stored.createdAt })));
  for (const c of fresh) if (!claimed.has(c.stored.id)) outcomes[c.index] = { kind: 'refused', error: new AnfuError('instruction_replayed') };
  const claiming = fresh.filter((c) => claimed.has(c.stored.id));
  const { refusals, usage } = await decideBatchLimits(tx, claiming.filter((c) => c.prepared.risk.decision !== 'deny'), settings);
  for (const [index, refusal] of refusals) outcomes[index] = refusal;
  // A replayed nonce or a refused limit leaves nothing behind: its rows go as if never written
  // (the nonce of a refused payment stays usable, as when a whole transaction rolls back).
  const undone = fresh.filter((c) => !claimed.has(c.stored.id) || refusals.has(c.index)).map((c) => c.stored.id);
  if (undone.length > 0) await deleteUncommittedPayments(tx, undone);
  const created = claiming.filter((c) => !refusals.has(c.index));
  await insertInstructions(tx, created.map((c) => c.prepared.instruction));
  for (const c of created) {
    const walked = walkCreation(writes, c.prepared);
    if (walked !== (c.stored.state === 'succeeded' ? 'processing' : c.stored.state)) throw new Error('payments invariant: the stored state is not where the walk ended');
    outcomes[c.index] = { kind: 'committed', payment: c.stored };
  }
  if (usage.size > 0) await writeUsageRows(tx, usage);
  return outcomes;
}

/** The money step of the processing payments, in the same transaction; a refused leg fails its payment and gives the usage back. */
async function settle(tx: Tx, ledgerTx: LedgerTransaction, ledger: Ledger, writes: BatchWrites, outcomes: CommitOutcome[], batch: readonly PreparedPayment[], now: number): Promise<void> {
  const processing = outcomes.flatMap((o, index) => (o.kind === 'committed' && o.payment.state === 'succeeded' ? [index] : []));
  const results = await ledger.applyWithin(ledgerTx, processing.map((index) => (batch[index] as PreparedPayment).legs), writes.audit);
  for (const [k, index] of processing.entries()) {
    const result = results[k];
    const payment = (outcomes[index] as { payment: Payment }).payment;
    if (result === undefined) throw new Error('ledger invariant: a unit got no outcome');
    if (result.ok) {
      step(writes, payment, 'processing', 'settle', systemActor, now);
      continue;
    }
    // Refused by the ledger (insufficient funds, say): the payment fails and gives its usage back.
    step(writes, payment, 'processing', 'fail', systemActor, now, { failureCode: result.code });
    if ((await updatePaymentState(tx, payment.id, 'succeeded', 'failed', result.code, now)) !== 1) throw new Error('payments invariant: a refused payment row is missing');
    for (const period of usagePeriodsOf(payment)) await addUsage(tx, payment.payerId, period, -payment.amount);
    outcomes[index] = { kind: 'committed', payment: { ...payment, state: 'failed', failureCode: result.code, updatedAt: now } };
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
    return { ...prepared, risk, assessment, payment: { ...prepared.payment, riskReasons: risk.reasons } };
  });
}

/** The review rows of the payments held for review: their holds are placed after the commit (startBatched). */
async function recordHolds(
  tx: Tx, outcomes: readonly CommitOutcome[], batch: readonly PreparedPayment[], settings: PaymentSettings, now: number,
): Promise<void> {
  const held = batch.flatMap((prepared, index) => {
    const outcome = outcomes[index];
    if (outcome?.kind !== 'committed' || outcome.payment.state !== 'held_for_review') return [];
    const decision = prepared.assessment?.record.id;
    if (decision === undefined) throw new Error('payments invariant: a payment held for review without a decision');
    return [{ paymentId: outcome.payment.id, decisionId: decision, expiresAt: now + settings.reviewTtlMs }];
  });
  if (held.length > 0) await insertReviewHolds(tx, held, now);
}

async function writeBatch(tx: Tx, ledgerTx: LedgerTransaction, deps: Deps, queued: readonly PreparedPayment[], now: number): Promise<CommitOutcome[]> {
  const batch = await assessed(tx, queued, now);
  const writes: BatchWrites = { transitions: [], audit: [] };
  const outcomes = await createAll(tx, writes, batch, deps.settings, now);
  await recordHolds(tx, outcomes, batch, deps.settings, now);
  await settle(tx, ledgerTx, deps.ledger, writes, outcomes, batch, now);
  await insertTransitions(tx, writes.transitions);
  await recordRisk(tx, deps.store.dialect, writes, outcomes, batch, now);
  // Last, so the audit head's lock is held only for the end of the transaction.
  await appendAudit(tx, writes.audit, now);
  // A duplicate is answered from a row another transaction wrote — after a lost commit, this batch's own
  // first try: the commit must wait until that row is on the synchronous standby.
  if (deps.store.dialect === 'postgres' && outcomes.some((o) => o.kind === 'duplicate')) await fenceReplays(tx);
  return outcomes;
}

async function inTransaction<T>(store: Store, work: (tx: Tx, ledgerTx: LedgerTransaction) => Promise<T>): Promise<T> {
  if (store.dialect === 'sqlite') return store.transaction((tx) => work(tx, { dialect: 'sqlite' }));
  // A deadlock or serialisation failure between concurrent batches: the batch is tried again whole.
  return retriedTransaction(store, (client) => work(queryableOf(client), { dialect: 'postgres', client }));
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
      apply: (batch, now) => failoverAware(deps, () => inTransaction(deps.store, (tx, ledgerTx) => (
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
