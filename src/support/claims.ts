// Unauthorised-payment claims (PBOC online-payment rules: a payment made with fewer than two
// authentication factors is compensated in full when the customer did not authorise it). A claim is
// the payer's, one per payment. Opening it freezes outgoing payments and the signing device (payments'
// identity port reads the freeze) and ends the customer's sessions (identity's door, given at wiring),
// links the evidence — the factors the payment was authorised with, the device, the address it came
// from, the signed instruction — and, with fewer than two factors, proposes full compensation at once
// (`case.decide` by `system:support`, for a checker to approve).
import {
  openCase,
  proposeCaseDecision,
  type CaseActor,
  type CaseRecord,
  type EvidenceLink,
  type OpenCaseInput,
} from '../cases/index.ts';
import { instructionOf, paymentById, transitionsOf, type Payment } from '../payments/index.ts';
import type { Queryable } from '../store/index.ts';
import { auditSupport, notifyCustomer, refuse, type SupportContext, type SupportOutcome } from './context.ts';
import { claimOfPayment, insertClaim, insertFreeze, insertMessage, insertTicket } from './store.ts';
import { sanitisedText } from './text.ts';

export interface ClaimEvidence {
  /** The factors that authorised the payment: the device's signature over the instruction, a step-up. */
  readonly factors: readonly ('device_signature' | 'step_up')[];
  readonly deviceId: string | null;
  readonly signedAt: number | null;
  readonly address: string | null;
}

/** What authorised the payment, from payments' own records and the audit log. */
export async function claimEvidence(q: Queryable, payment: Payment): Promise<ClaimEvidence> {
  const instruction = await instructionOf(q, payment.id);
  const steppedUp = (await transitionsOf(q, payment.id)).some((t) => t.event === 'step_up_passed');
  const created = await q.get<{ ip: string | null }>(
    "SELECT ip FROM audit_entries WHERE action = 'payment.create' AND target = ? ORDER BY seq LIMIT 1",
    [payment.id],
  );
  const factors: ClaimEvidence['factors'][number][] = [];
  if (instruction !== undefined) factors.push('device_signature');
  if (steppedUp) factors.push('step_up');
  return {
    factors,
    deviceId: instruction?.deviceId ?? null,
    signedAt: instruction?.signedAt ?? null,
    address: created?.ip ?? null,
  };
}

function evidenceLinks(payment: Payment, evidence: ClaimEvidence): EvidenceLink[] {
  const links: EvidenceLink[] = [
    {
      type: 'payment',
      ref: payment.id,
      note: `authorised with ${evidence.factors.length} factor(s): ${evidence.factors.join(', ') || 'none'}`,
    },
  ];
  if (evidence.deviceId !== null)
    links.push({ type: 'device', ref: evidence.deviceId, note: 'signed the instruction' });
  if (evidence.factors.includes('device_signature')) links.push({ type: 'signed_instruction', ref: payment.id });
  if (evidence.address !== null)
    links.push({ type: 'address', ref: evidence.address.slice(0, 128), note: 'payment created from' });
  return links;
}

/** Fewer than two factors: full compensation is proposed at once, for a checker to approve. */
async function proposeCompensation(ctx: SupportContext, tx: Queryable, caseId: string, factors: number, now: number) {
  const reason = `fewer than two authentication factors (${factors}): full compensation`;
  const proposed = await proposeCaseDecision(tx, ctx.cases, caseId, 'compensate', 'system:support', reason, now);
  if (!proposed.ok) throw new Error(`automatic compensation: ${proposed.code}`);
  await notifyCustomer(tx, caseId, 'compensation_proposed', now);
  return proposed.proposalId ?? null;
}

const openerOf = (actor: CaseActor) =>
  actor.type === 'customer'
    ? `customer:${actor.id}`
    : ((actor.type === 'operator' ? actor.principal?.id : undefined) ?? 'system:support');

function claimCase(payment: Payment, customerId: string, openedBy: string, evidence: ClaimEvidence): OpenCaseInput {
  return {
    kind: 'unauthorised_claim',
    dedupeKey: payment.id,
    title: 'Unauthorised payment claim',
    subject: { type: 'payment', id: payment.id },
    customerId,
    severity: 'high',
    openedBy,
    amount: { minor: payment.amount - payment.refundedAmount, currency: payment.currency },
    evidence: evidenceLinks(payment, evidence),
    details: { factors: evidence.factors, autoCompensation: evidence.factors.length < 2 },
  };
}

/** Opened by the customer (`actor` customer) or by a service operator on their behalf. */
export async function openClaim(
  ctx: SupportContext,
  actor: CaseActor,
  customerId: string,
  input: { paymentId: string; text: string },
): Promise<SupportOutcome<{ case: CaseRecord; proposalId: string | null }>> {
  const openedBy = openerOf(actor);
  const text = sanitisedText(input.text);
  if (text === undefined) return refuse(ctx, actor, 'claim.open', input.paymentId, 'validation_failed');
  const payment = await paymentById(ctx.store, input.paymentId);
  // Only the payer can say they did not authorise it.
  if (payment === undefined || payment.payerId !== customerId) {
    return refuse(ctx, actor, 'claim.open', input.paymentId, 'payment_not_owned');
  }
  if ((await claimOfPayment(ctx.store, payment.id)) !== undefined)
    return refuse(ctx, actor, 'claim.open', payment.id, 'claim_exists');
  const evidence = await claimEvidence(ctx.store, payment);
  const { factors, deviceId } = evidence;
  const now = ctx.clock();
  const auto = factors.length < 2;
  const outcome = await ctx.store.transaction(async (tx) => {
    const opened = await openCase(tx, claimCase(payment, customerId, openedBy, evidence), now);
    const claim = { caseId: opened.id, paymentId: payment.id, customerId, factors, auto, now };
    // The UNIQUE payment key decides a race between two claims on one payment.
    if (!(await insertClaim(tx, claim))) return undefined;
    const ticket = { caseId: opened.id, customerId, paymentIds: [payment.id], createdAt: now };
    await insertTicket(tx, { ...ticket, category: 'unauthorised_payment' });
    const author =
      actor.type === 'customer'
        ? { type: 'customer' as const, id: customerId }
        : { type: 'operator' as const, id: openedBy };
    await insertMessage(tx, opened.id, author, text, now);
    await insertFreeze(tx, { caseId: opened.id, customerId, deviceId, now });
    // Whoever holds the sessions may not be the customer: all end with the claim (this request was
    // authenticated before; its answer still goes out). The customer signs in again, still frozen.
    const sessionsEnded = await ctx.endCustomerSessions(tx, customerId, 'unauthorised_claim', now);
    await notifyCustomer(tx, opened.id, 'claim_received', now);
    const proposalId = auto ? await proposeCompensation(ctx, tx, opened.id, factors.length, now) : null;
    const frozen = ['outgoing_payments', 'device', 'sessions'];
    const details = { payment: payment.id, factors, autoCompensation: auto, frozen, sessionsEnded };
    await auditSupport(tx, actor, 'claim.open', opened.id, details, now);
    return { case: opened, proposalId };
  });
  if (outcome === undefined) return refuse(ctx, actor, 'claim.open', payment.id, 'claim_exists');
  return { ok: true, value: outcome };
}
